//! EEGNet and ShallowConvNet train under burn autodiff: a few Adam steps on
//! a separable synthetic motor-imagery set reduce the cross-entropy, and the
//! faithful modules run dropout and batch norm in training mode only on an
//! autodiff device.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{EEGNetConfig, ShallowConvNetConfig};

const CHANNELS: usize = 8;
const SAMPLES: usize = 250;
const WINDOWS: usize = 24;
const STEPS: usize = 12;

fn data(device: &Device) -> (Tensor<3>, Tensor<2>) {
    let (x, y) = MotorImagery::new(CHANNELS, SAMPLES, 125.0).generate(WINDOWS, 3);
    let x = Tensor::from_data(TensorData::new(x, [WINDOWS, CHANNELS, SAMPLES]), device);
    let mut onehot = vec![0.0_f32; WINDOWS * 2];
    for (i, &l) in y.iter().enumerate() {
        onehot[i * 2 + l] = 1.0;
    }
    (
        x,
        Tensor::from_data(TensorData::new(onehot, [WINDOWS, 2]), device),
    )
}

fn loss(logits: Tensor<2>, onehot: Tensor<2>) -> Tensor<1> {
    (log_softmax(logits, 1) * onehot).sum_dim(1).mean().neg()
}

fn scalar(t: Tensor<1>) -> f32 {
    t.into_data().try_to_vec::<f32>().unwrap()[0]
}

/// Trains `STEPS` full-batch Adam steps and returns the eval-mode loss
/// before and after.
macro_rules! train {
    ($model:expr) => {{
        let device = Device::flex().autodiff();
        let (x, onehot) = data(&device);
        let mut model = $model.init(&device).unwrap();
        let (x_eval, onehot_eval) = data(&Device::flex());
        let before = scalar(loss(
            model.valid().forward(x_eval.clone()),
            onehot_eval.clone(),
        ));
        let mut optimizer = AdamConfig::new().init();
        for _ in 0..STEPS {
            let l = loss(model.forward(x.clone()), onehot.clone());
            assert!(scalar(l.clone()).is_finite());
            let grads = GradientsParams::from_grads(l.backward(), &model);
            model = optimizer.step(1e-2, model, grads);
        }
        let after = scalar(loss(model.valid().forward(x_eval), onehot_eval));
        (before, after, model)
    }};
}

#[test]
fn eegnet_adam_steps_reduce_the_loss() {
    let (before, after, model) = train!(EEGNetConfig::new(CHANNELS, 2, SAMPLES));
    println!("EEGNet eval loss {before} -> {after}");
    assert!(after < before * 0.9, "loss {before} -> {after}");
    // Training moved the batch-norm running statistics away from (0, 1).
    let mean = model.bnorm_1.running_mean.value().abs().sum();
    assert!(scalar(mean) > 0.0);
}

#[test]
fn shallow_adam_steps_reduce_the_loss() {
    let (before, after, model) = train!(ShallowConvNetConfig::new(CHANNELS, 2, SAMPLES));
    println!("ShallowConvNet eval loss {before} -> {after}");
    assert!(after < before * 0.9, "loss {before} -> {after}");
    assert!(model.num_params() > 0);
}

#[test]
fn dropout_is_active_only_on_an_autodiff_device() {
    let config = EEGNetConfig::new(CHANNELS, 2, SAMPLES).with_drop_prob(0.5);
    let plain = Device::flex();
    let model = config.init(&plain).unwrap();
    let (x, _) = data(&plain);
    let a = model.forward(x.clone()).into_data();
    let b = model.forward(x).into_data();
    assert_eq!(a, b, "eval mode on a plain device is deterministic");

    let ad = Device::flex().autodiff();
    let model = config.init(&ad).unwrap();
    let (x, _) = data(&ad);
    let a: Vec<f32> = model.forward(x.clone()).into_data().try_to_vec().unwrap();
    let b: Vec<f32> = model.forward(x).into_data().try_to_vec().unwrap();
    assert_ne!(a, b, "dropout draws a new mask on every training forward");
}
