//! [`BatchDecoder`]: a trained network's faithful burn forward on a compute
//! device, for batches of windows — what a live session runs on a GPU
//! (`[decoder] device = "wgpu"` or `"cuda"`), off the pipeline thread.
//!
//! Unlike [`Decoder`](crate::Decoder), a batch decoder may allocate: it runs
//! on a worker thread, never on the pipeline thread.

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

use super::arch::Infer;
use super::net::values;
use crate::{ComputeDevice, DecodeError};

/// Class probabilities of batches of windows, on a compute device.
///
/// # Shapes
/// `windows` holds `n` windows of `channels × samples` values, channel-major,
/// back to back (`(channels, samples) == input_shape()`); `probabilities`
/// receives `n × classes().len()` values, window by window.
pub trait BatchDecoder: Send {
    /// The class labels, in the order of the probabilities.
    fn classes(&self) -> &[String];

    /// `(channels, samples)` of the windows it accepts.
    fn input_shape(&self) -> (usize, usize);

    /// The device it runs on.
    fn device(&self) -> ComputeDevice;

    /// Softmax probabilities of `n` windows.
    ///
    /// # Errors
    /// [`DecodeError::WindowShape`] or [`DecodeError::ProbabilitiesLength`]
    /// if the buffers do not hold `n` windows and `n` rows;
    /// [`DecodeError::Backend`] if the device fails.
    fn decode_batch(
        &mut self,
        windows: &[f32],
        n: usize,
        probabilities: &mut [f32],
    ) -> Result<(), DecodeError>;
}

/// A network in eval mode with its weights on `device`.
pub(crate) struct DeviceNet<M> {
    model: M,
    device: Device,
    kind: ComputeDevice,
    classes: Vec<String>,
    channels: usize,
    samples: usize,
    scale: f32,
}

impl<M: Infer> DeviceNet<M> {
    /// Copies `model`'s weights to `kind`.
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] if this build lacks the device.
    pub(crate) fn new(
        model: &M,
        kind: ComputeDevice,
        classes: Vec<String>,
        (channels, samples): (usize, usize),
        scale: f32,
    ) -> Result<Self, DecodeError> {
        let device = kind.burn_device()?;
        Ok(Self {
            model: model.clone().to_device(&device),
            device,
            kind,
            classes,
            channels,
            samples,
            scale,
        })
    }
}

impl<M: Infer> BatchDecoder for DeviceNet<M> {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        (self.channels, self.samples)
    }

    fn device(&self) -> ComputeDevice {
        self.kind
    }

    fn decode_batch(
        &mut self,
        windows: &[f32],
        n: usize,
        probabilities: &mut [f32],
    ) -> Result<(), DecodeError> {
        let window_len = self.channels * self.samples;
        if n == 0 || windows.len() != n * window_len {
            return Err(DecodeError::WindowShape {
                expected_channels: self.channels,
                expected_samples: self.samples,
                channels: self.channels,
                samples: windows.len() / n.max(1) / self.channels.max(1),
                len: windows.len(),
            });
        }
        let k = self.classes.len();
        if probabilities.len() != n * k {
            return Err(DecodeError::ProbabilitiesLength {
                expected: n * k,
                got: probabilities.len(),
            });
        }
        let scaled: Vec<f32> = windows.iter().map(|v| v * self.scale).collect();
        let x = Tensor::from_data(
            TensorData::new(scaled, [n, self.channels, self.samples]),
            &self.device,
        );
        let p = values(softmax(self.model.logits(x), 1))?;
        if p.len() != n * k {
            return Err(DecodeError::Backend(format!(
                "the network gave {} probabilities for {n} windows of {k} classes",
                p.len()
            )));
        }
        probabilities.copy_from_slice(&p);
        Ok(())
    }
}

/// A network module whose faithful forward can run on a device: EEGNet,
/// ShallowConvNet and the patch transformer (sealed).
pub trait DeviceNetwork: sealed::Sealed {
    /// The module's forward on `device` for windows of `shape`
    /// (`(channels, samples)`), with no input scaling: for benchmarks and
    /// tools (a session's models come from [`FittedModel::batch_decoder`](super::FittedModel::batch_decoder)).
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] if this build lacks the device.
    fn on_device(
        &self,
        classes: Vec<String>,
        shape: (usize, usize),
        device: ComputeDevice,
    ) -> Result<Box<dyn BatchDecoder>, DecodeError>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::EEGNet {}
    impl Sealed for crate::ShallowConvNet {}
    impl Sealed for crate::EegTransformer {}
}

impl<M: Infer + sealed::Sealed> DeviceNetwork for M {
    fn on_device(
        &self,
        classes: Vec<String>,
        shape: (usize, usize),
        device: ComputeDevice,
    ) -> Result<Box<dyn BatchDecoder>, DecodeError> {
        Ok(Box::new(DeviceNet::new(self, device, classes, shape, 1.0)?))
    }
}
