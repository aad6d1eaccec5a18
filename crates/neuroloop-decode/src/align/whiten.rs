//! [`Whitener`]: `out = W x` for channel-major windows, on the networks'
//! SIMD filter-bank kernel (one tap), in buffers allocated once.

use faer::MatRef;

use crate::nets::kernels::{BANK_LANES, Simd, bank, padded};

/// Mixes `channels × samples` windows by a `channels × channels` matrix.
#[derive(Debug)]
pub struct Whitener {
    simd: Simd,
    channels: usize,
    samples: usize,
    /// Row length of the padded buffers (the kernel works in blocks).
    stride: usize,
    weights: Vec<f32>,
    input: Vec<f32>,
    output: Vec<f32>,
}

impl Whitener {
    /// Buffers for `channels × samples` windows.
    #[must_use]
    pub fn new(channels: usize, samples: usize) -> Self {
        let stride = padded(samples, BANK_LANES);
        Self {
            simd: Simd::detect(),
            channels,
            samples,
            stride,
            weights: vec![0.0; channels * channels],
            input: vec![0.0; channels * stride],
            output: vec![0.0; channels * stride],
        }
    }

    /// `out = w x` in f32, `x` and `out` channel-major. No allocation.
    ///
    /// # Panics
    /// If `w` is not `channels × channels` or `x` or `out` is not
    /// `channels × samples` long.
    pub fn whiten(&mut self, w: MatRef<'_, f64>, x: &[f32], out: &mut [f32]) {
        let (n, t) = (self.channels, self.samples);
        assert!(w.nrows() == n && w.ncols() == n, "a {n}×{n} matrix");
        assert!(x.len() == n * t && out.len() == n * t, "{n}×{t} windows");
        for (o, row) in self.weights.chunks_exact_mut(n).enumerate() {
            for (i, v) in row.iter_mut().enumerate() {
                *v = w[(o, i)] as f32;
            }
        }
        for (padded_row, row) in self
            .input
            .chunks_exact_mut(self.stride)
            .zip(x.chunks_exact(t))
        {
            padded_row[..t].copy_from_slice(row);
        }
        bank(
            self.simd,
            &self.input,
            self.stride,
            n,
            &self.weights,
            1,
            &mut self.output,
            self.stride,
            n,
            t,
        );
        for (row, padded_row) in out
            .chunks_exact_mut(t)
            .zip(self.output.chunks_exact(self.stride))
        {
            row.copy_from_slice(&padded_row[..t]);
        }
    }
}
