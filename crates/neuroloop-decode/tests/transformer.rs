//! The patch transformer: its real-time form against the burn forward pass,
//! allocation-free decoding, training under autodiff, and its errors.

use burn::module::{Module, Param};
use burn::nn::LinearConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use neuroloop_core::Window;
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{
    DecodeError, Decoder, EegTransformer, TransformerConfig, TransformerInference,
};

mod counting;
mod torch_fixture;

use counting::allocations;
use torch_fixture::cpu_has_avx2_fma;

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

fn labels(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("class{i}")).collect()
}

fn random<const D: usize>(shape: [usize; D], std: f64, device: &Device) -> Param<Tensor<D>> {
    Param::from_tensor(Tensor::random(
        shape,
        Distribution::Normal(0.0, std),
        device,
    ))
}

/// Replaces the parameters the default init leaves trivial (layer norms at
/// 1 and 0, tiny embeddings) with random ones, so every fusion is exercised.
fn randomize(mut model: EegTransformer, device: &Device) -> EegTransformer {
    let [n_chans, d] = model.channel_embed.dims();
    let [n_patches, _] = model.time_embed.dims();
    model.channel_embed = random([n_chans, d], 0.5, device);
    model.time_embed = random([n_patches, d], 0.5, device);
    model.cls = random([d], 0.5, device);
    let norms = model
        .encoder
        .layers
        .iter_mut()
        .flat_map(|l| [&mut l.norm_1, &mut l.norm_2])
        .chain([&mut model.norm]);
    for norm in norms {
        norm.gamma =
            Param::from_tensor(Tensor::random([d], Distribution::Uniform(0.5, 1.5), device));
        norm.beta = Some(random([d], 0.3, device));
    }
    let [_, n_out] = model.head.weight.dims();
    model.head.weight = random([d, n_out], 1.0, device);
    model
}

fn check_against_burn(config: &TransformerConfig, seed: u64) {
    let device = Device::flex();
    device.seed(seed);
    let model = randomize(config.init(&device).unwrap(), &device);
    let (c, t) = (config.n_chans, config.n_times);
    let n = 3;
    let (x, _) = MotorImagery::new(c, t, 250.0).generate(n, seed);
    let input = Tensor::from_data(TensorData::new(x.clone(), [n, c, t]), &device);
    let want = softmax(model.forward(input), 1)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();

    // The portable kernels on every CPU, the AVX2 ones where the CPU has them.
    for portable in [true, false] {
        let mut decoder =
            TransformerInference::from_model(&model, labels(config.n_outputs)).unwrap();
        if portable {
            decoder.use_portable_kernels();
        }
        assert_eq!(decoder.uses_avx2(), !portable && cpu_has_avx2_fma());
        assert_eq!(decoder.input_shape(), (c, t));
        let k = config.n_outputs;
        let mut spread = 0.0_f32;
        for (i, want) in want.chunks_exact(k).enumerate() {
            let mut p = vec![0.0_f32; k];
            decoder
                .decode(&window(&x[i * c * t..(i + 1) * c * t], c, t), &mut p)
                .unwrap();
            for (got, want) in p.iter().zip(want) {
                assert!(
                    (got - want).abs() <= 1e-5,
                    "portable {portable}, window {i}: {p:?} vs {want:?}"
                );
            }
            let max = want.iter().fold(0.0_f32, |a, &b| a.max(b));
            spread = spread.max(max - 1.0 / k as f32);
        }
        // The comparison means something only if the classes are told apart.
        assert!(spread > 0.05, "probabilities are all near uniform");
    }
}

#[test]
fn realtime_form_matches_burn_at_22x1000() {
    let config = TransformerConfig::new(22, 4, 1000).with_patch_len(25);
    check_against_burn(&config, 11);
}

#[test]
fn realtime_form_matches_burn_at_64x256() {
    let config = TransformerConfig::new(64, 3, 256).with_patch_len(32);
    check_against_burn(&config, 12);
}

#[test]
fn realtime_form_matches_burn_with_other_widths() {
    // One head per 16 features, three layers, a narrow MLP.
    let config = TransformerConfig::new(5, 2, 120)
        .with_patch_len(20)
        .with_d_model(48)
        .with_n_heads(3)
        .with_n_layers(3)
        .with_d_ff(24);
    check_against_burn(&config, 13);
}

#[test]
fn decoding_never_allocates() {
    // Small widths keep 10^4 unoptimised calls quick; the buffers are the
    // same kind at any size.
    let (c, t) = (4, 64);
    let config = TransformerConfig::new(c, 2, t)
        .with_patch_len(16)
        .with_d_model(8)
        .with_n_heads(2)
        .with_d_ff(16);
    let model = config.init(&Device::flex()).unwrap();
    let mut decoder = TransformerInference::from_model(&model, labels(2)).unwrap();
    let (x, _) = MotorImagery::new(c, t, 64.0).generate(16, 3);
    let mut p = [0.0_f32; 2];
    let (failures, allocations) = allocations(|| {
        let mut failures = 0;
        for i in 0..10_000 {
            let w = window(&x[(i % 16) * c * t..(i % 16 + 1) * c * t], c, t);
            failures += usize::from(decoder.decode(&w, &mut p).is_err());
        }
        failures
    });
    assert_eq!(failures, 0);
    assert_eq!(allocations, 0, "{allocations} allocations in 10^4 decodes");
}

#[test]
fn adam_steps_under_autodiff_reduce_the_loss() {
    let (c, t) = (4, 64);
    let (x, y) = MotorImagery::new(c, t, 64.0).generate(48, 5);
    let n = y.len();
    let plain = Device::flex();
    plain.seed(5);
    let device = plain.clone().autodiff();
    let config = TransformerConfig::new(c, 2, t).with_patch_len(16);
    let mut model = config.init(&device).unwrap();
    let mut onehot = vec![0.0_f32; n * 2];
    for (i, &label) in y.iter().enumerate() {
        onehot[i * 2 + label] = 1.0;
    }
    let loss_of = |model: &EegTransformer, device: &Device| {
        let input = Tensor::from_data(TensorData::new(x.clone(), [n, c, t]), device);
        let target = Tensor::<2>::from_data(TensorData::new(onehot.clone(), [n, 2]), device);
        (log_softmax(model.forward(input), 1) * target)
            .sum_dim(1)
            .mean()
            .neg()
    };
    let eval_loss =
        |model: &EegTransformer| -> f32 { loss_of(&model.valid(), &plain).into_scalar() };
    let initial = eval_loss(&model);
    let mut optimizer = AdamConfig::new().init();
    for _ in 0..40 {
        let loss = loss_of(&model, &device);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(3e-3, model, grads);
    }
    let trained = eval_loss(&model);
    assert!(
        trained < 0.7 * initial,
        "loss {initial} -> {trained} after 40 Adam steps"
    );
}

fn config_paths(result: Result<EegTransformer, DecodeError>) -> Vec<String> {
    match result {
        Err(DecodeError::Config(errors)) => errors.into_iter().map(|e| e.path).collect(),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn bad_configs_name_every_bad_field() {
    let device = Device::flex();
    let paths = config_paths(
        TransformerConfig::new(8, 2, 250)
            .with_patch_len(32)
            .with_d_model(30)
            .with_dropout(1.0)
            .init(&device),
    );
    assert_eq!(
        paths,
        [
            "transformer.n_times",
            "transformer.n_heads",
            "transformer.dropout"
        ]
    );
    let paths = config_paths(
        TransformerConfig::new(0, 2, 100)
            .with_n_layers(0)
            .init(&device),
    );
    assert_eq!(paths, ["transformer.n_chans", "transformer.n_layers"]);
    let paths = config_paths(
        TransformerConfig::new(2, 2, 100)
            .with_patch_len(0)
            .init(&device),
    );
    assert_eq!(paths, ["transformer.patch_len"]);
    let paths = config_paths(
        TransformerConfig::new(256, 2, 1000)
            .with_patch_len(10)
            .init(&device),
    );
    assert_eq!(paths, ["transformer.patch_len"], "25601 tokens is too many");
}

#[test]
fn bad_windows_and_buffers_get_their_errors() {
    let (c, t) = (3, 40);
    let model = TransformerConfig::new(c, 2, t)
        .with_patch_len(10)
        .init(&Device::flex())
        .unwrap();
    assert!(matches!(
        TransformerInference::from_model(&model, labels(3)),
        Err(DecodeError::Config(_))
    ));
    let mut decoder = TransformerInference::from_model(&model, labels(2)).unwrap();
    let mut mismatched = model.clone();
    mismatched.head = LinearConfig::new(16, 2).init(&Device::flex());
    assert!(matches!(
        TransformerInference::from_model(&mismatched, labels(2)),
        Err(DecodeError::RecordMismatch(_))
    ));
    let mut data = vec![0.5_f32; c * t];
    let mut p = [7.0_f32; 2];
    assert!(matches!(
        decoder.decode(&window(&data, c, t - 1), &mut p),
        Err(DecodeError::WindowShape { samples: 39, .. })
    ));
    assert!(matches!(
        decoder.decode(&window(&data[1..], c, t), &mut p),
        Err(DecodeError::WindowShape { len: 119, .. })
    ));
    data[t + 7] = f32::NAN;
    assert_eq!(
        decoder.decode(&window(&data, c, t), &mut p),
        Err(DecodeError::NonFinite {
            channel: 1,
            sample: 7
        })
    );
    data[t + 7] = 0.0;
    assert_eq!(
        decoder.decode(&window(&data, c, t), &mut [0.0; 3]),
        Err(DecodeError::ProbabilitiesLength {
            expected: 2,
            got: 3
        })
    );
    assert_eq!(p, [7.0; 2], "errors leave the output alone");
    decoder.decode(&window(&data, c, t), &mut p).unwrap();
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
}
