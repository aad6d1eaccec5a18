//! Equivalence with scipy, against fixtures from `tools/dsp/make_fixtures.py`.

use neuroloop_dsp::{Band, Section, SosFilter, butter, notch_harmonics};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn sections(v: &Value) -> Vec<Section> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let r: Vec<f64> = row.as_array().unwrap().iter().map(f).collect();
            r.try_into().unwrap()
        })
        .collect()
}

fn max_abs_diff(a: &[Section], b: &[Section]) -> f64 {
    assert_eq!(a.len(), b.len(), "section count");
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn butterworth_sos_equals_scipy_within_1e_6() {
    let cases = fixture("butter");
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 100);
    let mut worst = 0.0f64;
    for case in cases {
        let order = usize::try_from(case["order"].as_u64().unwrap()).unwrap();
        let fs = f(&case["fs"]);
        let wn: Vec<f64> = case["wn"].as_array().unwrap().iter().map(f).collect();
        let band = match case["btype"].as_str().unwrap() {
            "lowpass" => Band::Lowpass(wn[0]),
            "highpass" => Band::Highpass(wn[0]),
            "bandpass" => Band::Bandpass(wn[0], wn[1]),
            "bandstop" => Band::Bandstop(wn[0], wn[1]),
            other => panic!("{other}"),
        };
        let ours = butter(order, band, fs).unwrap();
        let d = max_abs_diff(&ours, &sections(&case["sos"]));
        assert!(d <= 1e-6, "{case}: max diff {d}\nours {ours:?}");
        worst = worst.max(d);
    }
    eprintln!("worst coefficient difference vs scipy: {worst:e}");
}

#[test]
fn notch_sections_equal_scipy_within_1e_6() {
    let cases = fixture("notch");
    for case in cases["cases"].as_array().unwrap() {
        let h = usize::try_from(case["harmonics"].as_u64().unwrap()).unwrap();
        let ours = notch_harmonics(f(&case["freq"]), f(&case["q"]), h, f(&case["fs"])).unwrap();
        let d = max_abs_diff(&ours, &sections(&case["sos"]));
        assert!(d <= 1e-6, "{case}: max diff {d}");
    }
}

/// Our `f32` output equals scipy's `f64` sosfilt output to `f32` rounding:
/// |ours - scipy| <= 1e-5 * (1 + |scipy|).
#[test]
fn sos_filter_output_equals_scipy_sosfilt() {
    let case = fixture("sosfilt");
    let case = &case["cases"];
    let channels = usize::try_from(case["channels"].as_u64().unwrap()).unwrap();
    let sos = sections(&case["sos"]);
    let input: Vec<f64> = case["input"].as_array().unwrap().iter().map(f).collect();
    let want: Vec<f64> = case["output"].as_array().unwrap().iter().map(f).collect();

    #[allow(clippy::cast_possible_truncation)]
    let mut x32: Vec<f32> = input.iter().map(|&v| v as f32).collect();
    SosFilter::new(&sos, channels).process(&mut x32);
    for (i, (&o, &w)) in x32.iter().zip(&want).enumerate() {
        let tol = 1e-5 * (1.0 + w.abs());
        assert!((f64::from(o) - w).abs() <= tol, "sample {i}: {o} vs {w}");
    }

    // In f64 the recurrence is scipy's, operation for operation.
    let mut x64 = input.clone();
    SosFilter::new(&sos, channels).process(&mut x64);
    for (i, (&o, &w)) in x64.iter().zip(&want).enumerate() {
        assert!(
            (o - w).abs() <= 1e-9 * (1.0 + w.abs()),
            "sample {i}: {o} vs {w}"
        );
    }
}
