//! EEGNet (Lawhern et al. 2018) as braindecode 1.8 builds it (`EEGNet`,
//! version 4, default `final_layer_with_constraint=False`): the faithful
//! burn form, trained with autodiff.
//!
//! Layers, in braindecode's order and with its state-dict names:
//! `conv_temporal` (1 → F1, kernel `(1, kernel_length)`, padding
//! `kernel_length / 2`, no bias) → `bnorm_temporal` → `conv_spatial`
//! (depthwise over all channels, F1 → F1·D, groups F1, no bias, max-norm
//! `conv_spatial_max_norm` on each filter, re-applied in every forward like
//! braindecode's parametrization) → `bnorm_1` → ELU → `pool_1` → `drop_1` →
//! `conv_separable_depth` (depthwise, kernel `(1, depthwise_kernel_length)`,
//! padding half) → `conv_separable_point` (1×1, F1·D → F2) → `bnorm_2` → ELU
//! → `pool_2` → `drop_2` → `final_layer.conv_classifier` (F2 → n_outputs,
//! kernel `(1, final_conv_length)`, bias), squeezed to logits.
//!
//! Batch norms use braindecode's momentum 0.01 and epsilon 1e-3 (burn's
//! momentum has PyTorch's meaning). One difference remains in training:
//! burn updates the running variance with the biased batch variance,
//! PyTorch with the unbiased one (a factor `n / (n - 1)`, `n` = batch ×
//! samples, negligible at EEG window lengths).
//!
//! # Shapes
//! Input `[batch, n_chans, n_times]`, seen as braindecode's
//! `[batch, 1, n_chans, n_times]`; after `conv_temporal` the time axis has
//! `n_times + 1` samples for an even kernel length (see [`EEGNetShapes`]);
//! output logits `[batch, n_outputs]`.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, PaddingConfig2d};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor};
use neuroloop_core::ConfigError;
use serde::{Deserialize, Serialize};

use super::common::{PoolMode, check_input, elu, pool2d, positive, renorm_rows, unit_interval};
use crate::DecodeError;

/// Hyper-parameters of [`EEGNet`], with braindecode 1.8's names (in snake
/// case) and defaults.
#[derive(Config, Debug)]
pub struct EEGNetConfig {
    /// Input channels (electrodes).
    pub n_chans: usize,
    /// Classes (logits).
    pub n_outputs: usize,
    /// Samples per window.
    pub n_times: usize,
    /// Time extent of the classifier convolution; `None` is braindecode's
    /// `"auto"` (the whole remaining time axis), the only value that gives
    /// one prediction per window.
    #[config(default = "None")]
    pub final_conv_length: Option<usize>,
    /// Pooling of `pool_1` and `pool_2`.
    #[config(default = "PoolMode::Mean")]
    pub pool_mode: PoolMode,
    /// Temporal filters (`F1`).
    #[config(default = 8)]
    pub f1: usize,
    /// Spatial filters per temporal filter (`D`).
    #[config(default = 2)]
    pub d: usize,
    /// Pointwise filters (`F2`); `None` means `F1 * D`.
    #[config(default = "None")]
    pub f2: Option<usize>,
    /// Length of the temporal kernel.
    #[config(default = 64)]
    pub kernel_length: usize,
    /// Length of the separable block's depthwise kernel.
    #[config(default = 16)]
    pub depthwise_kernel_length: usize,
    /// Kernel and stride of `pool_1`.
    #[config(default = 4)]
    pub pool1_kernel_size: usize,
    /// Kernel and stride of `pool_2`.
    #[config(default = 8)]
    pub pool2_kernel_size: usize,
    /// Max L2 norm of each spatial filter.
    #[config(default = 1.0)]
    pub conv_spatial_max_norm: f64,
    /// Batch-norm momentum (PyTorch meaning).
    #[config(default = 0.01)]
    pub batch_norm_momentum: f64,
    /// Whether batch norms learn a scale and shift.
    #[config(default = true)]
    pub batch_norm_affine: bool,
    /// Batch-norm epsilon.
    #[config(default = 1e-3)]
    pub batch_norm_eps: f64,
    /// Dropout probability of `drop_1` and `drop_2`.
    #[config(default = 0.25)]
    pub drop_prob: f64,
    /// braindecode's flattened max-norm linear head; only `false` (the
    /// default convolutional classifier) is built here.
    #[config(default = false)]
    pub final_layer_with_constraint: bool,
    /// Max-norm of the linear head (unused with the convolutional head).
    #[config(default = 0.25)]
    pub norm_rate: f64,
}

/// Time-axis lengths through an [`EEGNet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EEGNetShapes {
    /// Spatial filters, `F1 * D`.
    pub depth: usize,
    /// Pointwise filters, `F2`.
    pub f2: usize,
    /// Samples after `conv_temporal` (`n_times + 1` for an even kernel).
    pub temporal: usize,
    /// Samples after `pool_1`.
    pub pooled_1: usize,
    /// Samples after `conv_separable_depth`.
    pub separable: usize,
    /// Samples after `pool_2`: the classifier's kernel length.
    pub pooled_2: usize,
}

impl EEGNetConfig {
    /// Checks every hyper-parameter and the window length.
    ///
    /// # Errors
    /// [`DecodeError::Config`] listing every problem: zero sizes, a
    /// probability outside `[0, 1)`, a window too short for the pools (with
    /// the minimum), an unsupported head or a `final_conv_length` that would
    /// not give one prediction per window.
    pub fn shapes(&self) -> Result<EEGNetShapes, DecodeError> {
        let mut errors = Vec::new();
        let f2 = self.f2.unwrap_or(self.f1 * self.d);
        positive(
            &mut errors,
            &[
                ("n_chans", self.n_chans),
                ("n_outputs", self.n_outputs),
                ("n_times", self.n_times),
                ("F1", self.f1),
                ("D", self.d),
                ("F2", f2),
                ("kernel_length", self.kernel_length),
                ("depthwise_kernel_length", self.depthwise_kernel_length),
                ("pool1_kernel_size", self.pool1_kernel_size),
                ("pool2_kernel_size", self.pool2_kernel_size),
            ],
        );
        unit_interval(&mut errors, "drop_prob", self.drop_prob);
        unit_interval(&mut errors, "batch_norm_momentum", self.batch_norm_momentum);
        if !(self.batch_norm_eps > 0.0 && self.batch_norm_eps.is_finite()) {
            errors.push(ConfigError::new(
                "batch_norm_eps",
                "must be finite and positive",
            ));
        }
        if self.conv_spatial_max_norm.is_nan() || self.conv_spatial_max_norm <= 0.0 {
            errors.push(ConfigError::new(
                "conv_spatial_max_norm",
                "must be positive",
            ));
        }
        if self.final_layer_with_constraint {
            errors.push(ConfigError::new(
                "final_layer_with_constraint",
                "only the convolutional classifier (false) is supported",
            ));
        }
        if !errors.is_empty() {
            return Err(DecodeError::Config(errors));
        }
        let (k, dk, p1, p2) = (
            self.kernel_length,
            self.depthwise_kernel_length,
            self.pool1_kernel_size,
            self.pool2_kernel_size,
        );
        // Output length of a stride-1 convolution with symmetric padding.
        let grow = |len: usize, kernel: usize| (len + 2 * (kernel / 2)).checked_sub(kernel - 1);
        let temporal = grow(self.n_times, k).unwrap_or(0);
        let pooled_1 = temporal / p1;
        let separable = if pooled_1 == 0 {
            0
        } else {
            grow(pooled_1, dk).unwrap_or(0)
        };
        let pooled_2 = separable / p2;
        if pooled_2 == 0 {
            let need_1 = (p2 + dk - 1).saturating_sub(2 * (dk / 2)).max(1);
            let min_times = (need_1 * p1 + k - 1).saturating_sub(2 * (k / 2)).max(1);
            return Err(DecodeError::Config(vec![ConfigError::new(
                "n_times",
                format!(
                    "{} samples are too short for EEGNet's pools: at least {min_times} needed",
                    self.n_times
                ),
            )]));
        }
        if let Some(n) = self.final_conv_length
            && n != pooled_2
        {
            return Err(DecodeError::Config(vec![ConfigError::new(
                "final_conv_length",
                format!("{n} does not give one prediction per window; use auto ({pooled_2})"),
            )]));
        }
        Ok(EEGNetShapes {
            depth: self.f1 * self.d,
            f2,
            temporal,
            pooled_1,
            separable,
            pooled_2,
        })
    }

    /// Builds an untrained [`EEGNet`] with braindecode's initialisation:
    /// PyTorch's default (Kaiming-uniform) convolutions, Xavier-uniform
    /// spatial filters, zero biases, unit batch-norm scales.
    ///
    /// # Errors
    /// As [`EEGNetConfig::shapes`].
    pub fn init(&self, device: &Device) -> Result<EEGNet, DecodeError> {
        let shapes = self.shapes()?;
        let depth = shapes.depth;
        let bn = |n: usize| {
            let mut bn = BatchNormConfig::new(n)
                .with_epsilon(self.batch_norm_eps)
                .with_momentum(self.batch_norm_momentum)
                .init(device);
            if !self.batch_norm_affine {
                bn.gamma = bn.gamma.set_require_grad(false);
                bn.beta = bn.beta.set_require_grad(false);
            }
            bn
        };
        let half = |k: usize| PaddingConfig2d::Explicit(0, k / 2, 0, k / 2);
        Ok(EEGNet {
            conv_temporal: Conv2dConfig::new([1, self.f1], [1, self.kernel_length])
                .with_padding(half(self.kernel_length))
                .with_bias(false)
                .init(device),
            bnorm_temporal: bn(self.f1),
            conv_spatial: Conv2dConfig::new([self.f1, depth], [self.n_chans, 1])
                .with_groups(self.f1)
                .with_bias(false)
                .with_initializer(Initializer::XavierUniform { gain: 1.0 })
                .init(device),
            bnorm_1: bn(depth),
            drop_1: DropoutConfig::new(self.drop_prob).init(),
            conv_separable_depth: Conv2dConfig::new(
                [depth, depth],
                [1, self.depthwise_kernel_length],
            )
            .with_groups(depth)
            .with_padding(half(self.depthwise_kernel_length))
            .with_bias(false)
            .init(device),
            conv_separable_point: Conv2dConfig::new([depth, shapes.f2], [1, 1])
                .with_bias(false)
                .init(device),
            bnorm_2: bn(shapes.f2),
            drop_2: DropoutConfig::new(self.drop_prob).init(),
            conv_classifier: Conv2dConfig::new([shapes.f2, self.n_outputs], [1, shapes.pooled_2])
                .init(device)
                .zero_bias(),
            config: self.clone(),
            shapes,
        })
    }
}

/// Sets a convolution's bias to zero (braindecode's `glorot_weight_zero_bias`).
trait ZeroBias {
    fn zero_bias(self) -> Self;
}

impl ZeroBias for Conv2d {
    fn zero_bias(mut self) -> Self {
        self.bias = self.bias.map(|b| b.map(|t| t.zeros_like()));
        self
    }
}

/// EEGNet, faithful to braindecode 1.8.
///
/// Layers, in braindecode's order and with its state-dict names:
/// `conv_temporal` (1 → F1, kernel `(1, kernel_length)`, padding
/// `kernel_length / 2`, no bias) → `bnorm_temporal` → `conv_spatial`
/// (depthwise over all channels, F1 → F1·D, groups F1, no bias, max-norm
/// `conv_spatial_max_norm` on each filter, re-applied in every forward like
/// braindecode's parametrization) → `bnorm_1` → ELU → `pool_1` → `drop_1` →
/// `conv_separable_depth` (depthwise, kernel `(1, depthwise_kernel_length)`,
/// padding half) → `conv_separable_point` (1×1, F1·D → F2) → `bnorm_2` → ELU
/// → `pool_2` → `drop_2` → `final_layer.conv_classifier` (F2 → n_outputs,
/// kernel `(1, final_conv_length)`, bias), squeezed to logits.
///
/// Batch norms use braindecode's momentum 0.01 and epsilon 1e-3 (burn's
/// momentum has PyTorch's meaning). One difference remains in training:
/// burn updates the running variance with the biased batch variance,
/// PyTorch with the unbiased one (a factor `n / (n - 1)`, `n` = batch ×
/// samples, negligible at EEG window lengths).
///
/// # Shapes
/// Input `[batch, n_chans, n_times]`, seen as braindecode's
/// `[batch, 1, n_chans, n_times]`; after `conv_temporal` the time axis has
/// `n_times + 1` samples for an even kernel length (see [`EEGNetShapes`]);
/// output logits `[batch, n_outputs]`.
///
/// Field names are braindecode's state-dict names; the classifier is
/// braindecode's `final_layer.conv_classifier`, and the spatial filter's
/// weight is braindecode's `conv_spatial.parametrizations.weight.original`
/// (max-norm is applied in [`EEGNet::forward`], so the renormed weight works
/// as well).
#[derive(Module, Debug)]
pub struct EEGNet {
    /// Temporal filter bank, weight `[F1, 1, 1, kernel_length]`.
    pub conv_temporal: Conv2d,
    /// Batch norm over the F1 temporal filters.
    pub bnorm_temporal: BatchNorm,
    /// Depthwise spatial filters, weight `[F1 * D, 1, n_chans, 1]`.
    pub conv_spatial: Conv2d,
    /// Batch norm over the F1·D spatial filters.
    pub bnorm_1: BatchNorm,
    /// Dropout after `pool_1`.
    pub drop_1: Dropout,
    /// Depthwise temporal filters, weight `[F1 * D, 1, 1, depthwise_kernel_length]`.
    pub conv_separable_depth: Conv2d,
    /// Pointwise mixing, weight `[F2, F1 * D, 1, 1]`.
    pub conv_separable_point: Conv2d,
    /// Batch norm over the F2 pointwise filters.
    pub bnorm_2: BatchNorm,
    /// Dropout after `pool_2`.
    pub drop_2: Dropout,
    /// Classifier, weight `[n_outputs, F2, 1, pooled_2]` and bias `[n_outputs]`.
    pub conv_classifier: Conv2d,
    /// The hyper-parameters the model was built with.
    #[module(skip)]
    pub config: EEGNetConfig,
    /// Time-axis lengths, from the config.
    #[module(skip)]
    pub shapes: EEGNetShapes,
}

impl EEGNet {
    /// Class logits (no softmax).
    ///
    /// Dropout and batch norm run in training mode on an autodiff device,
    /// in eval mode otherwise (burn 0.22 decides by the input's device and
    /// each layer's `training` flag).
    ///
    /// # Shapes
    /// `[batch, n_chans, n_times]` → `[batch, n_outputs]`. Use
    /// [`EEGNet::try_forward`] where the shape is not known to fit.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [batch, chans, times] = x.dims();
        let c = &self.config;
        let x = x.reshape([batch, 1, chans, times]);
        let x = self.conv_temporal.forward(x);
        let x = self.bnorm_temporal.forward(x);
        let spatial = renorm_rows(self.conv_spatial.weight.val(), c.conv_spatial_max_norm);
        let x = conv2d(
            x,
            spatial,
            None,
            ConvOptions::new([1, 1], [0, 0], [1, 1], c.f1),
        );
        let x = self.bnorm_1.forward(x);
        let x = elu(x);
        let p1 = [1, c.pool1_kernel_size];
        let x = self.drop_1.forward(pool2d(x, c.pool_mode, p1, p1));
        let x = self.conv_separable_depth.forward(x);
        let x = self.conv_separable_point.forward(x);
        let x = self.bnorm_2.forward(x);
        let x = elu(x);
        let p2 = [1, c.pool2_kernel_size];
        let x = self.drop_2.forward(pool2d(x, c.pool_mode, p2, p2));
        self.conv_classifier
            .forward(x)
            .reshape([batch, c.n_outputs])
    }

    /// [`EEGNet::forward`] after checking the input shape.
    ///
    /// # Errors
    /// [`DecodeError::WindowShape`] if `x` is not `[_, n_chans, n_times]`.
    pub fn try_forward(&self, x: Tensor<3>) -> Result<Tensor<2>, DecodeError> {
        check_input(x.dims(), self.config.n_chans, self.config.n_times)?;
        Ok(self.forward(x))
    }
}
