//! Euclidean alignment of the deep networks: training recordings whitened
//! to an identity mean covariance, the running mean of the decoder equal to
//! the batch arithmetic mean, a cross-session mixing that breaks a network
//! without alignment and not one with it, and bundles that keep the
//! training mean.

use faer::Mat;
use neuroloop_core::Window;
use neuroloop_decode::DecodeError;
use neuroloop_decode::align::{RunningCovarianceMean, align_training};
use neuroloop_decode::bundle::{Bundle, BundleMeta};
use neuroloop_decode::fit::{EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;

/// splitmix64 with Box–Muller normals: the test's own seeded numbers.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
    }
}

const CHANNELS: usize = 4;
const SAMPLES: usize = 64;
const RATE: f64 = 64.0;

fn classes() -> Vec<String> {
    vec!["left".into(), "right".into()]
}

/// Motor-imagery-like epochs of three recordings, each mixed by its own
/// gains so that their mean covariances differ.
fn three_recordings() -> EpochSet {
    let (mut data, labels) = MotorImagery::new(CHANNELS, SAMPLES, RATE).generate(60, 3);
    let len = CHANNELS * SAMPLES;
    let recording: Vec<usize> = (0..60).map(|i| i % 3).collect();
    for (i, epoch) in data.chunks_exact_mut(len).enumerate() {
        for (ch, row) in epoch.chunks_exact_mut(SAMPLES).enumerate() {
            let gain = 1e-5 * (1.0 + 0.5 * ((recording[i] + ch) % 3) as f32);
            row.iter_mut().for_each(|v| *v *= gain);
        }
    }
    EpochSet::new(CHANNELS, SAMPLES, RATE, classes(), data, labels)
        .unwrap()
        .with_recordings(recording)
        .unwrap()
}

/// `Σ C_i / n` over the centred sample covariances of `rows` of `data`
/// (written out here, independently of the crate's estimator).
fn mean_covariance(data: &EpochSet, rows: &[usize]) -> Mat<f64> {
    let (c, t) = (data.channels, data.samples);
    let mut mean = Mat::<f64>::zeros(c, c);
    for &r in rows {
        let x = data.epoch(r);
        let mu: Vec<f64> = (0..c)
            .map(|ch| {
                x[ch * t..(ch + 1) * t]
                    .iter()
                    .map(|&v| f64::from(v))
                    .sum::<f64>()
                    / t as f64
            })
            .collect();
        for i in 0..c {
            for j in 0..c {
                let s: f64 = (0..t)
                    .map(|k| (f64::from(x[i * t + k]) - mu[i]) * (f64::from(x[j * t + k]) - mu[j]))
                    .sum();
                mean[(i, j)] += s / t as f64 / rows.len() as f64;
            }
        }
    }
    mean
}

fn max_from_identity(m: &Mat<f64>) -> f64 {
    let mut worst = 0.0_f64;
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            let target = if i == j { 1.0 } else { 0.0 };
            worst = worst.max((m[(i, j)] - target).abs());
        }
    }
    worst
}

#[test]
fn every_training_recording_is_whitened_to_an_identity_mean() {
    let data = three_recordings();
    let aligned = align_training(&data, 50).unwrap();
    assert_eq!(aligned.whitening.len(), 3);
    for (id, w) in &aligned.whitening {
        let rows: Vec<usize> = (0..data.len())
            .filter(|&i| data.recording[i] == *id)
            .collect();
        // In f64: W R_r W = I, R_r from the raw epochs.
        let r = mean_covariance(&data, &rows);
        let whitened = w * &r * w;
        let err = max_from_identity(&whitened);
        assert!(err < 1e-8, "recording {id}: W R W differs from I by {err}");
        // The aligned f32 epochs themselves: identity up to f32 rounding.
        let err = max_from_identity(&mean_covariance(&aligned.data, &rows));
        assert!(
            err < 1e-5,
            "recording {id}: aligned mean differs from I by {err}"
        );
        // Without alignment the recordings are far from it (the test is not
        // vacuous): their mean covariances are ~1e-10.
        assert!(max_from_identity(&r) > 0.9);
    }
    assert_eq!(aligned.data.labels, data.labels);
    assert_eq!(aligned.data.recording, data.recording);
    // The decoder starts from the mean of all raw covariances.
    let all: Vec<usize> = (0..data.len()).collect();
    let start = mean_covariance(&data, &all);
    for i in 0..CHANNELS {
        for j in 0..CHANNELS {
            let d = (aligned.record.start[i][j] - start[(i, j)]).abs();
            assert!(
                d <= 1e-9 * start[(i, i)].abs(),
                "start ({i}, {j}) off by {d}"
            );
        }
    }
}

fn random_spd(rng: &mut Rng, n: usize) -> Mat<f64> {
    let b = Mat::from_fn(n, n, |_, _| rng.normal());
    let mut c = &b * b.transpose();
    for i in 0..n {
        c[(i, i)] += 0.1;
    }
    c
}

#[test]
fn the_running_mean_is_the_batch_arithmetic_mean_and_then_follows_the_stream() {
    let mut rng = Rng::new(11);
    let n = 5;
    let start = random_spd(&mut rng, n);
    let covs: Vec<Mat<f64>> = (0..200).map(|_| random_spd(&mut rng, n)).collect();
    // Memory beyond the count: exactly (start + Σ C) / (k + 1).
    let mut mean = RunningCovarianceMean::new(start.clone(), 1000).unwrap();
    let mut sum = start.clone();
    for (k, c) in covs.iter().enumerate() {
        mean.update(c.as_ref()).unwrap();
        sum += c;
        let batch = &sum * faer::Scale(1.0 / (k as f64 + 2.0));
        let diff = (mean.mean() - &batch).norm_max() / batch.norm_max();
        assert!(diff < 1e-12, "after {} matrices off by {diff}", k + 1);
    }
    // R^{-1/2} R R^{-1/2} = I for the current mean.
    let w = mean.inv_root();
    assert!(max_from_identity(&(w * mean.mean() * w)) < 1e-9);

    // A short memory forgets the start: a stream of one matrix, repeated,
    // pulls the mean to it (1/N steps: (1 - 1/N)^k of the gap is left).
    let target = random_spd(&mut rng, n);
    let mut short = RunningCovarianceMean::new(start.clone(), 10).unwrap();
    for _ in 0..300 {
        short.update(target.as_ref()).unwrap();
    }
    let diff = (short.mean() - &target).norm_max() / target.norm_max();
    assert!(diff < 1e-10, "memory 10 after 300 windows: {diff}");

    // Bad input is refused and changes nothing.
    let before = short.mean().to_owned();
    let nan = Mat::from_fn(n, n, |_, _| f64::NAN);
    assert!(short.update(nan.as_ref()).is_err());
    assert!(short.update(Mat::<f64>::identity(3, 3).as_ref()).is_err());
    assert_eq!(short.mean().to_owned(), before);
    assert!(matches!(
        RunningCovarianceMean::new(start.clone(), 1),
        Err(DecodeError::Numerical { .. })
    ));
    assert!(RunningCovarianceMean::new(-start, 10).is_err());
}

/// Two-class epochs: a template on channel 0 (class 0) or 1 (class 1) in
/// white noise on all channels, optionally mixed by `mixing`.
fn templates(n: usize, seed: u64, mixing: Option<&Mat<f64>>) -> EpochSet {
    let mut rng = Rng::new(seed);
    let mut data = vec![0.0_f32; n * CHANNELS * SAMPLES];
    let mut labels = Vec::with_capacity(n);
    for (i, epoch) in data.chunks_exact_mut(CHANNELS * SAMPLES).enumerate() {
        let label = i % 2;
        labels.push(label);
        let amplitude = 1.0 + 0.3 * rng.normal();
        let mut x = Mat::from_fn(CHANNELS, SAMPLES, |_, _| rng.normal());
        for t in 0..SAMPLES {
            let phase = std::f64::consts::PI * t as f64 / SAMPLES as f64;
            x[(label, t)] += 1.5 * amplitude * phase.sin() * (3.0 * phase).sin();
        }
        let x = mixing.map_or(x.clone(), |a| a * &x);
        for ch in 0..CHANNELS {
            for t in 0..SAMPLES {
                epoch[ch * SAMPLES + t] = (x[(ch, t)] * 1e-5) as f32;
            }
        }
    }
    EpochSet::new(CHANNELS, SAMPLES, RATE, classes(), data, labels).unwrap()
}

fn small_eegnet(align: bool) -> ModelSpec {
    ModelSpec::with_spec(
        "eegnet",
        &Hyperparameters::default()
            .with("f1", 4)
            .with("d", 2)
            .with("kernel_length", 16)
            .with("depthwise_kernel_length", 8)
            .with("align", align)
            .with("align_memory", 20),
    )
    .unwrap()
}

fn options() -> FitOptions {
    FitOptions {
        seed: 5,
        max_epochs: 8,
        min_epochs: 8,
        batch_size: 16,
        learning_rate: Some(1e-2),
        patience: 8,
        ..FitOptions::default()
    }
}

fn accuracy(p: &[f32], labels: &[usize]) -> f32 {
    let hits = p
        .chunks_exact(2)
        .zip(labels)
        .filter(|(row, l)| usize::from(row[1] > row[0]) == **l)
        .count();
    hits as f32 / labels.len() as f32
}

/// The cross-session shift: channels 0 and 1 (where the classes differ)
/// bleed into each other, 2 and 3 change gain. Symmetric positive
/// definite, as Euclidean alignment can undo: it removes a mixing only up
/// to its orthogonal polar factor, which is the identity for such a matrix
/// when it commutes with the training mean covariance (here about
/// `diag(s, s, 1, 1)`).
fn session_shift() -> Mat<f64> {
    let mut a = Mat::<f64>::identity(CHANNELS, CHANNELS);
    a[(0, 1)] = 0.9;
    a[(1, 0)] = 0.9;
    a[(2, 2)] = 3.0;
    a[(3, 3)] = 0.4;
    a
}

#[test]
fn alignment_recovers_a_cross_session_mixing_that_breaks_the_plain_network() {
    let train = templates(160, 1, None);
    let clean = templates(120, 2, None);
    let shifted = templates(120, 2, Some(&session_shift()));

    let plain = fit(&small_eegnet(false), &train, &options(), &mut |_| {}).unwrap();
    let in_session = accuracy(&plain.predict(&clean).unwrap(), &clean.labels);
    let across = accuracy(&plain.predict(&shifted).unwrap(), &shifted.labels);
    let aligned = fit(&small_eegnet(true), &train, &options(), &mut |_| {}).unwrap();
    let recovered = accuracy(&aligned.predict(&shifted).unwrap(), &shifted.labels);
    println!("in session {in_session}, shifted {across}, shifted with alignment {recovered}");

    assert!(
        in_session >= 0.85,
        "the network did not learn: {in_session}"
    );
    assert!(
        across <= in_session - 0.2,
        "the mixing should hurt the plain network: {across} vs {in_session}"
    );
    assert!(
        recovered >= across + 0.2 && recovered >= in_session - 0.1,
        "alignment should recover most of {in_session} from {across}: {recovered}"
    );
}

fn window(data: &[f32], index: u64) -> Window<'_> {
    Window {
        index,
        channels: CHANNELS,
        samples: SAMPLES,
        data,
        oldest_time: 0.0,
        newest_time: 0.0,
        newest_arrival: 0.0,
    }
}

#[test]
fn an_aligned_bundle_continues_from_the_training_mean_and_is_checked_on_load() {
    let train = templates(40, 3, None);
    let test = templates(12, 4, Some(&session_shift()));
    let short = FitOptions {
        max_epochs: 2,
        min_epochs: 1,
        ..options()
    };
    let model = fit(&small_eegnet(true), &train, &short, &mut |_| {}).unwrap();
    let offline = model.predict(&test).unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("align-bundle");
    let _ = std::fs::remove_dir_all(&dir);
    let meta = BundleMeta {
        channels: (0..CHANNELS).map(|c| format!("C{c}")).collect(),
        ..BundleMeta::default()
    };
    model.save_bundle(&dir, &meta).unwrap();
    let bundle = Bundle::load(&dir).unwrap();
    assert_eq!(bundle.model().spec(), model.spec());
    let record = bundle
        .manifest()
        .alignment
        .clone()
        .expect("alignment saved");
    assert_eq!(record.memory, 20);
    let mut original = model.into_decoder().unwrap();
    let mut loaded = bundle.into_decoder().unwrap();
    let (mut p, mut q) = ([0.0_f32; 2], [0.0_f32; 2]);
    for i in 0..test.len() {
        original
            .decode(&window(test.epoch(i), i as u64), &mut p)
            .unwrap();
        loaded
            .decode(&window(test.epoch(i), i as u64), &mut q)
            .unwrap();
        assert_eq!(p, q, "window {i}: the loaded decoder diverges");
        for k in 0..2 {
            let d = (p[k] - offline[i * 2 + k]).abs();
            assert!(d < 1e-4, "window {i}: real time {p:?} vs offline {d}");
        }
    }

    // A manifest that lost its alignment, or whose memory disagrees with
    // the hyperparameters, is refused by name.
    let path = dir.join("decoder.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    manifest["alignment"]["memory"] = 21.into();
    std::fs::write(&path, manifest.to_string()).unwrap();
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleManifest { message, .. }) if message.contains("align_memory")
    ));
    manifest.as_object_mut().unwrap().remove("alignment");
    std::fs::write(&path, manifest.to_string()).unwrap();
    assert!(matches!(
        Bundle::load(&dir),
        Err(DecodeError::BundleManifest { message, .. }) if message.contains("no `alignment`")
    ));
}

#[test]
fn bad_alignment_hyperparameters_are_refused_by_name() {
    let train = templates(16, 5, None);
    for (hp, path) in [
        (
            Hyperparameters::default().with("align", "yes"),
            "eegnet.align",
        ),
        (
            Hyperparameters::default()
                .with("align", true)
                .with("align_memory", 1),
            "eegnet.align_memory",
        ),
        (
            Hyperparameters::default().with("align_memory", -3),
            "eegnet.align_memory",
        ),
    ] {
        let err = fit(
            &ModelSpec::with_spec("eegnet", &hp).unwrap(),
            &train,
            &options(),
            &mut |_| {},
        )
        .unwrap_err();
        match err {
            DecodeError::Config(errors) => {
                assert!(errors.iter().any(|e| e.path == path), "{errors:?}");
            }
            other => panic!("{other:?}"),
        }
    }
    // Every network owns the same two keys, refused under its own name,
    // beside its own unknown keys.
    for architecture in ["shallow_convnet", "transformer"] {
        let hp = serde_json::json!({"align": 1, "align_memory": 0, "alignment": true});
        let spec =
            ModelSpec::with_hyperparameters(architecture, hp.as_object().unwrap().clone()).unwrap();
        let Err(DecodeError::Config(errors)) = fit(&spec, &train, &options(), &mut |_| {}) else {
            panic!("{architecture}: bad alignment hyperparameters accepted");
        };
        let mut paths: Vec<String> = errors.into_iter().map(|e| e.path).collect();
        paths.sort();
        let expected =
            ["align", "align_memory", "alignment"].map(|k| format!("{architecture}.{k}"));
        assert_eq!(paths, expected);
    }
    // A recording with a flat channel has no whitening; the error says so.
    let mut flat = train.clone();
    for i in 0..flat.len() {
        let len = CHANNELS * SAMPLES;
        flat.data[i * len..i * len + SAMPLES].fill(0.0);
    }
    let err = fit(&small_eegnet(true), &flat, &options(), &mut |_| {}).unwrap_err();
    assert!(
        matches!(&err, DecodeError::Numerical { message, .. } if message.contains("recording 0")),
        "{err:?}"
    );
}
