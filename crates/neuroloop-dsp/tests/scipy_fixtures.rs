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

/// Relative tolerance on every coefficient. Measured worst relative
/// difference from scipy: 2.2e-16 (one rounding); the margin leaves room for
/// another platform's `sin`/`tan`.
const RELATIVE: f64 = 1e-10;

/// Floor of the tolerance, as a fraction of the largest coefficient of the
/// same numerator or denominator. Coefficients that are zero in exact
/// arithmetic (`b1` of a band section) come out as rounding residues of a
/// few `f64::EPSILON` times that largest coefficient, so a purely relative
/// tolerance would demand their exact bits. The floor is relative to the
/// polynomial rather than absolute because section gains span 1e-10..1: any
/// absolute floor large enough for the unit-scale denominators would exceed
/// the whole numerator of a 1e-10 gain section.
const FLOOR: f64 = 1e-14;

/// The largest of `|ours - scipy| / (RELATIVE * |scipy| + FLOOR * scale)`
/// over every coefficient, where `scale` is the largest magnitude in that
/// coefficient's numerator or denominator; at most 1 passes.
fn worst_tolerance_ratio(ours: &[Section], scipy: &[Section]) -> f64 {
    assert_eq!(ours.len(), scipy.len(), "section count");
    let mut worst = 0.0f64;
    for (o, w) in ours.iter().zip(scipy) {
        for half in [0..3, 3..6] {
            let scale = w[half.clone()].iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for k in half {
                let tolerance = RELATIVE * w[k].abs() + FLOOR * scale;
                worst = worst.max((o[k] - w[k]).abs() / tolerance);
            }
        }
    }
    worst
}

#[test]
fn butterworth_sos_equals_scipy_to_relative_1e_10() {
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
        let r = worst_tolerance_ratio(&ours, &sections(&case["sos"]));
        assert!(r <= 1.0, "{case}: {r} times the tolerance\nours {ours:?}");
        worst = worst.max(r);
    }
    eprintln!("worst coefficient difference vs scipy: {worst:e} of the tolerance");
}

#[test]
fn notch_sections_equal_scipy_to_relative_1e_10() {
    let cases = fixture("notch");
    for case in cases["cases"].as_array().unwrap() {
        let h = usize::try_from(case["harmonics"].as_u64().unwrap()).unwrap();
        let ours = notch_harmonics(f(&case["freq"]), f(&case["q"]), h, f(&case["fs"])).unwrap();
        let r = worst_tolerance_ratio(&ours, &sections(&case["sos"]));
        assert!(r <= 1.0, "{case}: {r} times the tolerance");
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
