//! The burn model: feature standardisation, then a linear layer to logits.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

/// Configuration of a [`BandpowerModel`].
#[derive(Config, Debug)]
pub struct BandpowerModelConfig {
    /// Number of input features (`channels × bands`).
    pub n_features: usize,
    /// Number of classes.
    pub n_classes: usize,
}

impl BandpowerModelConfig {
    /// Builds a model with identity standardisation (mean 0, std 1) and all
    /// linear weights zero: the starting point of training, which is convex
    /// for this model, so no random initialisation is needed.
    #[must_use]
    pub fn init(&self, device: &Device) -> BandpowerModel {
        BandpowerModel {
            mean: constant(&vec![0.0; self.n_features], device),
            std: constant(&vec![1.0; self.n_features], device),
            linear: LinearConfig::new(self.n_features, self.n_classes)
                .with_initializer(Initializer::Zeros)
                .init(device),
        }
    }
}

/// Standardised features → linear layer → class logits.
///
/// `mean` and `std` are learned from calibration data, not trained: they
/// never require gradients, so the optimiser leaves them alone, but they
/// are part of the record and saved with the weights.
///
/// # Shapes
/// Input `[batch, n_features]`; output `[batch, n_classes]`.
#[derive(Module, Debug)]
pub struct BandpowerModel {
    /// Per-feature mean, `[n_features]`.
    pub mean: Param<Tensor<1>>,
    /// Per-feature standard deviation, `[n_features]`, strictly positive.
    pub std: Param<Tensor<1>>,
    /// Linear map from standardised features to logits.
    pub linear: Linear,
}

impl BandpowerModel {
    /// Replaces the standardisation statistics.
    ///
    /// # Panics
    /// If the lengths differ from the model's feature count.
    #[must_use]
    pub fn with_standardization(mut self, mean: &[f32], std: &[f32]) -> Self {
        let [n] = self.mean.dims();
        assert!(mean.len() == n && std.len() == n, "standardisation length");
        let device = self.mean.device();
        self.mean = constant(mean, &device);
        self.std = constant(std, &device);
        self
    }

    /// Class logits.
    ///
    /// # Shapes
    /// `[batch, n_features]` → `[batch, n_classes]`.
    pub fn forward(&self, features: Tensor<2>) -> Tensor<2> {
        let mean = self.mean.val().unsqueeze::<2>();
        let std = self.std.val().unsqueeze::<2>();
        self.linear.forward((features - mean) / std)
    }

    /// Class probabilities (softmax of the logits over the class axis).
    ///
    /// # Shapes
    /// `[batch, n_features]` → `[batch, n_classes]`.
    pub fn probabilities(&self, features: Tensor<2>) -> Tensor<2> {
        softmax(self.forward(features), 1)
    }
}

/// A parameter that never requires gradients.
fn constant(values: &[f32], device: &Device) -> Param<Tensor<1>> {
    let tensor = Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device);
    Param::from_tensor(tensor).set_require_grad(false)
}
