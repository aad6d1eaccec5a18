//! The real-time form of [`EegTransformer`]: plain f32 kernels on weights
//! extracted once, every buffer allocated at construction.
//!
//! Exact rewrites of the burn forward pass (equal in real arithmetic; the
//! f32 results differ by rounding only):
//! * the patch embedding's bias and the channel and time embeddings are
//!   summed into one bias table, so embedding a window is one matmul of the
//!   window (viewed as `[n_chans * n_patches, patch_len]`) plus that table;
//! * Q, K and V are one `[d_model, 3 d_model]` matmul; the attention scale
//!   `1/√d_k` is folded into the Q columns;
//! * every layer norm's `gamma`/`beta` is folded into the matmul after it
//!   (`W' = diag(gamma) W`, `b' = beta W + b`), leaving only the
//!   normalisation itself;
//! * softmax subtracts the row maximum and normalises the context instead
//!   of the weights;
//! * the last layer computes attention, MLP and norms for the CLS row only
//!   (keys and values still come from every token).

use neuroloop_core::{ConfigError, Window};

use super::transformer::{EegTransformer, LAYER_NORM_EPS};
use super::transformer_kernels::{
    dot, exp_shifted, gelu, matmul_acc, normalize_rows, scores, softmax, vecmat_bias,
};
use super::transformer_weights::{LayerWeights, Weights};
use crate::{DecodeError, Decoder, check_finite, check_probabilities, check_window};

/// [`EegTransformer`] as a [`Decoder`]: softmax probabilities per window,
/// no allocation per call.
///
/// # Shapes
/// Windows are `[n_chans, n_times]`, channel-major; the token buffer is
/// `[1 + n_chans * n_patches, d_model]`, CLS first.
#[derive(Debug, Clone)]
pub struct TransformerInference {
    classes: Vec<String>,
    w: Weights,
    /// Token states, `[n_tokens, d_model]`.
    x: Vec<f32>,
    /// Normalised tokens, `[n_tokens, d_model]`.
    xn: Vec<f32>,
    /// Q|K|V per token, `[n_tokens, 3 d_model]`.
    qkv: Vec<f32>,
    /// Keys transposed, `[d_model, n_tokens]`.
    kt: Vec<f32>,
    /// Values transposed, `[d_model, n_tokens]`.
    vt: Vec<f32>,
    /// Attention scores of one query and head, `[n_tokens]`.
    scores: Vec<f32>,
    /// Attention context of one token, `[d_model]`.
    ctx: Vec<f32>,
    /// One token's row after a projection, `[d_model]`.
    row: Vec<f32>,
    /// One token's normalised row, `[d_model]`.
    row_n: Vec<f32>,
    /// MLP hidden row, `[d_ff]`.
    hidden: Vec<f32>,
    /// Whether the CPU has AVX2 and FMA (checked once).
    avx2: bool,
    /// Logits, `[n_outputs]`.
    logits: Vec<f32>,
}

impl TransformerInference {
    /// Extracts the weights of `model` (any device, eval semantics: no
    /// dropout) and allocates every buffer.
    ///
    /// # Errors
    /// * [`DecodeError::Config`] if `classes` does not have one label per
    ///   output, or the model is not one [`TransformerConfig`] builds
    ///   (post-norm, another activation, quiet softmax).
    /// * [`DecodeError::RecordMismatch`] if the weights' shapes do not fit
    ///   together (a hand-assembled or foreign model).
    /// * [`DecodeError::Backend`] if reading a weight fails.
    ///
    /// [`TransformerConfig`]: crate::TransformerConfig
    pub fn from_model(model: &EegTransformer, classes: Vec<String>) -> Result<Self, DecodeError> {
        if classes.len() != model.n_outputs() {
            return Err(DecodeError::Config(vec![ConfigError::new(
                "transformer.classes",
                format!(
                    "{} labels for a model with {} outputs",
                    classes.len(),
                    model.n_outputs()
                ),
            )]));
        }
        let w = Weights::extract(model)?;
        let (n, d) = (w.n_tokens, w.d_model);
        Ok(Self {
            classes,
            x: vec![0.0; n * d],
            xn: vec![0.0; n * d],
            qkv: vec![0.0; n * 3 * d],
            kt: vec![0.0; d * n],
            vt: vec![0.0; d * n],
            scores: vec![0.0; n],
            ctx: vec![0.0; d],
            row: vec![0.0; d],
            row_n: vec![0.0; d],
            hidden: vec![0.0; w.d_ff],
            avx2: has_avx2(),
            logits: vec![0.0; w.n_outputs],
            w,
        })
    }

    /// Whether decoding runs the AVX2 + FMA kernels (chosen at construction
    /// where the CPU has both) rather than the portable ones.
    #[must_use]
    pub fn uses_avx2(&self) -> bool {
        self.avx2
    }

    /// Runs the portable kernels from now on, even where the CPU has AVX2
    /// and FMA; both forms compute the same network, and this lets one
    /// machine check each.
    pub fn use_portable_kernels(&mut self) {
        self.avx2 = false;
    }

    /// Runs the network on one channel-major window, leaving the logits in
    /// `self.logits`; with AVX2 where the CPU has it.
    fn run(&mut self, data: &[f32]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: `avx2` is set only where the CPU reports AVX2 and FMA.
            unsafe { self.run_avx2(data) };
            return;
        }
        self.run_portable::<false>(data);
    }

    /// [`Self::run_portable`] compiled for AVX2 (every kernel is inlined).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn run_avx2(&mut self, data: &[f32]) {
        self.run_portable::<true>(data);
    }

    /// The forward pass; `F`: fused multiply-adds (only from [`Self::run_avx2`]).
    #[inline(always)]
    fn run_portable<const F: bool>(&mut self, data: &[f32]) {
        let (n, d) = (self.w.n_tokens, self.w.d_model);
        let eps = LAYER_NORM_EPS as f32;
        // Tokens: CLS, then window · W_embed + bias table.
        self.x[..d].copy_from_slice(&self.w.cls);
        self.x[d..].copy_from_slice(&self.w.embed_bias);
        matmul_acc::<F>(data, self.w.patch_len, &self.w.embed, d, &mut self.x[d..]);

        let n_layers = self.w.layers.len();
        for (l, layer) in self.w.layers.iter().enumerate() {
            normalize_rows(&self.x, d, eps, &mut self.xn);
            for q in self.qkv.chunks_exact_mut(3 * d) {
                q.copy_from_slice(&layer.qkv_bias);
            }
            matmul_acc::<F>(&self.xn, d, &layer.qkv, 3 * d, &mut self.qkv);
            transpose_kv(&self.qkv, n, d, &mut self.kt, &mut self.vt);
            // Only the CLS row feeds the head after the last layer.
            let queries = if l + 1 == n_layers { 1 } else { n };
            for i in 0..queries {
                let q = &self.qkv[i * 3 * d..i * 3 * d + d];
                attend::<F>(
                    q,
                    &self.kt,
                    &self.vt,
                    layer.d_k,
                    n,
                    &mut self.scores,
                    &mut self.ctx,
                );
                let x = &mut self.x[i * d..(i + 1) * d];
                token_tail::<F>(
                    layer,
                    &self.ctx,
                    x,
                    eps,
                    &mut self.row,
                    &mut self.row_n,
                    &mut self.hidden,
                );
            }
        }
        normalize_rows(&self.x[..d], d, eps, &mut self.row_n);
        vecmat_bias::<F>(
            &self.row_n,
            &self.w.head,
            &self.w.head_bias,
            &mut self.logits,
        );
    }
}

/// Whether the CPU has AVX2 and FMA.
fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Copies the K and V columns of `qkv` (`[n, 3d]`) into `kt` and `vt`
/// (`[d, n]` each).
#[inline(always)]
fn transpose_kv(qkv: &[f32], n: usize, d: usize, kt: &mut [f32], vt: &mut [f32]) {
    for (j, row) in qkv.chunks_exact(3 * d).enumerate() {
        for c in 0..d {
            kt[c * n + j] = row[d + c];
            vt[c * n + j] = row[2 * d + c];
        }
    }
    debug_assert_eq!(qkv.len(), n * 3 * d);
}

/// Multi-head attention of one (pre-scaled) query row `q` over all keys:
/// per head, scores → stable softmax → context, written to `ctx`; `s` is
/// the `[n]` score buffer.
#[inline(always)]
fn attend<const F: bool>(
    q: &[f32],
    kt: &[f32],
    vt: &[f32],
    d_k: usize,
    n: usize,
    s: &mut [f32],
    ctx: &mut [f32],
) {
    for (h, (q_h, ctx_h)) in q
        .chunks_exact(d_k)
        .zip(ctx.chunks_exact_mut(d_k))
        .enumerate()
    {
        let kt_h = &kt[h * d_k * n..(h + 1) * d_k * n];
        let vt_h = &vt[h * d_k * n..(h + 1) * d_k * n];
        let max = scores::<F>(q_h, kt_h, n, s);
        let inv_sum = 1.0 / exp_shifted(s, max);
        for (c, v_row) in ctx_h.iter_mut().zip(vt_h.chunks_exact(n)) {
            *c = dot::<F>(s, v_row) * inv_sum;
        }
    }
}

/// The rest of a layer for one token `x` given its attention context:
/// output projection and residual, then norm → MLP (GELU) → residual.
#[inline(always)]
fn token_tail<const F: bool>(
    layer: &LayerWeights,
    ctx: &[f32],
    x: &mut [f32],
    eps: f32,
    row: &mut [f32],
    row_n: &mut [f32],
    hidden: &mut [f32],
) {
    vecmat_bias::<F>(ctx, &layer.out, &layer.out_bias, row);
    for (x, r) in x.iter_mut().zip(row.iter()) {
        *x += r;
    }
    normalize_rows(x, x.len(), eps, row_n);
    vecmat_bias::<F>(row_n, &layer.ff_in, &layer.ff_in_bias, hidden);
    gelu(hidden);
    vecmat_bias::<F>(hidden, &layer.ff_out, &layer.ff_out_bias, row);
    for (x, r) in x.iter_mut().zip(row.iter()) {
        *x += r;
    }
}

impl TransformerInference {
    /// Class logits of one window (no softmax), for comparisons.
    ///
    /// # Errors
    /// As [`Decoder::decode`], without the probability-length check.
    pub fn logits(&mut self, window: &Window<'_>) -> Result<&[f32], DecodeError> {
        check_window(window, self.w.n_chans, self.w.n_times)?;
        check_finite(window.data, self.w.n_times)?;
        self.run(window.data);
        Ok(&self.logits)
    }
}

impl Decoder for TransformerInference {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        (self.w.n_chans, self.w.n_times)
    }

    fn decode(
        &mut self,
        window: &Window<'_>,
        probabilities: &mut [f32],
    ) -> Result<(), DecodeError> {
        check_probabilities(probabilities, self.classes.len())?;
        self.logits(window)?;
        softmax(&self.logits, probabilities);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::Device;

    use super::*;
    use crate::TransformerConfig;

    #[test]
    fn portable_and_avx2_paths_agree() {
        let (c, t) = (3, 60);
        let device = Device::flex();
        device.seed(4);
        let model = TransformerConfig::new(c, 3, t)
            .with_patch_len(15)
            .init(&device)
            .unwrap();
        let classes: Vec<String> = ["a", "b", "c"].map(String::from).into();
        let mut fast = TransformerInference::from_model(&model, classes.clone()).unwrap();
        let mut portable = TransformerInference::from_model(&model, classes).unwrap();
        portable.avx2 = false;
        let data: Vec<f32> = (0..c * t).map(|i| (i as f32 * 0.37).sin() * 2.0).collect();
        let w = Window {
            index: 0,
            channels: c,
            samples: t,
            data: &data,
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        let (mut a, mut b) = ([0.0_f32; 3], [0.0_f32; 3]);
        fast.decode(&w, &mut a).unwrap();
        portable.decode(&w, &mut b).unwrap();
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
        }
    }
}
