//! Every shipped config and hardware profile validates, and broken configs
//! are rejected with every problem and its path.

use std::path::Path;

use neuroloop_runtime::profile::HardwareProfile;
use neuroloop_tests::{edit, repo_root, shipped_config};

fn toml_files(dir: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_config_validates() {
    let files = toml_files("configs");
    assert!(
        files.len() >= 2,
        "configs/ holds at least demo and ssvep-sim"
    );
    for path in files {
        if let Err(errors) = neuroloop_runtime::load(&path) {
            panic!("{} is invalid: {errors:#?}", path.display());
        }
    }
}

#[test]
fn every_hardware_profile_validates_and_the_required_ones_exist() {
    let files = toml_files("hardware-profiles");
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for required in ["simulated", "openbci-cyton", "openbci-cyton-daisy"] {
        assert!(
            names.iter().any(|n| n == required),
            "hardware-profiles/{required}.toml missing"
        );
    }
    for path in &files {
        let profile = HardwareProfile::load(path)
            .unwrap_or_else(|e| panic!("{} is invalid: {e:#?}", path.display()));
        assert_eq!(
            profile.name,
            path.file_stem().unwrap().to_string_lossy(),
            "name equals the file stem"
        );
    }
}

#[test]
fn the_demo_is_a_16_channel_250_hz_motor_imagery_session() {
    let session = neuroloop_runtime::load(&repo_root().join("configs/demo.toml")).unwrap();
    assert_eq!(session.pipeline.input.channel_count(), 16);
    assert_eq!(session.pipeline.input.sample_rate, 250.0);
    assert_eq!(session.classes, ["left", "right"]);
}

#[test]
fn a_broken_config_reports_every_problem_with_its_path() {
    let (text, path) = shipped_config("demo.toml");
    let text = edit(&text, "high_hz = 30.0", "high_hz = 130.0");
    let text = edit(&text, "threshold = 0.7", "threshold = 1.5");
    let text = edit(&text, "smoothing = 5", "smoothing = 0");
    let text = edit(&text, "window_s = 1.0", "window_s = -1.0");
    let text = edit(&text, "erd_depth = 0.6", "erd_depth = 0.6\nwobble = 3");
    let text = edit(
        &text,
        r#"tcp = "127.0.0.1:7878""#,
        r#"tcp = "0.0.0.0:7878""#,
    );
    let text = edit(&text, r#"{ type = "car" }"#, r#"{ type = "carr" }"#);
    let errors = neuroloop_runtime::parse(&text, &path).unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let expect = [
        "pipeline.filters[1].high_hz: 130 is above Nyquist (125 Hz)",
        "pipeline.filters[2].type: unknown stage type \"carr\"",
        "pipeline.window_s: -1 s",
        "policy.threshold: 1.5",
        "policy.smoothing: 0",
        "publish.tcp: 0.0.0.0:7878 is not a loopback address",
        "source.paradigm.wobble: unknown field `wobble`",
    ];
    for e in expect {
        assert!(
            lines.iter().any(|l| l.starts_with(e)),
            "missing {e:?} in {lines:#?}"
        );
    }
    assert_eq!(
        lines.len(),
        expect.len(),
        "exactly these problems: {lines:#?}"
    );
}

/// `[decoder] device` in a build without GPU backends (the default build):
/// each GPU device is refused with the feature that brings it, an unknown
/// one with the known names, and a GPU deadline on the CPU is pointless.
#[test]
fn gpu_devices_are_refused_by_a_build_without_them() {
    let (text, path) = shipped_config("demo.toml");
    let decoder = |extra: &str| {
        let text = edit(
            &text,
            "type = \"bandpower\"\nbands_hz = [[8.0, 13.0], [13.0, 30.0]]",
            &format!("type = \"eegnet\"\n{extra}"),
        );
        let text = edit(&text, "hyperparameters = { c = 0.01 }", "");
        match neuroloop_runtime::parse(&text, &path) {
            Ok(_) => String::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    };
    assert_eq!(decoder(r#"device = "cpu""#), "");
    for gpu in ["wgpu", "cuda"] {
        let problems = decoder(&format!("device = {gpu:?}"));
        assert!(
            problems.starts_with("decoder.device")
                && problems.contains(&format!("--features {gpu}")),
            "{problems}"
        );
    }
    let unknown = decoder(r#"device = "gpu""#);
    assert!(unknown.contains("known: cpu, wgpu, cuda"), "{unknown}");
    let deadline = decoder("gpu_deadline_ms = 50.0");
    assert!(
        deadline.starts_with("decoder.gpu_deadline_ms")
            && deadline.contains("only to a decoder on a GPU"),
        "{deadline}"
    );
}

#[test]
fn a_missing_hardware_profile_names_the_file() {
    let (text, path) = shipped_config("demo.toml");
    let text = edit(
        &text,
        r#"hardware_profile = "simulated""#,
        r#"hardware_profile = "no-such-headset""#,
    );
    let errors = neuroloop_runtime::parse(&text, &path).unwrap_err();
    let all = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all.contains("session.hardware_profile") && all.contains("no-such-headset.toml"),
        "{all}"
    );
}

#[test]
fn invalid_toml_is_one_clear_error() {
    let errors = neuroloop_runtime::parse("[session\nname = 1", Path::new("x.toml")).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().starts_with("x.toml: not valid TOML"),
        "{}",
        errors[0]
    );
}
