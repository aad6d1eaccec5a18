//! The shipped headset profiles: each one with an `[lsl]` table passes
//! `neuroloop check` in a session that streams from it, and `neuroloop list`
//! names the profile of a real pylsl stream published the way the headset's
//! LSL application publishes it (name, type, channel count, rate), and says
//! why a stream named like a profile but shaped differently matches none.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::{BIN, repo, venv_python};
use neuroloop_runtime::profile::HardwareProfile;
use neuroloop_runtime::profile_lsl::load_profiles;

fn shipped() -> Vec<HardwareProfile> {
    let (profiles, problems) = load_profiles(&repo().join("hardware-profiles"));
    assert!(problems.is_empty(), "{problems:?}");
    profiles
}

/// A session config streaming from `profile` over LSL, with the stream
/// named as the profile's `[lsl]` table says (`*` filled in).
fn session_for(profile: &HardwareProfile, path: &Path) -> String {
    let id = profile.lsl.as_ref().expect("an [lsl] table");
    format!(
        r#"
[session]
name = "check-{name}"
hardware_profile = "{path}"

[source]
type = "lsl"
name = "{stream}"
stream_type = "{kind}"
classes = ["left", "right"]

[source.markers]
name = "cues"
rest = "rest"

[pipeline]
filters = [{{ type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 }}]
window_s = 1.0
hop_s = 0.1

[decoder]
type = "bandpower"
bands_hz = [[8.0, 13.0], [13.0, 30.0]]
calibration_s = 60.0

[publish]
tcp = "127.0.0.1:7878"
"#,
        name = profile.name,
        path = path.display(),
        stream = id.name.replace('*', "0"),
        kind = id.kind,
    )
}

#[test]
fn every_headset_profile_passes_check_in_a_session_that_uses_it() {
    let profiles = shipped();
    let with_lsl: Vec<&HardwareProfile> = profiles.iter().filter(|p| p.lsl.is_some()).collect();
    let names: Vec<&str> = with_lsl.iter().map(|p| p.name.as_str()).collect();
    for expected in [
        "muse-2",
        "muse-2-bluemuse",
        "muse-s-bluemuse",
        "unicorn",
        "openbci-gui-cyton",
        "openbci-gui-cyton-daisy",
        "emotiv-epoc-x",
        "biosemi-activetwo-32",
        "actichamp-32",
        "dsi-24",
    ] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    let dir = std::env::temp_dir().join(format!("neuroloop-profiles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for profile in with_lsl {
        assert_eq!(profile.transport, "lsl", "{}", profile.name);
        let path = repo()
            .join("hardware-profiles")
            .join(format!("{}.toml", profile.name))
            .canonicalize()
            .unwrap();
        let config = dir.join(format!("{}.toml", profile.name));
        std::fs::write(&config, session_for(profile, &path)).unwrap();
        let out = Command::new(BIN)
            .arg("check")
            .arg(&config)
            .output()
            .expect("run neuroloop check");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{}: {stderr}", profile.name);
        let summary = format!(
            "profile {} ({} channels @ {} Hz)",
            profile.name,
            profile.channels.len(),
            profile.sample_rate
        );
        assert!(stdout.contains(&summary), "{summary} not in {stdout}");
        // A stream with counters, triggers or motion channels: the session
        // decodes the profile's main kind only, and says which it leaves out.
        let spec = profile.stream_spec();
        let decoded = spec
            .channels
            .iter()
            .filter(|c| c.kind.eq_ignore_ascii_case(&profile.channel_kind))
            .count();
        let expected = match profile.name.as_str() {
            "emotiv-epoc-x" => 14,
            "biosemi-activetwo-32" => 32,
            "dsi-24" => 20,
            _ => spec.channel_count(),
        };
        assert_eq!(decoded, expected, "{}", profile.name);
        if decoded < spec.channel_count() {
            let left_out = spec
                .channels
                .iter()
                .find(|c| !c.kind.eq_ignore_ascii_case(&profile.channel_kind))
                .unwrap();
            let words = format!(
                "decoding {decoded} of them (left out: {} ({})",
                left_out.label, left_out.kind
            );
            assert!(stdout.contains(&words), "{words} not in {stdout}");
        } else {
            assert!(!stdout.contains("decoding"), "{stdout}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pylsl outlet published as a headset application would; returns once
/// the outlet exists.
fn outlet(name: &str, source_id: &str, labels: &str, rate: &str) -> Child {
    let root = repo();
    let python = venv_python("pylsl");
    let times = std::env::temp_dir().join(format!("{source_id}.times"));
    let mut child = Command::new(&python)
        .arg(root.join("tests/lsl_peers/outlet.py"))
        .args(["--name", name, "--type", "EEG", "--source-id", source_id])
        .args(["--labels", labels, "--rate", rate, "--samples", "10"])
        .arg("--times-out")
        .arg(&times)
        .args(["--consumer-timeout-s", "30", "--announce"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a pylsl outlet");
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim(), "open", "the outlet {name} did not open");
    child
}

#[test]
fn list_names_the_profile_of_a_headset_stream() {
    let pid = std::process::id();
    let (muse, muse_short, obci) = (
        format!("muse5-{pid}"),
        format!("muse4-{pid}"),
        format!("obci-{pid}"),
    );
    let (biosemi, emotiv) = (format!("biosemi-{pid}"), format!("emotiv-{pid}"));
    let shipped = shipped();
    let labels_of = |name: &str| {
        let profile = shipped.iter().find(|p| p.name == name).unwrap();
        profile.channels.join(",")
    };
    let mut peers = [
        outlet("Muse", &muse, "TP9,AF7,AF8,TP10,Right AUX", "256"),
        outlet("Muse", &muse_short, "TP9,AF7,AF8,TP10", "256"),
        outlet("obci_eeg1", &obci, "1,2,3,4,5,6,7,8", "250"),
        // Streams with trigger, counter and motion channels beside the EEG.
        outlet(
            "BioSemi",
            &biosemi,
            &labels_of("biosemi-activetwo-32"),
            "2048",
        ),
        outlet(
            "EmotivDataStream-EEG",
            &emotiv,
            &labels_of("emotiv-epoc-x"),
            "128",
        ),
    ];
    let profiles = repo().join("hardware-profiles");
    let mut text = String::new();
    for _ in 0..10 {
        let out = Command::new(BIN)
            .args(["list", "--wait", "1", "--profiles"])
            .arg(&profiles)
            .output()
            .expect("run neuroloop list");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text = String::from_utf8_lossy(&out.stdout).into_owned();
        if [&muse, &muse_short, &obci, &biosemi, &emotiv]
            .iter()
            .all(|id| text.contains(id.as_str()))
        {
            break;
        }
    }
    for peer in &mut peers {
        let _ = peer.kill();
        let _ = peer.wait();
    }
    let profile_of = |source_id: &str| {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(4) == Some(source_id))
            .unwrap_or_else(|| panic!("{source_id} not listed: {text}"));
        line.split_whitespace().last().unwrap().to_string()
    };
    assert_eq!(profile_of(&muse), "muse-2", "{text}");
    assert_eq!(profile_of(&obci), "openbci-gui-cyton", "{text}");
    assert_eq!(profile_of(&biosemi), "biosemi-activetwo-32", "{text}");
    assert_eq!(profile_of(&emotiv), "emotiv-epoc-x", "{text}");
    assert_eq!(profile_of(&muse_short), "-", "{text}");
    assert!(
        text.contains(
            "Muse: named like profile muse-2, but 4 channels at 256 Hz (the profile has 5 at 256 Hz)"
        ),
        "{text}"
    );
}

#[test]
fn list_names_a_missing_profile_directory_and_skips_a_broken_profile() {
    // A directory that is not there: exit 1, naming it.
    let missing =
        std::env::temp_dir().join(format!("neuroloop-no-profiles-{}", std::process::id()));
    let out = Command::new(BIN)
        .args(["list", "--wait", "0.2", "--profiles"])
        .arg(&missing)
        .output()
        .expect("run neuroloop list");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");

    // Beside the shipped profiles: one that is not a profile at all, and one
    // whose [lsl] name would match every stream. Each is skipped with its
    // problem; the listing goes on.
    let dir = common::scratch("profiles-broken");
    let profiles = dir.join("hardware-profiles");
    std::fs::write(profiles.join("broken.toml"), "name = \"broken\"\n[lsl\n").unwrap();
    let muse = std::fs::read_to_string(profiles.join("muse-2.toml")).unwrap();
    let greedy = muse
        .replace("name = \"muse-2\"", "name = \"greedy\"")
        .replace("name = \"Muse\"", "name = \"*\"");
    assert_ne!(greedy, muse);
    std::fs::write(profiles.join("greedy.toml"), greedy).unwrap();
    let out = Command::new(BIN)
        .args(["list", "--wait", "0.2", "--profiles"])
        .arg(&profiles)
        .output()
        .expect("run neuroloop list");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let skipped: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("profile skipped"))
        .collect();
    assert_eq!(skipped.len(), 2, "{stderr}");
    assert!(
        skipped.iter().any(|l| l.contains("broken.toml")),
        "{stderr}"
    );
    assert!(
        skipped
            .iter()
            .any(|l| l.contains("greedy.toml") && l.contains("lsl.name")),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
