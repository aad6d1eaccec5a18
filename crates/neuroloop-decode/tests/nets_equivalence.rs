//! The folded inference forms of EEGNet and ShallowConvNet against the
//! faithful burn forward in eval mode, with random weights and non-trivial
//! batch-norm running statistics; shape and input errors.

use burn::module::{Param, RunningState};
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use neuroloop_core::Window;
use neuroloop_decode::{
    DecodeError, Decoder, EEGNet, EEGNetConfig, EEGNetInference, PoolMode, ShallowConvNet,
    ShallowConvNetConfig, ShallowConvNetInference,
};

mod torch_fixture;

use torch_fixture::cpu_has_avx2_fma;

const SHAPES: [(usize, usize); 2] = [(22, 1000), (64, 256)];
const CLASSES: usize = 4;
const BATCH: usize = 3;
/// Largest |logit difference| from the burn forward. Measured over 21 runs:
/// 2.4e-6..5.7e-6 (ShallowConvNet 22x1000); burn sums in an order that
/// depends on its threads, so the figure moves from run to run.
const LOGIT_TOLERANCE: f32 = 2e-5;

/// Deterministic uniform values in `[lo, hi)` (64-bit LCG).
fn uniform(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            lo + (hi - lo) * ((s >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

fn tensor1(values: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

/// Random scale, shift and running statistics, far from the identity.
fn randomise_bn(bn: &mut BatchNorm, seed: u64, device: &Device) {
    let n = bn.gamma.dims()[0];
    bn.gamma = Param::from_tensor(tensor1(uniform(n, seed, 0.5, 1.5), device));
    bn.beta = Param::from_tensor(tensor1(uniform(n, seed + 1, -0.5, 0.5), device));
    bn.running_mean = RunningState::new(tensor1(uniform(n, seed + 2, -0.3, 0.3), device));
    bn.running_var = RunningState::new(tensor1(uniform(n, seed + 3, 0.2, 3.0), device));
}

/// Random weights (and bias, if any) in `[-scale, scale)`.
fn randomise_conv(conv: &mut Conv2d, seed: u64, scale: f32, device: &Device) {
    let dims = conv.weight.dims();
    let n = dims.iter().product();
    let data = TensorData::new(uniform(n, seed, -scale, scale), dims);
    conv.weight = Param::from_tensor(Tensor::from_data(data, device));
    if let Some(b) = &conv.bias {
        let n = b.dims()[0];
        conv.bias = Some(Param::from_tensor(tensor1(
            uniform(n, seed + 7, -0.2, 0.2),
            device,
        )));
    }
}

fn eegnet(chans: usize, times: usize, device: &Device) -> EEGNet {
    let mut m = EEGNetConfig::new(chans, CLASSES, times)
        .init(device)
        .unwrap();
    randomise_bn(&mut m.bnorm_temporal, 10, device);
    randomise_bn(&mut m.bnorm_1, 20, device);
    randomise_bn(&mut m.bnorm_2, 30, device);
    // Spatial filters with norms above the max-norm of 1, so it applies.
    randomise_conv(&mut m.conv_spatial, 40, 0.6, device);
    randomise_conv(&mut m.conv_classifier, 50, 0.3, device);
    m
}

fn shallow(chans: usize, times: usize, device: &Device) -> ShallowConvNet {
    let mut m = ShallowConvNetConfig::new(chans, CLASSES, times)
        .init(device)
        .unwrap();
    randomise_bn(m.bnorm.as_mut().unwrap(), 60, device);
    randomise_conv(&mut m.conv_time, 70, 0.2, device);
    randomise_conv(&mut m.conv_classifier, 80, 0.1, device);
    m
}

fn window(data: &[f32], channels: usize, samples: usize) -> Window<'_> {
    Window {
        index: 0,
        channels,
        samples,
        data,
        oldest_time: 0.0,
        newest_time: 0.0,
        newest_arrival: 0.0,
    }
}

fn classes() -> Vec<String> {
    (0..CLASSES).map(|i| format!("c{i}")).collect()
}

/// Max abs difference of probabilities (and logits) over a batch.
fn compare(
    forward: impl Fn(Tensor<3>) -> Tensor<2>,
    decoder: &mut dyn Decoder,
    logits_of: &mut dyn FnMut(&Window<'_>) -> Vec<f32>,
    chans: usize,
    times: usize,
    device: &Device,
) -> (f32, f32) {
    let x = uniform(BATCH * chans * times, 99, -2.0, 2.0);
    let input = Tensor::from_data(TensorData::new(x.clone(), [BATCH, chans, times]), device);
    let logits = forward(input);
    let want_p: Vec<f32> = softmax(logits.clone(), 1).into_data().try_to_vec().unwrap();
    let want_l: Vec<f32> = logits.into_data().try_to_vec().unwrap();
    let (mut dp, mut dl) = (0.0_f32, 0.0_f32);
    let mut p = vec![0.0; CLASSES];
    for (b, w) in x.chunks_exact(chans * times).enumerate() {
        let w = window(w, chans, times);
        decoder.decode(&w, &mut p).unwrap();
        let l = logits_of(&w);
        for k in 0..CLASSES {
            dp = dp.max((p[k] - want_p[b * CLASSES + k]).abs());
            dl = dl.max((l[k] - want_l[b * CLASSES + k]).abs());
        }
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
    (dp, dl)
}

#[test]
fn eegnet_inference_matches_the_faithful_forward() {
    let device = Device::flex();
    for (chans, times) in SHAPES {
        let model = eegnet(chans, times, &device);
        // The portable kernels on every CPU, the AVX2 ones where it has them.
        for portable in [true, false] {
            let mut inference = EEGNetInference::from_model(&model, classes()).unwrap();
            let mut other = EEGNetInference::from_model(&model, classes()).unwrap();
            if portable {
                inference.use_portable_kernels();
                other.use_portable_kernels();
            }
            assert_eq!(inference.uses_avx2(), !portable && cpu_has_avx2_fma());
            let (dp, dl) = compare(
                |x| model.forward(x),
                &mut inference,
                &mut |w| other.logits(w).unwrap().to_vec(),
                chans,
                times,
                &device,
            );
            let path = if portable { "portable" } else { "auto" };
            println!("EEGNet {chans}x{times} {path}: max |dp| {dp:e}, max |dlogit| {dl:e}");
            assert!(
                dp <= 1e-5,
                "EEGNet {chans}x{times} {path}: probabilities differ by {dp}"
            );
            assert!(
                dl <= LOGIT_TOLERANCE,
                "EEGNet {chans}x{times} {path}: logits differ by {dl}"
            );
        }
    }
}

#[test]
fn shallow_inference_matches_the_faithful_forward() {
    let device = Device::flex();
    for (chans, times) in SHAPES {
        let model = shallow(chans, times, &device);
        // The portable kernels on every CPU, the AVX2 ones where it has them.
        for portable in [true, false] {
            let mut inference = ShallowConvNetInference::from_model(&model, classes()).unwrap();
            let mut other = ShallowConvNetInference::from_model(&model, classes()).unwrap();
            if portable {
                inference.use_portable_kernels();
                other.use_portable_kernels();
            }
            assert_eq!(inference.uses_avx2(), !portable && cpu_has_avx2_fma());
            let (dp, dl) = compare(
                |x| model.forward(x),
                &mut inference,
                &mut |w| other.logits(w).unwrap().to_vec(),
                chans,
                times,
                &device,
            );
            let path = if portable { "portable" } else { "auto" };
            println!("ShallowConvNet {chans}x{times} {path}: max |dp| {dp:e}, max |dlogit| {dl:e}");
            assert!(
                dp <= 1e-5,
                "ShallowConvNet {chans}x{times} {path}: probabilities differ by {dp}"
            );
            assert!(
                dl <= LOGIT_TOLERANCE,
                "ShallowConvNet {chans}x{times} {path}: logits differ by {dl}"
            );
        }
    }
}

#[test]
fn braindecode_layouts_and_lengths() {
    let device = Device::flex();
    let m = EEGNetConfig::new(22, 4, 1000).init(&device).unwrap();
    assert_eq!(m.conv_temporal.weight.dims(), [8, 1, 1, 64]);
    assert_eq!(m.conv_spatial.weight.dims(), [16, 1, 22, 1]);
    assert_eq!(m.conv_separable_depth.weight.dims(), [16, 1, 1, 16]);
    assert_eq!(m.conv_separable_point.weight.dims(), [16, 16, 1, 1]);
    assert_eq!(m.conv_classifier.weight.dims(), [4, 16, 1, 31]);
    assert_eq!(
        m.shapes.temporal, 1001,
        "kernel 64 with padding 32 gives T + 1"
    );
    assert!((m.bnorm_1.epsilon - 1e-3).abs() < 1e-12 && (m.bnorm_1.momentum - 0.01).abs() < 1e-12);
    let s = ShallowConvNetConfig::new(22, 4, 1000)
        .init(&device)
        .unwrap();
    assert_eq!(s.conv_time.weight.dims(), [40, 1, 25, 1]);
    assert_eq!(s.conv_spat.weight.dims(), [40, 40, 1, 22]);
    assert!(s.conv_spat.bias.is_none());
    assert_eq!(s.conv_classifier.weight.dims(), [4, 40, 61, 1]);
    let bn = s.bnorm.as_ref().unwrap();
    assert!((bn.epsilon - 1e-5).abs() < 1e-12 && (bn.momentum - 0.1).abs() < 1e-12);
    let x = Tensor::<3>::zeros([2, 22, 1000], &device);
    assert_eq!(m.forward(x.clone()).dims(), [2, 4]);
    assert_eq!(s.forward(x).dims(), [2, 4]);
}

fn config_paths(e: DecodeError) -> Vec<String> {
    match e {
        DecodeError::Config(errors) => errors.into_iter().map(|e| e.path).collect(),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn bad_configurations_are_config_errors() {
    let device = Device::flex();
    // EEGNet needs 27 samples with the default pools: 28 after the
    // temporal filter, 7 after pool_1, 8 after the depthwise filter, 1 after pool_2.
    let e = EEGNetConfig::new(22, 4, 26).init(&device).unwrap_err();
    assert!(e.to_string().contains("at least 27"), "{e}");
    assert_eq!(config_paths(e), ["n_times"]);
    let m = EEGNetConfig::new(22, 4, 27).init(&device).unwrap();
    assert_eq!(m.shapes.pooled_2, 1);
    let e = ShallowConvNetConfig::new(22, 4, 98)
        .init(&device)
        .unwrap_err();
    assert!(e.to_string().contains("at least 99"), "{e}");
    assert!(ShallowConvNetConfig::new(22, 4, 99).init(&device).is_ok());
    let e = EEGNetConfig::new(0, 4, 500)
        .with_drop_prob(1.5)
        .shapes()
        .unwrap_err();
    assert_eq!(config_paths(e), ["n_chans", "drop_prob"]);
    let e = ShallowConvNetConfig::new(8, 2, 500)
        .with_final_conv_length(Some(3))
        .shapes()
        .unwrap_err();
    assert_eq!(config_paths(e), ["final_conv_length"]);

    let model = EEGNetConfig::new(8, 2, 256).init(&device).unwrap();
    let e = EEGNetInference::from_model(&model, classes()).unwrap_err();
    assert_eq!(config_paths(e), ["classes"]);
    let max = ShallowConvNetConfig::new(8, 2, 256)
        .with_pool_mode(PoolMode::Max)
        .init(&device)
        .unwrap();
    let e = ShallowConvNetInference::from_model(&max, vec!["a".into(), "b".into()]).unwrap_err();
    assert_eq!(config_paths(e), ["pool_mode"]);
}

#[test]
fn bad_windows_are_specific_errors_and_leave_the_output_alone() {
    let device = Device::flex();
    let two = vec!["a".to_string(), "b".to_string()];
    let e = EEGNetConfig::new(8, 2, 256).init(&device).unwrap();
    let s = ShallowConvNetConfig::new(8, 2, 256).init(&device).unwrap();
    let decoders: Vec<Box<dyn Decoder>> = vec![
        Box::new(EEGNetInference::from_model(&e, two.clone()).unwrap()),
        Box::new(ShallowConvNetInference::from_model(&s, two.clone()).unwrap()),
    ];
    assert!(e.try_forward(Tensor::zeros([1, 7, 256], &device)).is_err());
    assert!(s.try_forward(Tensor::zeros([1, 8, 255], &device)).is_err());
    for mut d in decoders {
        assert_eq!(d.input_shape(), (8, 256));
        let mut data = uniform(8 * 256, 3, -1.0, 1.0);
        let mut p = [7.0_f32; 2];
        assert!(matches!(
            d.decode(&window(&data, 8, 255), &mut p),
            Err(DecodeError::WindowShape {
                expected_samples: 256,
                samples: 255,
                ..
            })
        ));
        assert!(matches!(
            d.decode(&window(&data[..8 * 256 - 1], 8, 256), &mut p),
            Err(DecodeError::WindowShape { len: 2047, .. })
        ));
        data[3 * 256 + 17] = f32::NAN;
        let err = d.decode(&window(&data, 8, 256), &mut p).unwrap_err();
        assert_eq!(
            err,
            DecodeError::NonFinite {
                channel: 3,
                sample: 17
            }
        );
        assert!(err.is_artifact());
        assert_eq!(p, [7.0, 7.0], "output untouched on error");
        data[3 * 256 + 17] = 0.0;
        let mut short = [0.0_f32; 3];
        assert!(matches!(
            d.decode(&window(&data, 8, 256), &mut short),
            Err(DecodeError::ProbabilitiesLength {
                expected: 2,
                got: 3
            })
        ));
        d.decode(&window(&data, 8, 256), &mut p).unwrap();
        assert!((p[0] + p[1] - 1.0).abs() < 1e-6 && p.iter().all(|v| *v > 0.0));
    }
}
