//! The real-time form of [`EEGNet`]: eval-mode folds and plain-Rust kernels.
//!
//! In eval mode every stage up to the first ELU is linear or affine, so the
//! order can change without changing the result:
//!
//! 1. the depthwise spatial filters project the window first, `F1·D`
//!    signals from `n_chans` channels (about 8× fewer multiply-adds than
//!    filtering every channel with every temporal filter);
//! 2. each projected signal is filtered by its own temporal kernel, scaled
//!    by both batch norms around the spatial filter, and offset by their
//!    shifts (`bnorm_temporal`'s shift passes through the spatial filter as
//!    `shift × sum of the filter's weights`);
//! 3. ELU, `pool_1` (mean), the depthwise temporal filter, then the
//!    pointwise filters with `bnorm_2` folded in, ELU;
//! 4. `pool_2` (mean) is folded into the classifier: each classifier weight
//!    is spread over the `pool2_kernel_size` samples it averaged, divided by
//!    that size, and the logits are dot products.
//!
//! Every buffer is allocated in [`EEGNetInference::from_model`]; a decode
//! allocates nothing.

use neuroloop_core::{ConfigError, Window};

use super::common::{PoolMode, batch_norm_affine, param_values, renorm_rows_flat};
use super::kernels::{
    BANK_LANES, DEPTH_LANES, Simd, bank, correlate, dot, elu_in_place, padded, softmax, sum,
};
use super::{EEGNet, EEGNetShapes};
use crate::{DecodeError, Decoder, check_finite, check_probabilities, check_window};

/// [`EEGNet`] folded for eval-mode decoding.
///
/// In eval mode every stage up to the first ELU is linear or affine, so the
/// order can change without changing the result:
///
/// 1. the depthwise spatial filters project the window first, `F1·D`
///    signals from `n_chans` channels (about 8× fewer multiply-adds than
///    filtering every channel with every temporal filter);
/// 2. each projected signal is filtered by its own temporal kernel, scaled
///    by both batch norms around the spatial filter, and offset by their
///    shifts (`bnorm_temporal`'s shift passes through the spatial filter as
///    `shift × sum of the filter's weights`);
/// 3. ELU, `pool_1` (mean), the depthwise temporal filter, then the
///    pointwise filters with `bnorm_2` folded in, ELU;
/// 4. `pool_2` (mean) is folded into the classifier: each classifier weight
///    is spread over the `pool2_kernel_size` samples it averaged, divided by
///    that size, and the logits are dot products.
///
/// Every buffer is allocated in [`EEGNetInference::from_model`]; a decode
/// allocates nothing.
#[derive(Debug)]
pub struct EEGNetInference {
    classes: Vec<String>,
    n_chans: usize,
    n_times: usize,
    kernel: usize,
    depth_kernel: usize,
    pool_1: usize,
    shapes: EEGNetShapes,
    simd: Simd,
    /// `[depth, n_chans]`, max-norm applied.
    spatial: Vec<f32>,
    /// `[depth, kernel]`, batch-norm scales folded in.
    temporal: Vec<f32>,
    /// `[depth]`.
    temporal_bias: Vec<f32>,
    /// `[depth, depth_kernel]`.
    depthwise: Vec<f32>,
    /// `[f2, depth]`, `bnorm_2` scale folded in.
    pointwise: Vec<f32>,
    /// `[f2]`.
    pointwise_bias: Vec<f32>,
    /// `[n_outputs, f2, pool2_kernel_size * pooled_2]`, `pool_2` folded in.
    classifier: Vec<f32>,
    /// `[n_outputs]`.
    classifier_bias: Vec<f32>,
    input: Vec<f32>,
    input_stride: usize,
    projected: Vec<f32>,
    projected_stride: usize,
    filtered: Vec<f32>,
    filtered_stride: usize,
    pooled: Vec<f32>,
    pooled_stride: usize,
    separable: Vec<f32>,
    separable_stride: usize,
    mixed: Vec<f32>,
    mixed_stride: usize,
    logits: Vec<f32>,
}

impl EEGNetInference {
    /// Reads the weights and running statistics out of `model` once and
    /// allocates every buffer.
    ///
    /// # Errors
    /// * [`DecodeError::Config`] if `classes` does not have one label per
    ///   output, or the model uses max pooling (only mean pooling folds).
    /// * [`DecodeError::Backend`] if a weight cannot be read as `f32`.
    pub fn from_model(model: &EEGNet, classes: Vec<String>) -> Result<Self, DecodeError> {
        let c = &model.config;
        let s = model.shapes;
        let mut errors = Vec::new();
        if classes.len() != c.n_outputs {
            errors.push(ConfigError::new(
                "classes",
                format!("{} labels for {} outputs", classes.len(), c.n_outputs),
            ));
        }
        if c.pool_mode != PoolMode::Mean {
            errors.push(ConfigError::new(
                "pool_mode",
                "the inference form needs mean pooling",
            ));
        }
        if !errors.is_empty() {
            return Err(DecodeError::Config(errors));
        }
        let (depth, k, dk) = (s.depth, c.kernel_length, c.depthwise_kernel_length);
        let mut spatial = param_values(&model.conv_spatial.weight)?;
        renorm_rows_flat(&mut spatial, c.n_chans, c.conv_spatial_max_norm);
        let conv_temporal = param_values(&model.conv_temporal.weight)?;
        let (scale_t, shift_t) = batch_norm_affine(&model.bnorm_temporal)?;
        let (scale_1, shift_1) = batch_norm_affine(&model.bnorm_1)?;
        let mut temporal = Vec::with_capacity(depth * k);
        let mut temporal_bias = Vec::with_capacity(depth);
        for o in 0..depth {
            let f = o / c.d;
            let gain = scale_1[o] * scale_t[f];
            temporal.extend(conv_temporal[f * k..(f + 1) * k].iter().map(|w| w * gain));
            let weight_sum: f32 = spatial[o * c.n_chans..(o + 1) * c.n_chans].iter().sum();
            temporal_bias.push(scale_1[o] * shift_t[f] * weight_sum + shift_1[o]);
        }
        let depthwise = param_values(&model.conv_separable_depth.weight)?;
        let (scale_2, shift_2) = batch_norm_affine(&model.bnorm_2)?;
        let mut pointwise = param_values(&model.conv_separable_point.weight)?;
        for (row, gain) in pointwise.chunks_exact_mut(depth).zip(&scale_2) {
            row.iter_mut().for_each(|w| *w *= gain);
        }
        let p2 = c.pool2_kernel_size;
        let span = p2 * s.pooled_2;
        let weights = param_values(&model.conv_classifier.weight)?;
        let mut classifier = Vec::with_capacity(weights.len() * p2);
        for w in &weights {
            classifier.extend(std::iter::repeat_n(w / p2 as f32, p2));
        }
        debug_assert_eq!(classifier.len(), c.n_outputs * s.f2 * span);
        let classifier_bias = match &model.conv_classifier.bias {
            Some(b) => param_values(b)?,
            None => vec![0.0; c.n_outputs],
        };

        let input_stride = padded(c.n_times, BANK_LANES);
        let projected_stride = (padded(s.temporal, DEPTH_LANES) + k - 1).max(k / 2 + input_stride);
        let filtered_stride = padded(s.temporal, DEPTH_LANES);
        let pooled_stride = padded(s.separable, DEPTH_LANES) + dk - 1;
        let separable_stride = padded(s.separable, DEPTH_LANES);
        let mixed_stride = padded(s.separable, BANK_LANES);
        Ok(Self {
            classes,
            n_chans: c.n_chans,
            n_times: c.n_times,
            kernel: k,
            depth_kernel: dk,
            pool_1: c.pool1_kernel_size,
            shapes: s,
            simd: Simd::detect(),
            spatial,
            temporal,
            temporal_bias,
            depthwise,
            pointwise,
            pointwise_bias: shift_2,
            classifier,
            classifier_bias,
            input: vec![0.0; c.n_chans * input_stride],
            input_stride,
            projected: vec![0.0; depth * projected_stride],
            projected_stride,
            filtered: vec![0.0; depth * filtered_stride],
            filtered_stride,
            pooled: vec![0.0; depth * pooled_stride],
            pooled_stride,
            separable: vec![0.0; depth * separable_stride],
            separable_stride,
            mixed: vec![0.0; s.f2 * mixed_stride],
            mixed_stride,
            logits: vec![0.0; c.n_outputs],
        })
    }

    /// Time-axis lengths of the folded model.
    #[must_use]
    pub fn shapes(&self) -> EEGNetShapes {
        self.shapes
    }

    /// Whether decoding runs the AVX2 + FMA kernels (chosen at construction
    /// where the CPU has both) rather than the portable ones.
    #[must_use]
    pub fn uses_avx2(&self) -> bool {
        self.simd != Simd::Base
    }

    /// Runs the portable kernels from now on, even where the CPU has AVX2
    /// and FMA; both forms compute the same network, and this lets one
    /// machine check each.
    pub fn use_portable_kernels(&mut self) {
        self.simd = Simd::Base;
    }

    /// Runs the folded network on `data` (already checked) into `self.logits`.
    fn run(&mut self, data: &[f32]) {
        let s = self.shapes;
        let (t, depth) = (self.n_times, s.depth);
        for (row, x) in self
            .input
            .chunks_exact_mut(self.input_stride)
            .zip(data.chunks_exact(t))
        {
            row[..t].copy_from_slice(x);
        }
        // Zero padding of the temporal filter: the first kernel/2 values of
        // each projected row stay zero; the projection of the zero input
        // padding writes zeros after the signal.
        let (ps, half) = (self.projected_stride, self.kernel / 2);
        bank(
            self.simd,
            &self.input,
            self.input_stride,
            self.n_chans,
            &self.spatial,
            1,
            &mut self.projected[half..],
            ps,
            depth,
            t,
        );
        let (fs, us, dhalf) = (
            self.filtered_stride,
            self.pooled_stride,
            self.depth_kernel / 2,
        );
        for o in 0..depth {
            let row = &mut self.filtered[o * fs..(o + 1) * fs];
            correlate(
                self.simd,
                &self.projected[o * ps..(o + 1) * ps],
                &self.temporal[o * self.kernel..(o + 1) * self.kernel],
                row,
                s.temporal,
            );
            let row = &mut row[..s.temporal];
            let bias = self.temporal_bias[o];
            row.iter_mut().for_each(|v| *v += bias);
            elu_in_place(row);
            let pooled = &mut self.pooled[o * us + dhalf..o * us + dhalf + s.pooled_1];
            let norm = 1.0 / self.pool_1 as f32;
            for (p, chunk) in pooled.iter_mut().zip(row.chunks_exact(self.pool_1)) {
                *p = sum(chunk) * norm;
            }
        }
        let vs = self.separable_stride;
        for o in 0..depth {
            correlate(
                self.simd,
                &self.pooled[o * us..(o + 1) * us],
                &self.depthwise[o * self.depth_kernel..(o + 1) * self.depth_kernel],
                &mut self.separable[o * vs..(o + 1) * vs],
                s.separable,
            );
        }
        let ms = self.mixed_stride;
        bank(
            self.simd,
            &self.separable,
            vs,
            depth,
            &self.pointwise,
            1,
            &mut self.mixed,
            ms,
            s.f2,
            s.separable,
        );
        let span = self.classifier.len() / (self.logits.len() * s.f2);
        for (f, row) in self.mixed.chunks_exact_mut(ms).enumerate() {
            let row = &mut row[..span];
            let bias = self.pointwise_bias[f];
            row.iter_mut().for_each(|v| *v += bias);
            elu_in_place(row);
        }
        for (n, logit) in self.logits.iter_mut().enumerate() {
            let mut total = self.classifier_bias[n];
            for f in 0..s.f2 {
                let w = &self.classifier[(n * s.f2 + f) * span..(n * s.f2 + f + 1) * span];
                total += dot(w, &self.mixed[f * ms..f * ms + span]);
            }
            *logit = total;
        }
    }

    /// Class logits of one window (no softmax), for comparisons.
    ///
    /// # Errors
    /// As [`Decoder::decode`], without the probability-length check.
    pub fn logits(&mut self, window: &Window<'_>) -> Result<&[f32], DecodeError> {
        check_window(window, self.n_chans, self.n_times)?;
        check_finite(window.data, self.n_times)?;
        self.run(window.data);
        Ok(&self.logits)
    }
}

impl Decoder for EEGNetInference {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        (self.n_chans, self.n_times)
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
