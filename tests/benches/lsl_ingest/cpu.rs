//! CPU time per thread and per process from `/proc`: `utime + stime` of
//! `/proc/self/task/<tid>/stat` and `/proc/<pid>/stat`, in seconds.

use std::collections::BTreeMap;

/// Clock ticks per second of the `/proc` times (`getconf CLK_TCK`; Linux
/// fixes it at 100 on x86-64 and arm64).
fn ticks_per_s() -> f64 {
    static HZ: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *HZ.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// `(comm, utime + stime in seconds)` from the text of a `stat` file.
fn parse_stat(text: &str, tick: f64) -> Option<(String, f64)> {
    // The name sits in parentheses and may itself hold spaces or ')'.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((comm, (utime + stime) / tick))
}

/// CPU seconds of process `pid` (all its threads), if it is still there.
pub fn process_cpu_s(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text, ticks_per_s()).map(|(_, s)| s)
}

/// The newest CPU time seen of every thread of this process, by thread id;
/// threads that exit keep their last reading.
#[derive(Debug, Default, Clone)]
pub struct Threads {
    /// tid → (name, CPU seconds).
    pub seen: BTreeMap<u32, (String, f64)>,
}

impl Threads {
    /// Reads every thread of this process now.
    pub fn sample(&mut self) {
        let tick = ticks_per_s();
        let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
            return;
        };
        for entry in dir.flatten() {
            let Ok(tid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            if let Some(stat) = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|t| parse_stat(&t, tick))
            {
                self.seen.insert(tid, stat);
            }
        }
    }

    /// CPU seconds spent since `before`, summed per thread group: each
    /// thread goes to the first group whose prefix its name starts with
    /// (names are cut to 15 bytes by the kernel), else to `"other"`. A new
    /// thread inherits its creator's name, so of several threads with one
    /// name only the first (lowest tid) counts as that group; the rest (a
    /// library's helpers started from it) go to `"other"`. The main thread
    /// (tid = pid) is left out.
    pub fn since(&self, before: &Threads, groups: &[&str]) -> BTreeMap<String, f64> {
        let main = std::process::id();
        let mut first: BTreeMap<&str, u32> = BTreeMap::new();
        for (tid, (name, _)) in &self.seen {
            first.entry(name.as_str()).or_insert(*tid);
        }
        let mut out = BTreeMap::new();
        for (tid, (name, now)) in &self.seen {
            if *tid == main {
                continue;
            }
            let was = before.seen.get(tid).map_or(0.0, |(_, s)| *s);
            let group = groups
                .iter()
                .find(|g| name.starts_with(**g) && first[name.as_str()] == *tid)
                .map_or("other", |g| g);
            *out.entry(group.to_string()).or_insert(0.0) += now - was;
        }
        out
    }
}
