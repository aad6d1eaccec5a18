//! `neuroloop evaluate` on real recordings: PhysioNet S001 imagined hands
//! vs feet (R06 + R10), log-bandpower decoder, 5-fold cross-validation.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn mi(run: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/physionet-eegmmidb")
        .join(format!("S001{run}.edf"))
}

fn evaluate(events: &str, extra: &[&str]) -> Output {
    let (r06, r10) = (mi("R06"), mi("R10"));
    let mut args: Vec<&str> = vec![
        "evaluate",
        "--recording",
        r06.to_str().unwrap(),
        "--recording",
        r10.to_str().unwrap(),
        "--events",
        events,
        "--tmin",
        "0.5",
        "--tmax",
        "2.5",
        "--architecture",
        "bandpower",
        "--folds",
        "5",
        "--seed",
        "0",
    ];
    args.extend_from_slice(extra);
    Command::new(BIN)
        .args(&args)
        .output()
        .expect("neuroloop runs")
}

#[test]
fn hands_vs_feet_cross_validates_above_chance() {
    let out = evaluate(
        "T1=hands,T2=feet",
        &["--filters", "bandpass 4-40", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let cv = &v["cv"];
    // S001 R06 and R10 hold 7 + 7 hands and 8 + 8 feet cues.
    assert_eq!(v["n_epochs"], 30);
    assert_eq!(cv["class_counts"], serde_json::json!([14, 16]));
    assert_eq!(v["samples"], 320);
    assert_eq!(cv["folds"].as_array().unwrap().len(), 5);
    let fold_tests: u64 = cv["folds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["n_test"].as_u64().unwrap())
        .sum();
    assert_eq!(fold_tests, 30);
    let confusion: u64 = cv["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(confusion, 30);
    for f in cv["folds"].as_array().unwrap() {
        let a = f["accuracy"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&a), "{a}");
    }
    // Measured: pooled 0.73 with seed 0 (0.67-0.73 over seeds 0-5), AUC
    // 0.93; always predicting "feet" scores 16/30 = 0.53.
    let pooled = cv["accuracy_pooled"].as_f64().unwrap();
    assert!(pooled >= 0.6, "pooled accuracy {pooled}");
    assert!(pooled > cv["chance_majority"].as_f64().unwrap());
    let auc = cv["auc_mean_sd"][0].as_f64().unwrap();
    assert!(auc >= 0.65, "AUC {auc}");
}

#[test]
fn table_output_and_specific_errors() {
    let out = evaluate("T1=hands,T2=feet", &["--filters", "bandpass 4-40"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("30 epochs (hands 14, feet 16)"), "{text}");
    assert!(text.contains("confusion"), "{text}");

    let out = evaluate("T1=hands,T2=feet", &["--channels", "C3..,Cz"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no channel labelled \"Cz\""), "{err}");

    let out = evaluate("X=a,Y=b", &["--filters", "bandpass 4-40"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no event matches X,Y"), "{err}");
}

/// The deep architectures go through the same cross-validation (3 motor
/// channels, 1-s epochs, 2 folds, 2 training passes: wiring, not accuracy).
#[test]
fn deep_architectures_cross_validate_on_a_small_montage() {
    for arch in ["eegnet", "shallow_convnet"] {
        let (r06, r10) = (mi("R06"), mi("R10"));
        let out = Command::new(BIN)
            .args(["evaluate", "--recording", r06.to_str().unwrap()])
            .args(["--recording", r10.to_str().unwrap()])
            .args([
                "--events",
                "T1=hands,T2=feet",
                "--tmin",
                "0.5",
                "--tmax",
                "1.5",
            ])
            .args(["--channels", "C3..,Cz..,C4..", "--filters", "bandpass 4-40"])
            .args(["--architecture", arch, "--folds", "2", "--max-epochs", "2"])
            .arg("--json")
            .output()
            .expect("neuroloop runs");
        assert!(
            out.status.success(),
            "{arch}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["spec"]["architecture"], arch);
        assert_eq!(v["channels"], serde_json::json!(["C3..", "Cz..", "C4.."]));
        assert_eq!(v["samples"], 160);
        let passes = v["training_epochs_per_fold"].as_array().unwrap();
        assert_eq!(passes.len(), 2);
        assert!(
            passes
                .iter()
                .all(|p| (1..=2).contains(&p.as_u64().unwrap()))
        );
        let confusion: u64 = v["cv"]["confusion"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap())
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(confusion, 30);
    }
}
