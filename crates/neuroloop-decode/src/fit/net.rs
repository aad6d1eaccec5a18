//! The deep-model side of fitting: the [`Net`] trait every trainable
//! network implements, tensors from epochs, and metrics from logits.

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

use super::EpochSet;
use crate::DecodeError;

/// Epochs per forward pass when evaluating or predicting.
pub(crate) const EVAL_BATCH: usize = 64;

/// A network from `[batch, channels, samples]` to class logits.
pub(crate) trait Net: Module + 'static {
    /// Class logits.
    ///
    /// # Shapes
    /// `[batch, channels, samples]` → `[batch, classes]`.
    fn logits(&self, x: Tensor<3>) -> Tensor<2>;
}

/// The epochs at `rows` of `data`, multiplied by `scale`, as a tensor.
///
/// # Shapes
/// `[rows.len(), channels, samples]`.
pub(crate) fn batch_tensor(
    data: &EpochSet,
    rows: &[usize],
    scale: f32,
    device: &Device,
) -> Tensor<3> {
    let mut values = Vec::with_capacity(rows.len() * data.epoch_len());
    for &r in rows {
        values.extend(data.epoch(r).iter().map(|v| v * scale));
    }
    Tensor::from_data(
        TensorData::new(values, [rows.len(), data.channels, data.samples]),
        device,
    )
}

/// One-hot targets of the epochs at `rows`, `[rows.len(), classes]`.
pub(crate) fn onehot(data: &EpochSet, rows: &[usize], device: &Device) -> Tensor<2> {
    let k = data.classes.len();
    let mut v = vec![0.0_f32; rows.len() * k];
    for (i, &r) in rows.iter().enumerate() {
        v[i * k + data.labels[r]] = 1.0;
    }
    Tensor::from_data(TensorData::new(v, [rows.len(), k]), device)
}

/// Reads a tensor back as `f32` values.
pub(crate) fn values<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, DecodeError> {
    let data = t
        .try_into_data()
        .map_err(|e| DecodeError::Backend(format!("{e:?}")))?;
    data.try_to_vec::<f32>()
        .map_err(|e| DecodeError::Backend(format!("{e:?}")))
}

/// Softmax probabilities of `model` (in eval mode, on the plain `device`
/// its weights live on) for the epochs at `rows`, `rows.len() × classes`
/// values.
pub(crate) fn probabilities<M: Net>(
    model: &M,
    data: &EpochSet,
    rows: &[usize],
    scale: f32,
    device: &Device,
) -> Result<Vec<f32>, DecodeError> {
    let mut out = Vec::with_capacity(rows.len() * data.classes.len());
    for chunk in rows.chunks(EVAL_BATCH) {
        let x = batch_tensor(data, chunk, scale, device);
        out.extend(values(softmax(model.logits(x), 1))?);
    }
    if out.len() != rows.len() * data.classes.len() {
        return Err(DecodeError::Backend(format!(
            "model produced {} probabilities for {} epochs of {} classes",
            out.len(),
            rows.len(),
            data.classes.len()
        )));
    }
    Ok(out)
}

/// Mean cross-entropy and accuracy of probabilities against the labels of
/// the epochs at `rows`.
pub(crate) fn metrics(probabilities: &[f32], data: &EpochSet, rows: &[usize]) -> (f32, f32) {
    let k = data.classes.len();
    let (mut loss, mut correct) = (0.0_f64, 0_usize);
    for (p, &r) in probabilities.chunks_exact(k).zip(rows) {
        let label = data.labels[r];
        loss -= f64::from(p[label].max(1e-12)).ln();
        let argmax = p
            .iter()
            .enumerate()
            .fold(0, |best, (i, &z)| if z > p[best] { i } else { best });
        correct += usize::from(argmax == label);
    }
    let n = rows.len().max(1) as f64;
    ((loss / n) as f32, (correct as f64 / n) as f32)
}

/// Input scale for deep models: 1 / standard deviation of every training
/// sample (EEG in volts is ~1e-5; the networks expect unit scale).
pub(crate) fn input_scale(data: &EpochSet, rows: &[usize]) -> f32 {
    let n = (rows.len() * data.epoch_len()).max(1) as f64;
    let mut sum = 0.0_f64;
    let mut sq = 0.0_f64;
    for &r in rows {
        for &v in data.epoch(r) {
            sum += f64::from(v);
            sq += f64::from(v) * f64::from(v);
        }
    }
    let var = (sq / n - (sum / n).powi(2)).max(0.0);
    let std = var.sqrt();
    if std.is_finite() && std > 1e-20 {
        (1.0 / std) as f32
    } else {
        1.0
    }
}
