//! The facts a latency figure needs to be cited: the machine, the
//! software, and content hashes of the config and the bundle.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The machine the benchmark ran on (Linux facts; `"unknown"` where the
/// system does not say).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Host name.
    pub hostname: String,
    /// Operating system (`PRETTY_NAME` of os-release).
    pub os: String,
    /// Kernel release.
    pub kernel: String,
    /// CPU model.
    pub cpu: String,
    /// Hardware threads this process may use.
    pub threads: usize,
}

impl Machine {
    /// This machine.
    #[must_use]
    pub fn this() -> Self {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let field = |text: &str, key: &str| {
            text.lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(['=', ':'])?;
                    (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
                })
                .unwrap_or_else(|| "unknown".into())
        };
        let known = |s: String| {
            let s = s.trim().to_string();
            if s.is_empty() { "unknown".into() } else { s }
        };
        Self {
            hostname: known(read("/proc/sys/kernel/hostname")),
            os: field(&read("/etc/os-release"), "PRETTY_NAME"),
            kernel: known(read("/proc/sys/kernel/osrelease")),
            cpu: field(&read("/proc/cpuinfo"), "model name"),
            threads: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        }
    }
}

/// A file or directory and the SHA-256 of its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hashed {
    /// As given.
    pub path: String,
    /// Hex SHA-256: of the file, or of a directory's files (names and
    /// contents, sorted by name, recursively); `None` if unreadable.
    pub sha256: Option<String>,
}

impl Hashed {
    /// Hashes `path`.
    #[must_use]
    pub fn of(path: &Path) -> Self {
        let mut hasher = Sha256::new();
        let sha256 = add(&mut hasher, path, Path::new(""))
            .ok()
            .map(|()| hex(&hasher.finalize()));
        Self {
            path: path.display().to_string(),
            sha256,
        }
    }
}

/// Adds the file at `path` (named `name` inside the hashed directory), or
/// every file under the directory at `path`, to `hasher`.
fn add(hasher: &mut Sha256, path: &Path, name: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries {
            add(hasher, &path.join(&entry), &name.join(&entry))?;
        }
        return Ok(());
    }
    let bytes = std::fs::read(path)?;
    if !name.as_os_str().is_empty() {
        hasher.update(name.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
    }
    hasher.update(&bytes);
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashes_to_its_sha256_and_a_directory_to_its_files() {
        let dir = std::env::temp_dir().join(format!("nl-hash-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a.txt"), "abc").unwrap();
        let file = Hashed::of(&dir.join("a.txt"));
        // The SHA-256 test vector of "abc" (FIPS 180-2).
        assert_eq!(
            file.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        let before = Hashed::of(&dir).sha256.expect("readable");
        std::fs::write(dir.join("sub/b.bin"), [1u8, 2]).unwrap();
        let after = Hashed::of(&dir).sha256.expect("readable");
        assert_ne!(before, after, "a new file changes the directory's hash");
        assert_eq!(Hashed::of(&dir.join("missing")).sha256, None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn this_machine_names_its_kernel_and_threads() {
        let m = Machine::this();
        assert!(m.threads >= 1, "{m:?}");
        assert_ne!(m.kernel, "unknown", "{m:?}");
    }
}
