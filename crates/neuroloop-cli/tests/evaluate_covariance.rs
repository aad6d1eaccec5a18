//! `neuroloop evaluate` with the covariance decoders on PhysioNet S001
//! (imagined hands vs feet): cross-recording scoring (fit on run 6, score
//! on run 10), the epoch export for reference tools, and a file given
//! twice refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn mi(run: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/physionet-eegmmidb")
        .join(format!("S001{run}.edf"))
}

fn evaluate(recordings: &[(&str, PathBuf)], extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["evaluate".into()];
    for (flag, path) in recordings {
        args.push((*flag).into());
        args.push(path.display().to_string());
    }
    for a in [
        "--events",
        "T1=hands,T2=feet",
        "--tmin",
        "0.5",
        "--tmax",
        "4.0",
        "--filters",
        "bandpass 4-40",
    ] {
        args.push(a.into());
    }
    args.extend(extra.iter().map(|s| (*s).to_string()));
    Command::new(BIN)
        .args(&args)
        .output()
        .expect("neuroloop runs")
}

#[test]
fn csp_lda_fitted_on_one_run_decodes_another_above_chance() {
    let out = evaluate(
        &[("--recording", mi("R06")), ("--test-recording", mi("R10"))],
        &["--architecture", "csp_lda", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = &v["held_out"];
    assert_eq!(h["n_train"], 15);
    assert_eq!(h["n_test"], 15);
    // Measured 0.933 (14 of 15), AUC 1.0; guessing reaches 0.8 with p <= 0.05.
    let accuracy = h["accuracy"].as_f64().unwrap();
    let bar = h["chance_threshold_p05"].as_f64().unwrap();
    assert!(
        accuracy >= bar,
        "held-out accuracy {accuracy} below the chance bar {bar}"
    );
    assert!(h["auc"].as_f64().unwrap() >= 0.9, "{h}");
    let confusion_total: u64 = h["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|c| c.as_u64().unwrap()))
        .sum();
    assert_eq!(confusion_total, 15);
}

#[test]
fn the_epoch_export_holds_the_cut_epochs_and_the_folds() {
    let dir = std::env::temp_dir().join(format!("neuroloop-export-{}", std::process::id()));
    let out = evaluate(
        &[("--recording", mi("R06")), ("--recording", mi("R10"))],
        &[
            "--architecture",
            "mdm",
            "--json",
            "--export-epochs",
            dir.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    assert_eq!(
        meta["folds"], cv["cv"]["fold_of"],
        "the exported folds are the folds scored"
    );
    assert_eq!(meta["recording_of_epoch"].as_array().unwrap().len(), 30);
    let npy = std::fs::read(dir.join("epochs.npy")).unwrap();
    assert_eq!(&npy[..6], b"\x93NUMPY");
    let header_len = usize::from(u16::from_le_bytes([npy[8], npy[9]]));
    let header = String::from_utf8_lossy(&npy[10..10 + header_len]);
    assert!(
        header.contains("'descr': '<f4'") && header.contains("'shape': (30, 64, 560)"),
        "{header}"
    );
    assert_eq!((10 + header_len) % 64, 0, "header padded to 64 bytes");
    assert_eq!(npy.len(), 10 + header_len + 30 * 64 * 560 * 4);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_recording_given_twice_is_refused() {
    let out = evaluate(
        &[("--recording", mi("R06")), ("--test-recording", mi("R06"))],
        &["--architecture", "tangent_space"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is given twice"), "{err}");
}

#[test]
fn evaluate_bounds_hyperparameters_as_train_does() {
    for (arch, hp, expected) in [
        ("eegnet", r#"{"f1": 1e9}"#, "outside the allowed range"),
        ("tangent_space", "[1, 2]", "not a JSON object"),
        ("tangent_space", r#"{"c": 1e-9}"#, "tangent_space.c"),
    ] {
        let out = evaluate(
            &[("--recording", mi("R06"))],
            &["--architecture", arch, "--hyperparameters", hp],
        );
        assert!(!out.status.success(), "{arch} {hp} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{arch} {hp}: {err}");
    }
}
