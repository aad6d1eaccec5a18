//! A compact patch transformer in the style of EEG foundation models
//! (BIOT, LaBraM): the faithful burn form, trained with autodiff.
//!
//! Each channel's signal is cut into non-overlapping patches of `patch_len`
//! samples; a shared linear layer embeds each patch, a learned channel
//! embedding and a learned time-position embedding are added, and a
//! learned CLS token is prepended. Pre-norm transformer encoder layers
//! (burn's [`TransformerEncoder`] with `norm_first`) attend over all
//! channel × patch tokens; the CLS token's output goes through a final
//! layer norm and a linear head to the logits.
//!
//! **Why a CLS token rather than mean pooling:** the output depends on one
//! token only, so the real-time form ([`TransformerInference`]) computes
//! the last layer's attention, MLP and norms for that single query row
//! instead of all tokens (keys and values are still computed for every
//! token). With two layers this halves the cost of a decode, exactly.
//!
//! [`TransformerInference`]: crate::TransformerInference
//!
//! # Shapes
//! * input `[batch, n_chans, n_times]`, `n_times = n_patches * patch_len`;
//! * patches `[batch, n_chans * n_patches, patch_len]`; token
//!   `c * n_patches + p` is patch `p` of channel `c`;
//! * tokens `[batch, 1 + n_chans * n_patches, d_model]` (CLS first);
//! * output logits `[batch, n_outputs]`.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use neuroloop_core::ConfigError;

use crate::DecodeError;

/// Layer-norm epsilon of every norm in the model (the inference form uses
/// the same value).
pub(crate) const LAYER_NORM_EPS: f64 = 1e-5;

/// Most tokens (`1 + n_chans * n_times / patch_len`) a model may have:
/// attention memory in training grows with the square of this.
pub const MAX_TOKENS: usize = 8192;

/// Configuration of an [`EegTransformer`].
#[derive(Config, Debug)]
pub struct TransformerConfig {
    /// Input channels.
    pub n_chans: usize,
    /// Output logits (classes).
    pub n_outputs: usize,
    /// Samples per channel; a multiple of `patch_len`.
    pub n_times: usize,
    /// Samples per patch (0.1 s at 250 Hz by default).
    #[config(default = 25)]
    pub patch_len: usize,
    /// Token width.
    #[config(default = 32)]
    pub d_model: usize,
    /// Attention heads; must divide `d_model`.
    #[config(default = 4)]
    pub n_heads: usize,
    /// Encoder layers.
    #[config(default = 2)]
    pub n_layers: usize,
    /// Hidden width of the GELU MLP.
    #[config(default = 64)]
    pub d_ff: usize,
    /// Dropout probability in training (attention weights, residual paths, MLP).
    #[config(default = 0.1)]
    pub dropout: f64,
}

impl TransformerConfig {
    /// Patches per channel.
    #[must_use]
    pub fn n_patches(&self) -> usize {
        self.n_times.checked_div(self.patch_len).unwrap_or(0)
    }

    /// Tokens per window, CLS included.
    #[must_use]
    pub fn n_tokens(&self) -> usize {
        self.n_chans
            .saturating_mul(self.n_patches())
            .saturating_add(1)
    }

    /// Checks every field; all problems are reported, each with its path
    /// under `transformer`.
    ///
    /// # Errors
    /// [`DecodeError::Config`] listing every invalid field.
    pub fn validate(&self) -> Result<(), DecodeError> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: String| {
            errors.push(ConfigError::new(format!("transformer.{field}"), message));
        };
        for (field, value) in [
            ("n_chans", self.n_chans),
            ("n_outputs", self.n_outputs),
            ("n_times", self.n_times),
            ("patch_len", self.patch_len),
            ("d_model", self.d_model),
            ("n_heads", self.n_heads),
            ("n_layers", self.n_layers),
            ("d_ff", self.d_ff),
        ] {
            if value == 0 {
                bad(field, "must be at least 1".into());
            }
        }
        if self.patch_len > 0 && !self.n_times.is_multiple_of(self.patch_len) {
            bad(
                "n_times",
                format!(
                    "{} is not a multiple of patch_len {}",
                    self.n_times, self.patch_len
                ),
            );
        }
        if self.n_heads > 0 && !self.d_model.is_multiple_of(self.n_heads) {
            bad(
                "n_heads",
                format!("{} does not divide d_model {}", self.n_heads, self.d_model),
            );
        }
        if !(0.0..1.0).contains(&self.dropout) {
            bad("dropout", format!("{} is outside [0, 1)", self.dropout));
        }
        if self.n_tokens() > MAX_TOKENS {
            bad(
                "patch_len",
                format!(
                    "{} tokens (1 + n_chans * n_times / patch_len), at most {MAX_TOKENS}",
                    self.n_tokens()
                ),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Config(errors))
        }
    }

    /// Builds a randomly initialised model after [`validate`](Self::validate).
    ///
    /// # Errors
    /// [`DecodeError::Config`] for an invalid configuration.
    pub fn init(&self, device: &Device) -> Result<EegTransformer, DecodeError> {
        self.validate()?;
        let embed = Initializer::Normal {
            mean: 0.0,
            std: 0.02,
        };
        let encoder =
            TransformerEncoderConfig::new(self.d_model, self.d_ff, self.n_heads, self.n_layers)
                .with_dropout(self.dropout)
                .with_norm_first(true)
                .with_layer_norm_eps(LAYER_NORM_EPS)
                .init(device);
        Ok(EegTransformer {
            patch_embed: LinearConfig::new(self.patch_len, self.d_model).init(device),
            channel_embed: embed.init([self.n_chans, self.d_model], device),
            time_embed: embed.init([self.n_patches(), self.d_model], device),
            cls: embed.init([self.d_model], device),
            encoder,
            norm: LayerNormConfig::new(self.d_model)
                .with_epsilon(LAYER_NORM_EPS)
                .init(device),
            head: LinearConfig::new(self.d_model, self.n_outputs).init(device),
            n_chans: self.n_chans,
            n_times: self.n_times,
            patch_len: self.patch_len,
        })
    }
}

/// Patch embedding, channel and time embeddings, CLS token, pre-norm
/// transformer encoder, final layer norm, linear head.
///
/// # Shapes
/// * input `[batch, n_chans, n_times]`, `n_times = n_patches * patch_len`;
/// * patches `[batch, n_chans * n_patches, patch_len]`; token
///   `c * n_patches + p` is patch `p` of channel `c`;
/// * tokens `[batch, 1 + n_chans * n_patches, d_model]` (CLS first);
/// * output logits `[batch, n_outputs]`.
///
/// A CLS token rather than mean pooling: the output depends on that one
/// token, so the real-time form runs the last layer for the CLS row only.
#[derive(Module, Debug)]
pub struct EegTransformer {
    /// Shared patch embedding, `patch_len → d_model`.
    pub patch_embed: Linear,
    /// Learned embedding per channel index, `[n_chans, d_model]`.
    pub channel_embed: Param<Tensor<2>>,
    /// Learned embedding per patch index, `[n_patches, d_model]`.
    pub time_embed: Param<Tensor<2>>,
    /// Learned CLS token, `[d_model]`.
    pub cls: Param<Tensor<1>>,
    /// Pre-norm encoder layers (`norm_first`: `norm_2` before attention,
    /// `norm_1` before the MLP, as burn names them).
    pub encoder: TransformerEncoder,
    /// Final layer norm of the CLS output.
    pub norm: LayerNorm,
    /// Linear head, `d_model → n_outputs`.
    pub head: Linear,
    /// Input channels.
    pub n_chans: usize,
    /// Samples per channel.
    pub n_times: usize,
    /// Samples per patch.
    pub patch_len: usize,
}

impl EegTransformer {
    /// `(n_chans, n_times)` of the inputs this model accepts.
    #[must_use]
    pub fn input_shape(&self) -> (usize, usize) {
        (self.n_chans, self.n_times)
    }

    /// Number of output logits.
    #[must_use]
    pub fn n_outputs(&self) -> usize {
        self.head.weight.dims()[1]
    }

    /// Class logits. Dropout is active only on an autodiff device.
    ///
    /// # Shapes
    /// `[batch, n_chans, n_times]` → `[batch, n_outputs]`.
    ///
    /// # Panics
    /// If the input is not `[_, n_chans, n_times]` (burn's shape checks);
    /// check windows against [`input_shape`](Self::input_shape) first.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<2> {
        let [batch, n_chans, n_times] = x.dims();
        let n_patches = n_times / self.patch_len;
        let [_, d_model] = self.channel_embed.dims();
        let tokens = self
            .patch_embed
            .forward(x.reshape([batch, n_chans * n_patches, self.patch_len]))
            .reshape([batch, n_chans, n_patches, d_model])
            + self.channel_embed.val().reshape([1, n_chans, 1, d_model])
            + self.time_embed.val().reshape([1, 1, n_patches, d_model]);
        let tokens = tokens.reshape([batch, n_chans * n_patches, d_model]);
        let cls = self
            .cls
            .val()
            .reshape([1, 1, d_model])
            .expand([batch, 1, d_model]);
        let x = Tensor::cat(vec![cls, tokens], 1);
        let x = self.encoder.forward(TransformerEncoderInput::new(x));
        let cls_out = x.narrow(1, 0, 1).reshape([batch, d_model]);
        self.head.forward(self.norm.forward(cls_out))
    }
}
