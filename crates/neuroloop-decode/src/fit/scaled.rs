//! [`Scaled`]: a decoder behind a constant input gain, the scale a deep
//! model was trained with (data in volts, networks at unit scale).

use neuroloop_core::Window;

use crate::{DecodeError, Decoder};

/// Multiplies every window by `scale` into a buffer allocated at
/// construction, then decodes it with the inner decoder.
///
/// # Shapes
/// As the inner decoder.
pub(crate) struct Scaled {
    inner: Box<dyn Decoder>,
    scale: f32,
    buffer: Vec<f32>,
}

impl Scaled {
    pub(crate) fn new(inner: Box<dyn Decoder>, scale: f32) -> Self {
        let (channels, samples) = inner.input_shape();
        Self {
            inner,
            scale,
            buffer: vec![0.0; channels * samples],
        }
    }
}

impl Decoder for Scaled {
    fn classes(&self) -> &[String] {
        self.inner.classes()
    }

    fn input_shape(&self) -> (usize, usize) {
        self.inner.input_shape()
    }

    fn decode(
        &mut self,
        window: &Window<'_>,
        probabilities: &mut [f32],
    ) -> Result<(), DecodeError> {
        if window.data.len() != self.buffer.len() {
            // Let the inner decoder report the shape error.
            return self.inner.decode(window, probabilities);
        }
        for (b, &v) in self.buffer.iter_mut().zip(window.data) {
            *b = v * self.scale;
        }
        let scaled = Window {
            data: &self.buffer,
            ..*window
        };
        self.inner.decode(&scaled, probabilities)
    }
}
