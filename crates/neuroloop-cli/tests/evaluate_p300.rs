//! `neuroloop evaluate` on the Muse P300 runs (CSV): the xDAWN decoders
//! fitted on runs 1 and 2 rank run 3's targets above its non-targets, and
//! the scores of an imbalanced task (balanced accuracy, ROC-AUC) are there.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn run(n: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/muse-p300")
        .join(format!("subject1-run{n}.csv"))
}

fn evaluate(architecture: &str) -> serde_json::Value {
    let out = Command::new(BIN)
        .arg("evaluate")
        .arg("--recording")
        .arg(run(1))
        .arg("--recording")
        .arg(run(2))
        .arg("--test-recording")
        .arg(run(3))
        .args([
            "--events",
            "1=nontarget,2=target",
            "--tmin",
            "0",
            "--tmax",
            "0.8",
            "--filters",
            "bandpass 1-30",
            "--channels",
            "TP9,AF7,AF8,TP10",
            "--architecture",
            architecture,
            "--json",
        ])
        .output()
        .expect("neuroloop runs");
    assert!(
        out.status.success(),
        "{architecture}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn xdawn_decoders_fitted_on_two_runs_rank_the_third_runs_targets() {
    for architecture in ["xdawn_tangent_space", "xdawn_mdm"] {
        let v = evaluate(architecture);
        let h = &v["held_out"];
        // Markers counted in the files: runs 1 + 2 hold 197 + 191 flashes,
        // run 3 holds 155 non-targets and 38 targets.
        assert_eq!(h["n_train"], 388, "{architecture}");
        assert_eq!(h["n_test"], 193, "{architecture}");
        assert_eq!(h["class_counts"], serde_json::json!([155, 38]));
        // Measured: AUC 0.758 (xdawn_tangent_space), 0.759 (xdawn_mdm),
        // as pyriemann's pipelines on the same epochs; 0.5 is chance.
        let auc = h["auc"].as_f64().unwrap();
        assert!(auc >= 0.7, "{architecture}: ROC-AUC {auc}");
        // Balanced accuracy: the mean of the two recalls of the confusion.
        let m: Vec<Vec<f64>> = serde_json::from_value(h["confusion"].clone()).unwrap();
        let recall = |k: usize| m[k][k] / (m[k][0] + m[k][1]);
        let balanced = h["balanced_accuracy"].as_f64().unwrap();
        assert!((balanced - (recall(0) + recall(1)) / 2.0).abs() < 1e-12);
        assert!(
            balanced > 0.5,
            "{architecture}: balanced accuracy {balanced}"
        );
        assert!(v["fit_seconds"].as_f64().unwrap() > 0.0);
        assert!(v["predict_ms_per_epoch"].as_f64().unwrap() > 0.0);
    }
}
