//! [`Frame`]: what every covariance decoder does around its model — the
//! window checks, the filter bank, and writing probabilities — so that each
//! decoder holds only its own math.

use neuroloop_core::Window;

use super::FilterBank;
use crate::{DecodeError, check_finite, check_probabilities, check_window};

/// The input side and output buffer of a covariance decoder.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) classes: Vec<String>,
    pub(crate) channels: usize,
    pub(crate) samples: usize,
    pub(crate) bank: FilterBank,
    /// Class probabilities of the last window, `f64`.
    pub(crate) probs: Vec<f64>,
}

impl Frame {
    pub(crate) fn new(
        classes: Vec<String>,
        channels: usize,
        samples: usize,
        bank: FilterBank,
    ) -> Self {
        let k = classes.len();
        Self {
            classes,
            channels,
            samples,
            bank,
            probs: vec![0.0; k],
        }
    }

    /// Checks the window and the output, then filters the window into the
    /// bank's bands.
    ///
    /// # Errors
    /// [`DecodeError::WindowShape`], [`DecodeError::ProbabilitiesLength`],
    /// [`DecodeError::NonFinite`].
    pub(crate) fn load(
        &mut self,
        window: &Window<'_>,
        probabilities: &[f32],
    ) -> Result<(), DecodeError> {
        check_window(window, self.channels, self.samples)?;
        check_probabilities(probabilities, self.classes.len())?;
        check_finite(window.data, self.samples)?;
        self.bank.apply(window.data);
        Ok(())
    }

    /// Copies the probabilities out, after checking that they are finite
    /// and sum to 1.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if they are not (the window's features
    /// overflowed, say); `probabilities` is then left unchanged.
    pub(crate) fn store(&self, probabilities: &mut [f32]) -> Result<(), DecodeError> {
        let sum: f64 = self.probs.iter().sum();
        if self.probs.iter().any(|p| !p.is_finite()) || (sum - 1.0).abs() > 1e-6 {
            return Err(DecodeError::Numerical {
                what: "class probabilities",
                message: format!("not a distribution (sum {sum})"),
            });
        }
        for (dst, src) in probabilities.iter_mut().zip(&self.probs) {
            *dst = *src as f32;
        }
        Ok(())
    }
}
