//! Neural-network decoders: burn modules for training and plain-Rust
//! inference forms for the real-time path.
//!
//! * [`EEGNet`] and [`ShallowConvNet`] follow braindecode 1.8 (`EEGNet`,
//!   `ShallowFBCSPNet`) layer for layer, with field names after
//!   braindecode's state-dict keys. They train under burn autodiff: burn
//!   0.22 runs dropout and batch norm in training mode exactly when the
//!   input tensor lives on an autodiff device (`device.autodiff()`) and the
//!   layer's `training` flag is set (cleared by `Module::freeze`); on a
//!   plain device they behave as PyTorch's `eval()`.
//! * [`EEGNetInference`] and [`ShallowConvNetInference`] read the weights
//!   out of a trained module once, fold batch norms, pools and linear stages
//!   together where that is exact in eval mode, and decode with plain-Rust
//!   kernels into buffers allocated at construction.

mod common;
mod eegnet;
mod eegnet_infer;
pub(crate) mod kernels;
mod shallow;
mod shallow_infer;
mod transformer;
mod transformer_infer;
mod transformer_kernels;
mod transformer_weights;

pub use common::PoolMode;
pub use eegnet::{EEGNet, EEGNetConfig, EEGNetShapes};
pub use eegnet_infer::EEGNetInference;
pub use shallow::{ShallowConvNet, ShallowConvNetConfig, ShallowConvNetShapes};
pub use shallow_infer::ShallowConvNetInference;
pub use transformer::{EegTransformer, MAX_TOKENS, TransformerConfig};
pub use transformer_infer::TransformerInference;
