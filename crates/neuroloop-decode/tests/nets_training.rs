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
    let (before, after, _) = train!(EEGNetConfig::new(CHANNELS, 2, SAMPLES));
    println!("EEGNet eval loss {before} -> {after}");
    assert!(after < before * 0.9, "loss {before} -> {after}");
    // How training moves the running statistics is checked, value by
    // value, in `a_training_forward_updates_batch_norm_by_its_momentum`.
}

#[test]
fn shallow_adam_steps_reduce_the_loss() {
    let (before, after, model) = train!(ShallowConvNetConfig::new(CHANNELS, 2, SAMPLES));
    println!("ShallowConvNet eval loss {before} -> {after}");
    assert!(after < before * 0.9, "loss {before} -> {after}");
    // conv_time 40 x 25 + 40 bias; conv_spat 40 x 40 x 8 channels, no bias;
    // batch norm 40 scales + 40 shifts, and its 40 running means + 40
    // running variances (burn counts every float tensor of the module);
    // classifier 2 x 40 x 11 + 2 bias, where 11 = (250 - 25 + 1 - 75) / 15 + 1
    // pooled samples.
    assert_eq!(
        model.num_params(),
        40 * 25 + 40 + 40 * 40 * CHANNELS + 2 * 40 + 2 * 40 + 2 * 40 * 11 + 2
    );
}

/// One training-mode forward of EEGNet from its initial running statistics
/// (mean 0, variance 1): `bnorm_temporal` now holds momentum (0.01) times
/// the batch mean of each temporal filter's output, and `0.99 + 0.01 ×`
/// its batch variance (the batch has 48 192 values per filter, so biased
/// and unbiased variance agree to 2e-5 and are not told apart here).
#[test]
fn a_training_forward_updates_batch_norm_by_its_momentum() {
    let device = Device::flex().autodiff();
    let (x, _) = data(&device);
    let model = EEGNetConfig::new(CHANNELS, 2, SAMPLES)
        .init(&device)
        .unwrap();
    let h = model
        .conv_temporal
        .forward(x.clone().reshape([WINDOWS, 1, CHANNELS, SAMPLES]));
    let [batch, filters, rows, times] = h.dims();
    let h: Vec<f32> = h.into_data().try_to_vec().unwrap();
    let _ = model.forward(x);
    // The eval-mode copy takes the statistics the forward left behind.
    let model = model.valid();
    let running_mean: Vec<f32> = model
        .bnorm_temporal
        .running_mean
        .value()
        .into_data()
        .try_to_vec()
        .unwrap();
    let running_var: Vec<f32> = model
        .bnorm_temporal
        .running_var
        .value()
        .into_data()
        .try_to_vec()
        .unwrap();
    let per_map = rows * times;
    for f in 0..filters {
        let values: Vec<f64> = (0..batch)
            .flat_map(|b| {
                let at = (b * filters + f) * per_map;
                h[at..at + per_map].iter().map(|&v| f64::from(v))
            })
            .collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let (want_mean, want_var) = (0.01 * mean, 0.99 + 0.01 * var);
        println!(
            "filter {f}: running mean {} (want {want_mean:e}), var {} (want {want_var})",
            running_mean[f], running_var[f]
        );
        // Measured over 6 random initialisations: mean off by at most 4e-10
        // (1e-4 relative; f32 sums of 48 192 values), variance by 1.6e-7.
        assert!(
            (f64::from(running_mean[f]) - want_mean).abs() <= 1e-3 * want_mean.abs() + 2e-9,
            "filter {f}: running mean {} vs {want_mean}",
            running_mean[f]
        );
        assert!(
            (f64::from(running_var[f]) - want_var).abs() <= 1e-5 * want_var,
            "filter {f}: running variance {} vs {want_var}",
            running_var[f]
        );
    }
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
