//! `neuroloop list`: the serial ports of this machine and the LSL streams
//! visible from it, each stream with the hardware profile it matches.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use neuroloop_lsl::{Scope, Settings};
use neuroloop_runtime::profile::HardwareProfile;
use neuroloop_runtime::profile_lsl::{StreamFacts, load_profiles};

/// Prints every serial port (name, USB vendor:product and names where
/// known), then every visible LSL stream (name, type, channels, rate,
/// source id, host, and the hardware profile whose `[lsl]` table it
/// matches, from `profiles` or the default profile directory). Exit 1 with
/// the reason if liblsl is missing or fails, or `profiles` cannot be read.
pub fn list(wait_s: f64, lab: bool, profiles: Option<&Path>) -> ExitCode {
    let profiles = match profile_dir(profiles) {
        Some(dir) => {
            let (loaded, problems) = load_profiles(&dir);
            if !problems.is_empty() && loaded.is_empty() {
                for p in &problems {
                    errln!("neuroloop list: {p}");
                }
                return ExitCode::FAILURE;
            }
            for p in &problems {
                errln!("neuroloop list: profile skipped: {p}");
            }
            loaded
        }
        None => Vec::new(),
    };
    list_serial_ports();
    let settings = Settings {
        scope: if lab { Scope::Lab } else { Scope::Machine },
        ..Settings::default()
    };
    let streams = neuroloop_lsl::load(&settings).and_then(|lsl| lsl.resolve_all(wait_s));
    let streams = match streams {
        Ok(s) => s,
        Err(e) => {
            errln!("neuroloop list: {e}");
            return ExitCode::FAILURE;
        }
    };
    if streams.is_empty() {
        outln!("no LSL streams visible (waited {wait_s} s)");
        return ExitCode::SUCCESS;
    }
    outln!(
        "{:<28} {:<10} {:>8} {:>10}  {:<24} {:<20} profile",
        "name",
        "type",
        "channels",
        "rate_hz",
        "source_id",
        "host"
    );
    let mut near_misses = Vec::new();
    for s in &streams {
        let (name, kind) = (s.name(), s.kind());
        let facts = StreamFacts {
            name: &name,
            kind: &kind,
            channels: s.channel_count(),
            rate: s.nominal_rate(),
        };
        let matched: Vec<&str> = profiles
            .iter()
            .filter(|p| p.matches_stream(&facts) == Some(true))
            .map(|p| p.name.as_str())
            .collect();
        if matched.is_empty() {
            near_misses.extend(near_miss(&profiles, &facts));
        }
        let rate = if facts.rate == 0.0 {
            "irregular".to_string()
        } else {
            format!("{}", facts.rate)
        };
        let profile = if matched.is_empty() {
            "-".to_string()
        } else {
            matched.join(",")
        };
        outln!(
            "{:<28} {:<10} {:>8} {:>10}  {:<24} {:<20} {profile}",
            name,
            kind,
            facts.channels,
            rate,
            s.source_id(),
            s.hostname()
        );
    }
    for line in &near_misses {
        outln!("{line}");
    }
    ExitCode::SUCCESS
}

/// `--profiles`, else the first of `hardware-profiles/` under the working
/// directory and beside the executable's build or install tree that exists.
fn profile_dir(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = given {
        return Some(dir.to_path_buf());
    }
    let exe = std::env::current_exe().ok();
    let exe_dir = exe.as_deref().and_then(Path::parent);
    let mut candidates = vec![PathBuf::from("hardware-profiles")];
    if let Some(dir) = exe_dir {
        candidates.push(dir.join("../../hardware-profiles"));
        candidates.push(dir.join("../share/neuroloop/hardware-profiles"));
    }
    candidates.into_iter().find(|d| d.is_dir())
}

/// A profile named and typed like the stream whose channel count or rate
/// differ: said after the table, so that a user sees why nothing matched.
fn near_miss(profiles: &[HardwareProfile], s: &StreamFacts<'_>) -> Vec<String> {
    profiles
        .iter()
        .filter(|p| p.names_stream(s))
        .map(|p| {
            format!(
                "{}: named like profile {}, but {} channels at {} Hz (the profile has {} at {} Hz)",
                s.name,
                p.name,
                s.channels,
                s.rate,
                p.channels.len(),
                p.sample_rate
            )
        })
        .collect()
}

/// The serial ports, for `[source] type = "serial"`.
fn list_serial_ports() {
    let ports = neuroloop_sources::serial::ports::list_ports();
    if ports.is_empty() {
        outln!("no serial ports found");
        return;
    }
    outln!("{:<40} usb", "serial port");
    for p in &ports {
        outln!("{:<40} {}", p.name, p.usb.as_deref().unwrap_or("-"));
    }
    outln!();
}
