//! The `wgpu` device (built with `--features wgpu`): EEGNet, ShallowConvNet
//! and the patch transformer give the same logits on the GPU as on the CPU
//! (within 1e-4), and EEGNet trains there.
//!
//! Run where a GPU or a software Vulkan driver exists (the test command
//! runs it on Mesa's lavapipe, installed by `.ci/run`):
//! `cargo test -p neuroloop-decode --features wgpu --test wgpu`. Without any
//! wgpu adapter the first tensor operation fails and so does the test.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{ComputeDevice, EEGNetConfig, ShallowConvNetConfig, TransformerConfig};

const CHANNELS: usize = 8;
const SAMPLES: usize = 250;
const WINDOWS: usize = 16;

fn batch(device: &Device) -> (Tensor<3>, Tensor<2>) {
    let (x, y) = MotorImagery::new(CHANNELS, SAMPLES, 125.0).generate(WINDOWS, 5);
    let mut onehot = vec![0.0_f32; WINDOWS * 2];
    for (i, &l) in y.iter().enumerate() {
        onehot[i * 2 + l] = 1.0;
    }
    (
        Tensor::from_data(TensorData::new(x, [WINDOWS, CHANNELS, SAMPLES]), device),
        Tensor::from_data(TensorData::new(onehot, [WINDOWS, 2]), device),
    )
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 tensor")
}

fn loss(logits: Tensor<2>, onehot: Tensor<2>) -> Tensor<1> {
    (log_softmax(logits, 1) * onehot).sum_dim(1).mean().neg()
}

/// The largest difference between the logits `forward` gives for the same
/// batch and weights on the CPU and on wgpu.
macro_rules! cpu_wgpu_difference {
    ($model:expr) => {{
        let cpu = Device::flex();
        let gpu = ComputeDevice::Wgpu.burn_device().expect("built with wgpu");
        let model = $model.init(&cpu).expect("model");
        let (x, _) = batch(&cpu);
        let on_cpu = values(model.forward(x.clone()));
        let on_gpu = values(model.to_device(&gpu).forward(x.to_device(&gpu)));
        assert_eq!(on_cpu.len(), WINDOWS * 2);
        assert!(on_gpu.iter().all(|v| v.is_finite()), "{on_gpu:?}");
        // Logits of different windows differ: a forward that ignored its
        // input would not pass for a working one.
        assert!(on_cpu.chunks(2).any(|w| w != &on_cpu[..2]), "{on_cpu:?}");
        on_cpu
            .iter()
            .zip(&on_gpu)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0_f32, f32::max)
    }};
}

#[test]
fn eegnet_logits_on_wgpu_equal_the_cpu_ones() {
    let diff = cpu_wgpu_difference!(EEGNetConfig::new(CHANNELS, 2, SAMPLES));
    eprintln!("EEGNet: max |cpu - wgpu| = {diff:e}");
    assert!(diff <= 1e-4, "logits differ by {diff}");
}

#[test]
fn shallow_convnet_logits_on_wgpu_equal_the_cpu_ones() {
    let diff = cpu_wgpu_difference!(ShallowConvNetConfig::new(CHANNELS, 2, SAMPLES));
    eprintln!("ShallowConvNet: max |cpu - wgpu| = {diff:e}");
    assert!(diff <= 1e-4, "logits differ by {diff}");
}

#[test]
fn transformer_logits_on_wgpu_equal_the_cpu_ones() {
    let diff =
        cpu_wgpu_difference!(TransformerConfig::new(CHANNELS, 2, SAMPLES).with_patch_len(25));
    eprintln!("transformer: max |cpu - wgpu| = {diff:e}");
    assert!(diff <= 1e-4, "logits differ by {diff}");
}

#[test]
fn eegnet_trains_on_wgpu() {
    let device = ComputeDevice::Wgpu
        .burn_device()
        .expect("built with wgpu")
        .autodiff();
    let mut model = EEGNetConfig::new(CHANNELS, 2, SAMPLES)
        .init(&device)
        .expect("model");
    let (x, onehot) = batch(&device);
    let first = values(loss(model.forward(x.clone()), onehot.clone()))[0];
    let mut optimizer = AdamConfig::new().init();
    let mut last = first;
    for _ in 0..20 {
        let l = loss(model.forward(x.clone()), onehot.clone());
        last = values(l.clone())[0];
        assert!(last.is_finite());
        let grads = GradientsParams::from_grads(l.backward(), &model);
        model = optimizer.step(1e-2, model, grads);
    }
    eprintln!("training loss on wgpu: {first:.3} -> {last:.3}");
    assert!(last < 0.7 * first, "loss {first} -> {last}");
}
