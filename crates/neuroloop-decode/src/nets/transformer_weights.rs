//! Weights of an [`EegTransformer`] read out of burn once, with the exact
//! fusions of the real-time form applied (see
//! [`TransformerInference`](crate::TransformerInference)).

use burn::nn::activation::Activation;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::Tensor;
use neuroloop_core::ConfigError;

use super::transformer::EegTransformer;
use crate::DecodeError;

/// One encoder layer, norms and attention scale folded in. Matrices are
/// `[inputs, outputs]`, row-major.
#[derive(Debug, Clone)]
pub(crate) struct LayerWeights {
    /// Width of one attention head.
    pub d_k: usize,
    /// `diag(gamma_attn) [W_q/√d_k | W_k | W_v]`, `[d_model, 3 d_model]`.
    pub qkv: Vec<f32>,
    /// `[d_model · 3]` bias to match.
    pub qkv_bias: Vec<f32>,
    /// Attention output projection, `[d_model, d_model]`.
    pub out: Vec<f32>,
    pub out_bias: Vec<f32>,
    /// `diag(gamma_mlp) W_inner`, `[d_model, d_ff]`.
    pub ff_in: Vec<f32>,
    pub ff_in_bias: Vec<f32>,
    /// `[d_ff, d_model]`.
    pub ff_out: Vec<f32>,
    pub ff_out_bias: Vec<f32>,
}

/// The whole network.
#[derive(Debug, Clone)]
pub(crate) struct Weights {
    pub n_chans: usize,
    pub n_times: usize,
    pub patch_len: usize,
    pub d_model: usize,
    pub d_ff: usize,
    pub n_outputs: usize,
    /// `1 + n_chans * n_patches`.
    pub n_tokens: usize,
    /// Patch embedding, `[patch_len, d_model]`.
    pub embed: Vec<f32>,
    /// Patch bias + channel embedding + time embedding per token,
    /// `[n_chans * n_patches, d_model]`.
    pub embed_bias: Vec<f32>,
    /// CLS token, `[d_model]`.
    pub cls: Vec<f32>,
    pub layers: Vec<LayerWeights>,
    /// `diag(gamma_final) W_head`, `[d_model, n_outputs]`.
    pub head: Vec<f32>,
    pub head_bias: Vec<f32>,
}

impl Weights {
    /// Reads and fuses the weights of `model`.
    ///
    /// # Errors
    /// [`DecodeError::Config`] for a model this form does not compute
    /// (post-norm layers, quiet softmax, an activation other than exact
    /// GELU); [`DecodeError::RecordMismatch`] if the weights' shapes do not
    /// fit together; [`DecodeError::Backend`] if a tensor cannot be read.
    pub(crate) fn extract(model: &EegTransformer) -> Result<Self, DecodeError> {
        let unsupported = |what: &str| {
            DecodeError::Config(vec![ConfigError::new(
                "transformer",
                format!("the real-time form does not compute {what}"),
            )])
        };
        let [n_chans, d_model] = model.channel_embed.dims();
        let [n_patches, d_time] = model.time_embed.dims();
        let [patch_len, _] = model.patch_embed.weight.dims();
        let d_ff = model
            .encoder
            .layers
            .first()
            .map_or(0, |l| l.pwff.linear_inner.weight.dims()[1]);
        if d_time != d_model
            || patch_len != model.patch_len
            || n_patches * patch_len != model.n_times
            || model.cls.dims() != [d_model]
        {
            return Err(mismatch(format!(
                "embeddings: channel {:?}, time {:?}, CLS {:?}, patch_len {}, n_times {}",
                model.channel_embed.dims(),
                model.time_embed.dims(),
                model.cls.dims(),
                model.patch_len,
                model.n_times
            )));
        }
        let (embed, patch_bias) = linear(&model.patch_embed, "patch_embed", [patch_len, d_model])?;
        let channel = values(model.channel_embed.val())?;
        let time = values(model.time_embed.val())?;
        let mut embed_bias = Vec::with_capacity(n_chans * n_patches * d_model);
        for c in 0..n_chans {
            for p in 0..n_patches {
                let (ch, t) = (&channel[c * d_model..], &time[p * d_model..]);
                embed_bias.extend((0..d_model).map(|k| patch_bias[k] + ch[k] + t[k]));
            }
        }
        let mut layers = Vec::with_capacity(model.encoder.layers.len());
        for layer in &model.encoder.layers {
            if !layer.norm_first {
                return Err(unsupported("post-norm layers"));
            }
            if layer.mha.quiet_softmax {
                return Err(unsupported("quiet softmax"));
            }
            if !matches!(layer.pwff.activation, Activation::Gelu(_)) {
                return Err(unsupported("an activation other than GELU"));
            }
            let d_k = layer.mha.d_k;
            if d_k == 0 || d_k * layer.mha.n_heads != d_model {
                return Err(mismatch(format!(
                    "{} heads of {d_k} for width {d_model}",
                    layer.mha.n_heads
                )));
            }
            let square = [d_model, d_model];
            let (mut qkv, mut qkv_bias) = concat_columns(&[
                linear(&layer.mha.query, "query", square)?,
                linear(&layer.mha.key, "key", square)?,
                linear(&layer.mha.value, "value", square)?,
            ]);
            let scale = 1.0 / (d_k as f32).sqrt();
            for row in qkv.chunks_exact_mut(3 * d_model) {
                row[..d_model].iter_mut().for_each(|v| *v *= scale);
            }
            qkv_bias[..d_model].iter_mut().for_each(|v| *v *= scale);
            // burn's pre-norm layer: norm_2 before attention, norm_1 before the MLP.
            fold_norm(&layer.norm_2, &mut qkv, &mut qkv_bias)?;
            let (out, out_bias) = linear(&layer.mha.output, "output", square)?;
            let (mut ff_in, mut ff_in_bias) =
                linear(&layer.pwff.linear_inner, "linear_inner", [d_model, d_ff])?;
            fold_norm(&layer.norm_1, &mut ff_in, &mut ff_in_bias)?;
            let (ff_out, ff_out_bias) =
                linear(&layer.pwff.linear_outer, "linear_outer", [d_ff, d_model])?;
            layers.push(LayerWeights {
                d_k,
                qkv,
                qkv_bias,
                out,
                out_bias,
                ff_in,
                ff_in_bias,
                ff_out,
                ff_out_bias,
            });
        }
        let n_outputs = model.n_outputs();
        let (mut head, mut head_bias) = linear(&model.head, "head", [d_model, n_outputs])?;
        fold_norm(&model.norm, &mut head, &mut head_bias)?;
        Ok(Self {
            n_chans,
            n_times: n_patches * model.patch_len,
            patch_len: model.patch_len,
            d_model,
            d_ff,
            n_outputs: head_bias.len(),
            n_tokens: 1 + n_chans * n_patches,
            embed,
            embed_bias,
            cls: values(model.cls.val())?,
            layers,
            head,
            head_bias,
        })
    }
}

/// A tensor's values, row-major.
fn values<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, DecodeError> {
    t.try_into_data()
        .map_err(|e| DecodeError::Backend(format!("{e:?}")))?
        .try_to_vec::<f32>()
        .map_err(|e| DecodeError::Backend(format!("{e:?}")))
}

/// A [`DecodeError::RecordMismatch`] for weights of inconsistent shapes.
fn mismatch(message: String) -> DecodeError {
    DecodeError::RecordMismatch(format!("transformer weights: {message}"))
}

/// Weight `[d_in, d_out]` and bias `[d_out]` (zeros without one) of the
/// linear layer `name`, which must be `dims`.
fn linear(l: &Linear, name: &str, dims: [usize; 2]) -> Result<(Vec<f32>, Vec<f32>), DecodeError> {
    let bias_dims = l.bias.as_ref().map_or([dims[1]], |b| b.dims());
    if l.weight.dims() != dims || bias_dims != [dims[1]] {
        return Err(mismatch(format!(
            "{name} is {:?} + {bias_dims:?}, {dims:?} expected",
            l.weight.dims()
        )));
    }
    let bias = match &l.bias {
        Some(b) => values(b.val())?,
        None => vec![0.0; dims[1]],
    };
    Ok((values(l.weight.val())?, bias))
}

/// Side-by-side `[W_1 | W_2 | …]` and `[b_1 | b_2 | …]` of linears with
/// the same input width.
fn concat_columns(parts: &[(Vec<f32>, Vec<f32>)]) -> (Vec<f32>, Vec<f32>) {
    let d_in = parts[0].0.len() / parts[0].1.len().max(1);
    let mut w = Vec::with_capacity(parts.iter().map(|p| p.0.len()).sum());
    for r in 0..d_in {
        for (pw, pb) in parts {
            w.extend_from_slice(&pw[r * pb.len()..(r + 1) * pb.len()]);
        }
    }
    (w, parts.iter().flat_map(|p| p.1.iter().copied()).collect())
}

/// Folds `norm`'s affine part into the linear map after it:
/// `(x̂ γ + β) W + b = x̂ (diag(γ) W) + (β W + b)`.
fn fold_norm(norm: &LayerNorm, w: &mut [f32], b: &mut [f32]) -> Result<(), DecodeError> {
    let n = b.len();
    let rows = w.len() / n.max(1);
    let beta_dims = norm.beta.as_ref().map_or([rows], |b| b.dims());
    if norm.gamma.dims() != [rows] || beta_dims != [rows] {
        return Err(mismatch(format!(
            "layer norm of {:?} before a linear of {rows} inputs",
            norm.gamma.dims()
        )));
    }
    let gamma = values(norm.gamma.val())?;
    let beta = match &norm.beta {
        Some(beta) => values(beta.val())?,
        None => vec![0.0; rows],
    };
    let mut bias: Vec<f64> = b.iter().map(|&v| f64::from(v)).collect();
    for ((row, &g), &be) in w.chunks_exact_mut(n).zip(&gamma).zip(&beta) {
        for (v, acc) in row.iter_mut().zip(bias.iter_mut()) {
            *acc += f64::from(be) * f64::from(*v);
            *v *= g;
        }
    }
    for (b, acc) in b.iter_mut().zip(bias) {
        *b = acc as f32;
    }
    Ok(())
}
