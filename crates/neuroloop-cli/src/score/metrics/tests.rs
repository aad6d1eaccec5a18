//! The metrics by hand on small inputs, and against scikit-learn
//! (`tools/score/make_metric_fixtures.py` → `tests/fixtures/score_metrics.json`).

use super::*;

fn rows(p: &[&[f32]]) -> Vec<Vec<f32>> {
    p.iter().map(|r| r.to_vec()).collect()
}

#[test]
fn binary_auc_uses_the_second_class_by_hand() {
    // Second-class scores 0.9, 0.6 (class 1) and 0.6, 0.2 (class 0):
    // pairs 0.9>0.6, 0.9>0.2, 0.6=0.6 (½), 0.6>0.2 → 3.5 of 4.
    let p = rows(&[&[0.1, 0.9], &[0.4, 0.6], &[0.4, 0.6], &[0.8, 0.2]]);
    let a = auc(&p, &[1, 1, 0, 0], 2).unwrap();
    assert!((a - 0.875).abs() < 1e-12, "{a}");
    // Reading the first column instead would give 1 - 0.875.
    assert_eq!(auc(&p, &[1, 1, 1, 1], 2), None, "one class only");
}

#[test]
fn macro_auc_averages_each_class_against_the_rest() {
    // Each class's own column ranks its item first: every one-vs-rest AUC
    // is 1, except class 2, whose 0.2 beats one 0.1 and ties one 0.2 (1.5 of 2).
    let p = rows(&[&[0.8, 0.1, 0.1], &[0.1, 0.7, 0.2], &[0.3, 0.5, 0.2]]);
    let a = auc(&p, &[0, 1, 2], 3).unwrap();
    assert!((a - (1.0 + 1.0 + 0.75) / 3.0).abs() < 1e-12, "{a}");
}

#[test]
fn scores_confusion_and_chance_by_hand() {
    let p = rows(&[&[0.9, 0.1], &[0.2, 0.8], &[0.6, 0.4], &[0.3, 0.7]]);
    let s = Scores::of(&p, &[0, 1, 1, 1], 2);
    assert_eq!(s.n, 4);
    assert!((s.accuracy - 0.75).abs() < 1e-12);
    assert_eq!(s.confusion, vec![vec![1, 0], vec![1, 2]]);
    assert!((s.chance_majority - 0.75).abs() < 1e-12);
    // 4 items, two classes: even 4 of 4 happens with p = 1/16 > 0.05.
    assert_eq!(s.chance_threshold_p05, Some(1.0));
}

#[test]
fn wolpaw_bits_by_hand() {
    assert_eq!(wolpaw_bits(2, 1.0), Some(1.0));
    assert_eq!(wolpaw_bits(4, 1.0), Some(2.0));
    assert_eq!(wolpaw_bits(2, 0.5), Some(0.0));
    assert_eq!(
        wolpaw_bits(2, 0.3),
        Some(0.0),
        "below chance is 0, not negative"
    );
    // N = 2, p = 0.75: 1 + 0.75 log2 0.75 + 0.25 log2 0.25 = 0.18872...
    let b = wolpaw_bits(2, 0.75).unwrap();
    assert!((b - 0.188_721_875_540_867_2).abs() < 1e-12, "{b}");
    assert_eq!(wolpaw_bits(1, 0.9), None);
    assert_eq!(wolpaw_bits(2, 1.5), None);
    // 0.5 bits per 4-s trial: 7.5 bits per minute.
    assert_eq!(bits_per_minute(0.5, 4.0), Some(7.5));
    assert_eq!(bits_per_minute(0.5, 0.0), None);
}

#[test]
fn median_of_odd_even_and_empty() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    assert_eq!(median(&[]), None);
}

#[test]
fn metrics_match_scikit_learn() {
    let text = include_str!("../../../tests/fixtures/score_metrics.json");
    let fixture: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let classes = case["classes"].as_u64().unwrap() as usize;
        let labels: Vec<usize> = serde_json::from_value(case["labels"].clone()).unwrap();
        let p: Vec<Vec<f32>> = serde_json::from_value(case["probabilities"].clone()).unwrap();
        let s = Scores::of(&p, &labels, classes);
        let want = |k: &str| case[k].as_f64().unwrap();
        assert!(
            (s.accuracy - want("accuracy")).abs() < 1e-12,
            "{classes} classes"
        );
        let auc = s.auc.unwrap();
        assert!(
            (auc - want("auc")).abs() < 1e-9,
            "{classes} classes: {auc} vs {}",
            want("auc")
        );
        let confusion: Vec<Vec<usize>> = serde_json::from_value(case["confusion"].clone()).unwrap();
        assert_eq!(s.confusion, confusion, "{classes} classes");
    }
    for item in fixture["itr"].as_array().unwrap() {
        let n = item["classes"].as_u64().unwrap() as usize;
        let p = item["accuracy"].as_f64().unwrap();
        let bits = wolpaw_bits(n, p).unwrap();
        assert!(
            (bits - item["bits"].as_f64().unwrap()).abs() < 1e-12,
            "N={n} p={p}"
        );
    }
}
