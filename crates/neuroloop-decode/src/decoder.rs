//! The decoder interface used by the pipeline thread, and the window checks
//! every decoder runs first.

use neuroloop_core::Window;

use crate::DecodeError;

/// Turns analysis windows into class probabilities.
///
/// Object-safe: the pipeline holds a `Box<dyn Decoder>` on its own thread.
/// `decode` runs on the hot path: implementations allocate all their own
/// buffers at construction, never panic on bad input, and keep any per-call
/// allocation count constant.
///
/// # Shapes
/// The window is `[channels, samples]`, channel-major
/// (`data[ch * samples + t]`), with `(channels, samples) == input_shape()`.
/// `probabilities` has exactly `classes().len()` entries.
pub trait Decoder: Send {
    /// The class labels, in the order of the probabilities.
    fn classes(&self) -> &[String];

    /// `(channels, samples)` of the windows this decoder accepts.
    fn input_shape(&self) -> (usize, usize);

    /// Decodes one window, writing softmax probabilities (summing to 1).
    ///
    /// # Errors
    /// * [`DecodeError::WindowShape`] if the window is not `input_shape()`.
    /// * [`DecodeError::NonFinite`] if the window holds a NaN or ±Inf sample;
    ///   [`DecodeError::is_artifact`] is true and the caller holds.
    /// * [`DecodeError::ProbabilitiesLength`] if `probabilities` has the
    ///   wrong length.
    /// * [`DecodeError::Backend`] if the tensor backend fails.
    ///
    /// On error `probabilities` is left unchanged.
    fn decode(&mut self, window: &Window<'_>, probabilities: &mut [f32])
    -> Result<(), DecodeError>;
}

/// Checks that `window` is `channels × samples` and its data has that length.
///
/// # Errors
/// [`DecodeError::WindowShape`] on any mismatch.
pub fn check_window(
    window: &Window<'_>,
    channels: usize,
    samples: usize,
) -> Result<(), DecodeError> {
    let ok = window.channels == channels
        && window.samples == samples
        && Some(window.data.len()) == channels.checked_mul(samples);
    if ok {
        Ok(())
    } else {
        Err(DecodeError::WindowShape {
            expected_channels: channels,
            expected_samples: samples,
            channels: window.channels,
            samples: window.samples,
            len: window.data.len(),
        })
    }
}

/// Checks that `probabilities` has one entry per class.
///
/// # Errors
/// [`DecodeError::ProbabilitiesLength`] otherwise.
pub fn check_probabilities(probabilities: &[f32], classes: usize) -> Result<(), DecodeError> {
    if probabilities.len() == classes {
        Ok(())
    } else {
        Err(DecodeError::ProbabilitiesLength {
            expected: classes,
            got: probabilities.len(),
        })
    }
}

/// Checks that every value of channel-major `data` (`samples` per channel) is
/// finite.
///
/// The common case is one branch-free pass over the data; the position of
/// the first bad value is searched only when there is one.
///
/// # Errors
/// [`DecodeError::NonFinite`] with the channel and sample of the first NaN
/// or ±Inf.
pub fn check_finite(data: &[f32], samples: usize) -> Result<(), DecodeError> {
    // Non-short-circuiting so the loop vectorises.
    let all_finite = data.iter().fold(true, |ok, v| ok & v.is_finite());
    if all_finite {
        return Ok(());
    }
    let index = data.iter().position(|v| !v.is_finite()).unwrap_or(0);
    let samples = samples.max(1);
    Err(DecodeError::NonFinite {
        channel: index / samples,
        sample: index % samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(data: &[f32], channels: usize, samples: usize) -> Window<'_> {
        Window {
            index: 0,
            channels,
            samples,
            data,
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        }
    }

    #[test]
    fn shape_mismatches_are_reported() {
        let data = [0.0_f32; 12];
        assert!(check_window(&window(&data, 3, 4), 3, 4).is_ok());
        assert!(matches!(
            check_window(&window(&data, 4, 3), 3, 4),
            Err(DecodeError::WindowShape {
                channels: 4,
                samples: 3,
                ..
            })
        ));
        // Header agrees but the slice is short.
        assert!(matches!(
            check_window(&window(&data[..11], 3, 4), 3, 4),
            Err(DecodeError::WindowShape { len: 11, .. })
        ));
    }

    #[test]
    fn first_non_finite_sample_is_located() {
        let mut data = [1.0_f32; 12];
        assert!(check_finite(&data, 4).is_ok());
        data[9] = f32::NEG_INFINITY;
        data[11] = f32::NAN;
        assert_eq!(
            check_finite(&data, 4),
            Err(DecodeError::NonFinite {
                channel: 2,
                sample: 1
            })
        );
    }
}
