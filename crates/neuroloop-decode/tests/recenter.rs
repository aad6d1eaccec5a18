//! Re-centring across recordings: the online reference tends to the
//! Riemannian mean (the crate's `mean_riemann`, itself checked against
//! pyriemann in `spd_reference.rs`) of the same covariances, and a decoder
//! fitted on one recording recovers its accuracy on a recording whose
//! channels are mixed by a fixed matrix, which it does not without.

use faer::Mat;
use neuroloop_decode::covariance::{MdmSpec, TangentSpaceSpec};
use neuroloop_decode::fit::{EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_decode::spd::{
    Estimator, MeanOptions, OnlineMean, covariances, distance_riemann, expm, mean_riemann,
};
use neuroloop_decode::synthetic::MotorImagery;

const CHANNELS: usize = 8;
const SAMPLES: usize = 250;
const RATE: f64 = 250.0;

fn covs(n: usize, seed: u64) -> Vec<Mat<f64>> {
    let (x, _) = MotorImagery::new(CHANNELS, SAMPLES, RATE).generate(n, seed);
    covariances(Estimator::Lwf, &x, CHANNELS, SAMPLES).unwrap()
}

#[test]
fn online_reference_tends_to_the_riemannian_mean_of_the_same_covariances() {
    let covs = covs(400, 3);
    let mut online = OnlineMean::new(covs[0].clone(), 1_000_000).unwrap();
    let mut gaps = Vec::new();
    for k in 1..covs.len() {
        online.update(covs[k].as_ref()).unwrap();
        if [9, 49, 399].contains(&k) {
            let batch = mean_riemann(&covs[..=k], None, MeanOptions::default()).unwrap();
            let gap = distance_riemann(online.reference(), batch.as_ref()).unwrap();
            // How far the covariances are spread around their mean, for scale.
            let spread = distance_riemann(covs[k].as_ref(), batch.as_ref()).unwrap();
            gaps.push((k + 1, gap, spread));
        }
    }
    eprintln!("(matrices, gap to the batch mean, spread): {gaps:?}");
    let (_, last, spread) = gaps[2];
    assert!(
        last < 0.005 * spread,
        "after 400 matrices the online reference is {last:.4} from the Riemannian mean \
         (a covariance lies {spread:.3} from it): {gaps:?}"
    );
    assert!(
        gaps[2].1 < gaps[0].1,
        "the gap does not shrink as matrices come in: {gaps:?}"
    );
    assert_eq!(online.count(), 399);
    online.reset();
    assert_eq!(online.count(), 0);
    assert!(distance_riemann(online.reference(), covs[0].as_ref()).unwrap() < 1e-9);
}

#[test]
fn online_reference_refuses_bad_input_and_keeps_its_state() {
    let covs = covs(4, 5);
    assert!(OnlineMean::new(covs[0].clone(), 1).is_err());
    assert!(OnlineMean::new(-covs[0].clone(), 10).is_err());
    let mut online = OnlineMean::new(covs[0].clone(), 10).unwrap();
    online.update(covs[1].as_ref()).unwrap();
    let before = online.reference().to_owned();
    assert!(online.update((-&covs[2]).as_ref()).is_err());
    assert_eq!(online.reference().to_owned(), before);
    assert_eq!(online.count(), 1);
}

/// A fixed SPD mixing `A = exp(S)`, `S` symmetric with entries of about
/// `scale`: every channel of the new recording picks up its neighbours.
fn mixing(scale: f64, seed: u64) -> Mat<f64> {
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut s = Mat::zeros(CHANNELS, CHANNELS);
    for i in 0..CHANNELS {
        for j in 0..=i {
            let v = 2.0 * scale * next();
            s[(i, j)] = v;
            s[(j, i)] = v;
        }
    }
    expm(s.as_ref()).unwrap()
}

fn epochs(n: usize, seed: u64, mix: Option<&Mat<f64>>) -> EpochSet {
    let (mut x, y) = MotorImagery::new(CHANNELS, SAMPLES, RATE).generate(n, seed);
    if let Some(a) = mix {
        for epoch in x.chunks_exact_mut(CHANNELS * SAMPLES) {
            let original = epoch.to_vec();
            for i in 0..CHANNELS {
                for t in 0..SAMPLES {
                    let v: f64 = (0..CHANNELS)
                        .map(|j| a[(i, j)] * f64::from(original[j * SAMPLES + t]))
                        .sum();
                    epoch[i * SAMPLES + t] = v as f32;
                }
            }
        }
    }
    EpochSet::new(CHANNELS, SAMPLES, RATE, vec!["a".into(), "b".into()], x, y).unwrap()
}

fn accuracy(spec: &ModelSpec, train: &EpochSet, test: &EpochSet) -> f64 {
    let model = fit(spec, train, &FitOptions::default(), &mut |_| {}).unwrap();
    let p = model.predict(test).unwrap();
    let correct = p
        .chunks_exact(2)
        .zip(&test.labels)
        .filter(|(p, l)| usize::from(p[1] > p[0]) == **l)
        .count();
    correct as f64 / test.len() as f64
}

#[test]
fn recentring_recovers_the_accuracy_a_mixed_recording_loses() {
    let train = epochs(80, 11, None);
    let test = epochs(80, 12, None);
    let a = mixing(0.6, 7);
    let shifted = epochs(80, 12, Some(&a));
    let specs = [
        (
            ModelSpec::with_spec("tangent_space", &TangentSpaceSpec::default()).unwrap(),
            ModelSpec::with_spec(
                "tangent_space",
                &TangentSpaceSpec {
                    recenter: true,
                    ..TangentSpaceSpec::default()
                },
            )
            .unwrap(),
        ),
        (
            ModelSpec::with_spec("mdm", &MdmSpec::default()).unwrap(),
            ModelSpec::with_spec(
                "mdm",
                &MdmSpec {
                    recenter: true,
                    ..MdmSpec::default()
                },
            )
            .unwrap(),
        ),
    ];
    for (plain, recentred) in &specs {
        let unshifted = accuracy(plain, &train, &test);
        let lost = accuracy(plain, &train, &shifted);
        let recovered = accuracy(recentred, &train, &shifted);
        let name = plain.architecture();
        eprintln!("{name}: unmixed {unshifted}, mixed {lost}, mixed and re-centred {recovered}");
        assert!(
            unshifted >= 0.8,
            "{name}: {unshifted} on the same recording"
        );
        assert!(
            lost <= unshifted - 0.2,
            "{name}: the mixing costs too little to test ({unshifted} -> {lost})"
        );
        assert!(
            recovered >= unshifted - 0.1,
            "{name}: re-centred {recovered} on the mixed recording, {unshifted} unmixed, \
             {lost} without re-centring"
        );
    }
}

#[test]
fn a_memory_outside_its_bounds_is_refused_by_name() {
    let train = epochs(8, 1, None);
    for memory in [0, 1, 1_000_001] {
        let spec = ModelSpec::with_spec(
            "mdm",
            &MdmSpec {
                recenter: true,
                recenter_memory: memory,
                ..MdmSpec::default()
            },
        )
        .unwrap();
        let err = fit(&spec, &train, &FitOptions::default(), &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("mdm.recenter_memory"), "{err}");
    }
}

#[test]
fn each_recording_is_decoded_from_the_training_reference() {
    let train = epochs(40, 21, None);
    let once = epochs(10, 22, None);
    let spec = ModelSpec::with_spec(
        "tangent_space",
        &TangentSpaceSpec {
            recenter: true,
            ..TangentSpaceSpec::default()
        },
    )
    .unwrap();
    let model = fit(&spec, &train, &FitOptions::default(), &mut |_| {}).unwrap();
    let twice_rows: Vec<usize> = (0..10).chain(0..10).collect();
    let one_recording = once.subset(&twice_rows).unwrap();
    let two_recordings = one_recording
        .clone()
        .with_recordings([vec![0; 10], vec![1; 10]].concat())
        .unwrap();
    let p = model.predict(&two_recordings).unwrap();
    assert_eq!(
        p[..20],
        p[20..],
        "the second recording did not start afresh"
    );
    let q = model.predict(&one_recording).unwrap();
    assert_eq!(p[..20], q[..20]);
    assert_ne!(
        q[..20],
        q[20..],
        "one recording: the reference should have moved on"
    );
    assert!(one_recording.with_recordings(vec![0; 3]).is_err());
    assert_eq!(two_recordings.subset(&[15, 2]).unwrap().recording, [1, 0]);
}
