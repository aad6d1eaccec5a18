//! The inference forms of EEGNet and ShallowConvNet allocate nothing per
//! decode: zero allocations over 10^4 calls, from the first, with small
//! models (the crate is built without optimisation in tests; sizes do not
//! change the count), and over a few calls of EEGNet at 22 × 1000. With
//! Euclidean alignment on (`align = true`), the running covariance mean,
//! its eigendecomposition and the whitened window add none either.
//!
//! A counting global allocator counts only on the thread that sets the
//! thread-local flag, so other test threads do not disturb the count.

use burn::tensor::Device;
use neuroloop_core::Window;
use neuroloop_decode::fit::{EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{
    Decoder, EEGNetConfig, EEGNetInference, ShallowConvNetConfig, ShallowConvNetInference,
};

mod counting;

use counting::allocations as count_allocations;

const CALLS: usize = 10_000;
const WINDOWS: usize = 20;

/// Decodes `CALLS` windows (bad ones included) and returns the total count
/// of allocations made inside `decode`.
fn allocations(decoder: &mut dyn Decoder, channels: usize, samples: usize, calls: usize) -> usize {
    let (mut x, _) = MotorImagery::new(channels, samples, 250.0).generate(WINDOWS, 5);
    let len = channels * samples;
    // One window with an artifact: the error path must not allocate either.
    x[3 * len + 11] = f32::NAN;
    let mut p = [0.0_f32; 2];
    let mut total = 0;
    let mut errors = 0;
    for i in 0..calls {
        let k = i % WINDOWS;
        let w = Window {
            index: i as u64,
            channels,
            samples,
            data: &x[k * len..(k + 1) * len],
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        let (result, made) = count_allocations(|| decoder.decode(&w, &mut p));
        total += made;
        errors += usize::from(result.is_err());
    }
    assert_eq!(
        errors,
        (calls + WINDOWS - 4) / WINDOWS,
        "only the artifact window fails"
    );
    total
}

#[test]
fn eegnet_inference_never_allocates() {
    let device = Device::flex();
    let classes = vec!["left".to_string(), "right".to_string()];
    let model = EEGNetConfig::new(4, 2, 64)
        .with_f1(2)
        .with_d(1)
        .with_kernel_length(16)
        .init(&device)
        .unwrap();
    let mut decoder = EEGNetInference::from_model(&model, classes).unwrap();
    assert_eq!(allocations(&mut decoder, 4, 64, CALLS), 0);
}

#[test]
fn shallow_inference_never_allocates() {
    let device = Device::flex();
    let classes = vec!["left".to_string(), "right".to_string()];
    let model = ShallowConvNetConfig::new(4, 2, 64)
        .with_n_filters_time(4)
        .with_n_filters_spat(4)
        .with_filter_time_length(5)
        .with_pool_time_length(10)
        .with_pool_time_stride(5)
        .init(&device)
        .unwrap();
    let mut decoder = ShallowConvNetInference::from_model(&model, classes).unwrap();
    assert_eq!(allocations(&mut decoder, 4, 64, CALLS), 0);
}

#[test]
fn eegnet_inference_at_full_size_never_allocates() {
    let device = Device::flex();
    let classes = vec!["left".to_string(), "right".to_string()];
    let model = EEGNetConfig::new(22, 2, 1000).init(&device).unwrap();
    let mut decoder = EEGNetInference::from_model(&model, classes).unwrap();
    assert_eq!(allocations(&mut decoder, 22, 1000, 24), 0);
}

#[test]
fn aligned_networks_never_allocate() {
    let (data, labels) = MotorImagery::new(4, 64, 250.0).generate(24, 1);
    let classes = vec!["left".to_string(), "right".to_string()];
    let set = EpochSet::new(4, 64, 250.0, classes, data, labels).unwrap();
    let options = FitOptions {
        max_epochs: 1,
        min_epochs: 1,
        ..FitOptions::default()
    };
    let eegnet = Hyperparameters::default()
        .with("align", true)
        .with("f1", 2)
        .with("d", 1)
        .with("kernel_length", 16);
    let shallow = Hyperparameters::default()
        .with("align", true)
        .with("n_filters_time", 4)
        .with("n_filters_spat", 4)
        .with("filter_time_length", 5)
        .with("pool_time_length", 10)
        .with("pool_time_stride", 5);
    for spec in [
        ModelSpec::with_spec("eegnet", &eegnet).unwrap(),
        ModelSpec::with_spec("shallow_convnet", &shallow).unwrap(),
    ] {
        let model = fit(&spec, &set, &options, &mut |_| {}).unwrap();
        let mut decoder = model.into_decoder().unwrap();
        assert_eq!(
            allocations(decoder.as_mut(), 4, 64, CALLS),
            0,
            "{} with align",
            spec.architecture()
        );
    }
}
