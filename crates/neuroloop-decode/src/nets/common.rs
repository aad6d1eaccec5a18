//! Pieces shared by the faithful burn forms: pooling mode, ELU, max-norm,
//! input checks and weight read-out for the inference forms.

use burn::module::Param;
use burn::nn::BatchNorm;
use burn::nn::pool::{AvgPool2dConfig, MaxPool2dConfig};
use burn::tensor::{Tensor, TensorData};
use neuroloop_core::ConfigError;
use serde::{Deserialize, Serialize};

use crate::DecodeError;

/// Temporal pooling of braindecode's `pool_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolMode {
    /// Average pooling (`nn.AvgPool2d`), the default.
    #[default]
    Mean,
    /// Max pooling (`nn.MaxPool2d`).
    Max,
}

/// Pools `x` with kernel = `kernel` and stride `stride` (no padding, floor).
pub(crate) fn pool2d(
    x: Tensor<4>,
    mode: PoolMode,
    kernel: [usize; 2],
    stride: [usize; 2],
) -> Tensor<4> {
    match mode {
        PoolMode::Mean => AvgPool2dConfig::new(kernel)
            .with_strides(stride)
            .init()
            .forward(x),
        PoolMode::Max => MaxPool2dConfig::new(kernel)
            .with_strides(stride)
            .init()
            .forward(x),
    }
}

/// ELU with alpha 1, written so that neither branch overflows and the
/// gradient stays finite for large inputs: `max(x, 0) + exp(min(x, 0)) - 1`.
pub(crate) fn elu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone().clamp_min(0.0) + x.clamp_max(0.0).exp().sub_scalar(1.0)
}

/// PyTorch's `renorm(p=2, dim=0, maxnorm)`: every output filter whose L2
/// norm exceeds `max_norm` is scaled by `max_norm / (norm + 1e-7)`.
pub(crate) fn renorm_rows(weight: Tensor<4>, max_norm: f64) -> Tensor<4> {
    let norm = weight.clone().powi_scalar(2).sum_dims(&[1, 2, 3]).sqrt();
    let scale = norm.clone().add_scalar(1e-7).recip().mul_scalar(max_norm);
    let over = norm.greater_elem(max_norm);
    let scale = scale.ones_like().mask_where(over, scale);
    weight * scale
}

/// The same max-norm on a flat `[rows, row_len]` weight, in plain Rust.
pub(crate) fn renorm_rows_flat(weight: &mut [f32], row_len: usize, max_norm: f64) {
    for row in weight.chunks_exact_mut(row_len) {
        let norm = row
            .iter()
            .map(|w| f64::from(*w).powi(2))
            .sum::<f64>()
            .sqrt();
        if norm > max_norm {
            let scale = (max_norm / (norm + 1e-7)) as f32;
            row.iter_mut().for_each(|w| *w *= scale);
        }
    }
}

/// Checks a forward input against the model's `(n_chans, n_times)`.
///
/// # Errors
/// [`DecodeError::WindowShape`] if `dims` is not `[_, n_chans, n_times]`.
pub(crate) fn check_input(
    dims: [usize; 3],
    n_chans: usize,
    n_times: usize,
) -> Result<(), DecodeError> {
    if dims[1] == n_chans && dims[2] == n_times {
        Ok(())
    } else {
        Err(DecodeError::WindowShape {
            expected_channels: n_chans,
            expected_samples: n_times,
            channels: dims[1],
            samples: dims[2],
            len: dims.iter().product(),
        })
    }
}

/// Collects `field: must be at least 1` for every zero size.
pub(crate) fn positive(errors: &mut Vec<ConfigError>, fields: &[(&str, usize)]) {
    for (name, value) in fields {
        if *value == 0 {
            errors.push(ConfigError::new(*name, "must be at least 1"));
        }
    }
}

/// Collects `field: must be in [0, 1)` for a bad probability or momentum.
pub(crate) fn unit_interval(errors: &mut Vec<ConfigError>, name: &str, value: f64) {
    if !(0.0..1.0).contains(&value) {
        errors.push(ConfigError::new(name, format!("{value} is not in [0, 1)")));
    }
}

/// Reads a tensor out as `f32` values.
///
/// # Errors
/// [`DecodeError::Backend`] if the tensor does not hold `f32` data.
pub(crate) fn values<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, DecodeError> {
    let data: TensorData = tensor.into_data();
    data.try_to_vec::<f32>()
        .map_err(|e| DecodeError::Backend(format!("{e:?}")))
}

/// Reads a parameter out as `f32` values.
///
/// # Errors
/// As [`values`].
pub(crate) fn param_values<const D: usize>(
    param: &Param<Tensor<D>>,
) -> Result<Vec<f32>, DecodeError> {
    values(param.val())
}

/// The eval-mode batch norm as `y = scale * x + shift`, per feature.
///
/// # Errors
/// As [`values`].
pub(crate) fn batch_norm_affine(bn: &BatchNorm) -> Result<(Vec<f32>, Vec<f32>), DecodeError> {
    let gamma = param_values(&bn.gamma)?;
    let beta = param_values(&bn.beta)?;
    let mean = values(bn.running_mean.value())?;
    let var = values(bn.running_var.value())?;
    let mut scale = Vec::with_capacity(gamma.len());
    let mut shift = Vec::with_capacity(gamma.len());
    for i in 0..gamma.len() {
        let s = f64::from(gamma[i]) / (f64::from(var[i]) + bn.epsilon).sqrt();
        scale.push(s as f32);
        shift.push((f64::from(beta[i]) - s * f64::from(mean[i])) as f32);
    }
    Ok((scale, shift))
}
