//! Calibration training and decoding on synthetic motor-imagery data.

use neuroloop_core::Window;
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{
    BandpowerConfig, BandpowerDecoder, DecodeError, Decoder, TrainOptions, TrainReport, train,
};

const CHANNELS: usize = 16;
const SAMPLES: usize = 250;
const RATE: f64 = 250.0;

fn config() -> BandpowerConfig {
    BandpowerConfig::new(
        CHANNELS,
        SAMPLES,
        RATE,
        vec![[8.0, 13.0], [13.0, 30.0]],
        vec!["left".into(), "right".into()],
    )
}

/// Gain of channel 3, where class 0's rhythm weakens, over the others
/// (an electrode recorded at twice the gain).
const GAIN_3: f32 = 2.0;

/// Synthetic windows with channel 3 at [`GAIN_3`]: comparing the raw power
/// of channels 3 and 5, whose rhythm the classes weaken — a rule that
/// needs no training — then always picks class 1, so only a trained
/// decoder scores above chance.
fn data(n: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let generator = MotorImagery::new(CHANNELS, SAMPLES, RATE);
    assert_eq!(generator.erd_channels, [3, 5]);
    let (mut x, y) = generator.generate(n, seed);
    for window in x.chunks_exact_mut(CHANNELS * SAMPLES) {
        window[3 * SAMPLES..4 * SAMPLES]
            .iter_mut()
            .for_each(|v| *v *= GAIN_3);
    }
    (x, y)
}

/// Accuracy of the untrained rule on `n` windows of `x`: class 0 where
/// channel 3 has less power than channel 5, else class 1.
fn untrained_rule_accuracy(x: &[f32], y: &[usize]) -> f32 {
    let hits = y
        .iter()
        .enumerate()
        .filter(|&(i, &label)| {
            let w = window(x, i);
            let power = |c: usize| -> f32 {
                w.data[c * SAMPLES..(c + 1) * SAMPLES]
                    .iter()
                    .map(|v| v * v)
                    .sum()
            };
            usize::from(power(3) >= power(5)) == label
        })
        .count();
    hits as f32 / y.len() as f32
}

fn window(data: &[f32], i: usize) -> Window<'_> {
    let len = CHANNELS * SAMPLES;
    Window {
        index: i as u64,
        channels: CHANNELS,
        samples: SAMPLES,
        data: &data[i * len..(i + 1) * len],
        oldest_time: 0.0,
        newest_time: 0.0,
        newest_arrival: 0.0,
    }
}

fn trained(seed: u64) -> (BandpowerDecoder, TrainReport) {
    let (x, y) = data(120, 1);
    let options = TrainOptions {
        seed,
        ..TrainOptions::default()
    };
    train(&config(), &x, &y, &options).expect("training succeeds")
}

fn probabilities(decoder: &mut BandpowerDecoder, x: &[f32], n: usize) -> Vec<f32> {
    let mut out = Vec::new();
    let mut p = [0.0_f32; 2];
    for i in 0..n {
        decoder.decode(&window(x, i), &mut p).expect("decode");
        out.extend_from_slice(&p);
    }
    out
}

#[test]
fn held_out_accuracy_is_at_least_90_percent() {
    let (mut decoder, report) = trained(0);
    let (x, y) = data(100, 2);
    let mut p = [0.0_f32; 2];
    let mut correct = 0;
    for (i, &label) in y.iter().enumerate() {
        decoder.decode(&window(&x, i), &mut p).unwrap();
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{p:?}");
        correct += usize::from(usize::from(p[1] > p[0]) == label);
    }
    let accuracy = correct as f32 / y.len() as f32;
    let rule = untrained_rule_accuracy(&x, &y);
    eprintln!("held-out accuracy {accuracy}, untrained rule {rule}, {report:?}");
    assert!(rule <= 0.55, "the untrained rule scores {rule}");
    assert!(accuracy >= 0.9, "held-out accuracy {accuracy}, {report:?}");
    // Fitted on all 120 windows; 24 held out only for the estimate.
    assert_eq!(report.n_train, 120);
    assert_eq!(report.n_validation, 24);
    assert!(report.validation_accuracy.unwrap() >= 0.8, "{report:?}");
    assert_eq!((report.epochs, report.best_epoch), (2, 1));
}

#[test]
fn same_seed_gives_identical_probabilities() {
    let (x, _) = data(10, 3);
    let (mut a, report_a) = trained(42);
    let (mut b, report_b) = trained(42);
    assert_eq!(report_a, report_b);
    assert_eq!(probabilities(&mut a, &x, 10), probabilities(&mut b, &x, 10));
}

#[test]
fn saved_weights_load_to_the_same_decoder() {
    let (x, _) = data(6, 4);
    let (mut decoder, _) = trained(0);
    let dir = std::env::temp_dir().join(format!("neuroloop-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bandpower.bpk");
    decoder.save(&path).unwrap();
    let mut loaded = BandpowerDecoder::load(config(), &path).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(
        probabilities(&mut decoder, &x, 6),
        probabilities(&mut loaded, &x, 6)
    );
}

#[test]
fn bad_windows_are_errors_not_panics() {
    let (mut decoder, _) = trained(0);
    let (mut x, _) = data(1, 5);
    let mut p = [0.25_f32; 2];

    let short = Window {
        samples: SAMPLES - 1,
        data: &x[..CHANNELS * (SAMPLES - 1)],
        ..window(&x, 0)
    };
    assert!(matches!(
        decoder.decode(&short, &mut p),
        Err(DecodeError::WindowShape { samples: 249, .. })
    ));
    let mut three = [0.0_f32; 3];
    assert!(matches!(
        decoder.decode(&window(&x, 0), &mut three),
        Err(DecodeError::ProbabilitiesLength {
            expected: 2,
            got: 3
        })
    ));

    x[5 * SAMPLES + 17] = f32::NAN;
    let err = decoder.decode(&window(&x, 0), &mut p).unwrap_err();
    assert_eq!(
        err,
        DecodeError::NonFinite {
            channel: 5,
            sample: 17
        }
    );
    assert!(err.is_artifact() && !err.is_retryable());
    x[5 * SAMPLES + 17] = f32::INFINITY;
    assert!(
        decoder
            .decode(&window(&x, 0), &mut p)
            .unwrap_err()
            .is_artifact()
    );
    assert_eq!(p, [0.25; 2], "probabilities untouched on error");
}

#[test]
fn bad_calibration_data_is_rejected() {
    let c = config();
    let o = TrainOptions::default();
    let (x, y) = data(8, 6);
    let len = CHANNELS * SAMPLES;

    let few = train(&c, &x[..3 * len], &y[..3], &o).unwrap_err();
    assert_eq!(few, DecodeError::TooFewWindows { got: 3, needed: 4 });

    let shape = train(&c, &x[..len * 7 + 1], &y[..7], &o).unwrap_err();
    assert!(matches!(
        shape,
        DecodeError::TrainingShape { windows: 7, .. }
    ));

    let mut labels = y.clone();
    labels[6] = 2;
    assert_eq!(
        train(&c, &x, &labels, &o).unwrap_err(),
        DecodeError::LabelOutOfRange {
            window: 6,
            label: 2,
            classes: 2
        }
    );

    let zeros = vec![0; 8];
    assert!(matches!(
        train(&c, &x, &zeros, &o).unwrap_err(),
        DecodeError::EmptyClass { class: 1, .. }
    ));

    let mut nan = x.clone();
    nan[3 * len + 2 * SAMPLES + 9] = f32::NAN;
    assert_eq!(
        train(&c, &nan, &y, &o).unwrap_err(),
        DecodeError::NonFiniteTraining {
            window: 3,
            channel: 2,
            sample: 9
        }
    );

    let mut bad = c.clone();
    bad.bands.push([100.0, 200.0]);
    assert!(matches!(
        train(&bad, &x, &y, &o).unwrap_err(),
        DecodeError::Config(e) if e[0].path == "decoder.bands[2]"
    ));
    let zero_c = TrainOptions { c: 0.0, ..o };
    assert!(matches!(
        train(&c, &x, &y, &zero_c).unwrap_err(),
        DecodeError::TrainOptions { field: "c", .. }
    ));
}

#[test]
fn records_that_do_not_fit_are_rejected() {
    let (decoder, _) = trained(0);
    let dir =
        std::env::temp_dir().join(format!("neuroloop-decode-mismatch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bandpower.bpk");
    decoder.save(&path).unwrap();
    let mut other = config();
    other.bands.push([30.0, 45.0]);
    let err = BandpowerDecoder::load(other, &path).unwrap_err();
    let missing = BandpowerDecoder::load(config(), dir.join("missing.bpk")).unwrap_err();
    std::fs::remove_dir_all(&dir).ok();
    assert!(matches!(err, DecodeError::RecordMismatch(_)), "{err}");
    assert!(matches!(missing, DecodeError::Record(_)), "{missing}");
}
