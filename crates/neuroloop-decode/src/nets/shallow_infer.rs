//! The real-time form of [`ShallowConvNet`]: eval-mode folds and plain-Rust
//! kernels.
//!
//! The temporal filters, the spatial filters and the batch norm are all
//! linear or affine, so they fold into one spatio-temporal filter bank:
//! `n_filters_spat` filters of `n_chans × filter_time_length` taps, each
//! with one bias. That is the cheapest exact order: filtering every
//! channel with every temporal filter first costs the same multiply-adds
//! and then the spatial filters on top; projecting channels first would
//! need one projection per (spatial, temporal) filter pair. Square, mean
//! pool and safe log follow, then the classifier as dot products.
//!
//! Every buffer is allocated in [`ShallowConvNetInference::from_model`]; a
//! decode allocates nothing.

use neuroloop_core::{ConfigError, Window};

use super::common::{PoolMode, batch_norm_affine, param_values};
use super::kernels::{BANK_LANES, Simd, bank, dot, padded, softmax, sum_squares};
use super::shallow::SAFE_LOG_EPS;
use super::{ShallowConvNet, ShallowConvNetShapes};
use crate::{DecodeError, Decoder, check_finite, check_probabilities, check_window};

/// [`ShallowConvNet`] folded for eval-mode decoding.
///
/// The temporal filters, the spatial filters and the batch norm are all
/// linear or affine, so they fold into one spatio-temporal filter bank:
/// `n_filters_spat` filters of `n_chans × filter_time_length` taps, each
/// with one bias. That is the cheapest exact order: filtering every
/// channel with every temporal filter first costs the same multiply-adds
/// and then the spatial filters on top; projecting channels first would
/// need one projection per (spatial, temporal) filter pair. Square, mean
/// pool and safe log follow, then the classifier as dot products.
///
/// Every buffer is allocated in [`ShallowConvNetInference::from_model`]; a
/// decode allocates nothing.
#[derive(Debug)]
pub struct ShallowConvNetInference {
    classes: Vec<String>,
    n_chans: usize,
    n_times: usize,
    n_filters: usize,
    taps: usize,
    pool_length: usize,
    pool_stride: usize,
    shapes: ShallowConvNetShapes,
    simd: Simd,
    /// `[n_filters_spat, n_chans, filter_time_length]`, batch norm folded in.
    filters: Vec<f32>,
    /// `[n_filters_spat]`.
    filter_bias: Vec<f32>,
    /// `[n_outputs, n_filters_spat, pooled]`.
    classifier: Vec<f32>,
    /// `[n_outputs]`.
    classifier_bias: Vec<f32>,
    input: Vec<f32>,
    input_stride: usize,
    filtered: Vec<f32>,
    filtered_stride: usize,
    log_power: Vec<f32>,
    logits: Vec<f32>,
}

impl ShallowConvNetInference {
    /// Reads the weights and running statistics out of `model` once, folds
    /// them and allocates every buffer.
    ///
    /// # Errors
    /// * [`DecodeError::Config`] if `classes` does not have one label per
    ///   output, or the model uses max pooling.
    /// * [`DecodeError::Backend`] if a weight cannot be read as `f32`.
    pub fn from_model(model: &ShallowConvNet, classes: Vec<String>) -> Result<Self, DecodeError> {
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
        let (nt, ns, k, chans) = (
            c.n_filters_time,
            c.n_filters_spat,
            c.filter_time_length,
            c.n_chans,
        );
        let time = param_values(&model.conv_time.weight)?;
        let time_bias = match &model.conv_time.bias {
            Some(b) => param_values(b)?,
            None => vec![0.0; nt],
        };
        let spat = param_values(&model.conv_spat.weight)?;
        let spat_bias = match &model.conv_spat.bias {
            Some(b) => param_values(b)?,
            None => vec![0.0; ns],
        };
        let (scale, shift) = match &model.bnorm {
            Some(bn) => batch_norm_affine(bn)?,
            None => (vec![1.0; ns], vec![0.0; ns]),
        };
        let mut filters = vec![0.0_f64; ns * chans * k];
        let mut filter_bias = Vec::with_capacity(ns);
        for o in 0..ns {
            let mut bias = f64::from(spat_bias[o]);
            for f in 0..nt {
                let w = &spat[(o * nt + f) * chans..(o * nt + f + 1) * chans];
                bias += w.iter().map(|v| f64::from(*v)).sum::<f64>() * f64::from(time_bias[f]);
                for (ch, wv) in w.iter().enumerate() {
                    let row = &mut filters[(o * chans + ch) * k..(o * chans + ch + 1) * k];
                    for (acc, tv) in row.iter_mut().zip(&time[f * k..(f + 1) * k]) {
                        *acc += f64::from(*wv) * f64::from(*tv);
                    }
                }
            }
            filter_bias.push((f64::from(scale[o]) * bias + f64::from(shift[o])) as f32);
        }
        let filters = filters
            .chunks_exact(chans * k)
            .zip(&scale)
            .flat_map(|(row, g)| row.iter().map(move |v| (v * f64::from(*g)) as f32))
            .collect();
        let classifier = param_values(&model.conv_classifier.weight)?;
        let classifier_bias = match &model.conv_classifier.bias {
            Some(b) => param_values(b)?,
            None => vec![0.0; c.n_outputs],
        };
        let filtered_stride = padded(s.filtered, BANK_LANES);
        let input_stride = filtered_stride + k - 1;
        Ok(Self {
            classes,
            n_chans: chans,
            n_times: c.n_times,
            n_filters: ns,
            taps: k,
            pool_length: c.pool_time_length,
            pool_stride: c.pool_time_stride,
            shapes: s,
            simd: Simd::detect(),
            filters,
            filter_bias,
            classifier,
            classifier_bias,
            input: vec![0.0; chans * input_stride],
            input_stride,
            filtered: vec![0.0; ns * filtered_stride],
            filtered_stride,
            log_power: vec![0.0; ns * s.pooled],
            logits: vec![0.0; c.n_outputs],
        })
    }

    /// Time-axis lengths of the folded model.
    #[must_use]
    pub fn shapes(&self) -> ShallowConvNetShapes {
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
        let t = self.n_times;
        for (row, x) in self
            .input
            .chunks_exact_mut(self.input_stride)
            .zip(data.chunks_exact(t))
        {
            row[..t].copy_from_slice(x);
        }
        let fs = self.filtered_stride;
        bank(
            self.simd,
            &self.input,
            self.input_stride,
            self.n_chans,
            &self.filters,
            self.taps,
            &mut self.filtered,
            fs,
            self.n_filters,
            self.shapes.filtered,
        );
        let pooled = self.shapes.pooled;
        let norm = 1.0 / self.pool_length as f32;
        for (o, row) in self.filtered.chunks_exact_mut(fs).enumerate() {
            let row = &mut row[..self.shapes.filtered];
            let bias = self.filter_bias[o];
            row.iter_mut().for_each(|v| *v += bias);
            let out = &mut self.log_power[o * pooled..(o + 1) * pooled];
            for (j, p) in out.iter_mut().enumerate() {
                let start = j * self.pool_stride;
                let power = sum_squares(&row[start..start + self.pool_length]) * norm;
                *p = power.max(SAFE_LOG_EPS).ln();
            }
        }
        let span = self.log_power.len();
        for (n, logit) in self.logits.iter_mut().enumerate() {
            *logit = self.classifier_bias[n]
                + dot(&self.classifier[n * span..(n + 1) * span], &self.log_power);
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

impl Decoder for ShallowConvNetInference {
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
