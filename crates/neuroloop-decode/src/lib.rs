//! Decoders for the neuroloop runtime.
//!
//! A decoder turns one analysis [`Window`](neuroloop_core::Window) into class
//! probabilities. The pipeline thread holds it as a `Box<dyn Decoder>` and
//! calls [`Decoder::decode`] once per window.
//!
//! * [`Decoder`] is the object-safe interface, with the shared window checks
//!   [`check_window`] and [`check_finite`].
//! * [`BandpowerConfig`] configures the log-bandpower decoder and validates
//!   itself against the sample rate and window length.
//! * [`BandpowerFeatures`] computes log band power per channel and band with
//!   a band-restricted DFT; every table and buffer is allocated up front.
//! * [`BandpowerModel`] is the burn module: feature standardisation learned
//!   from calibration data, then a linear layer to class logits.
//! * [`EegTransformer`] is a patch transformer (channel × time-patch
//!   tokens, CLS pooling) for training; [`TransformerInference`] is its
//!   fused, allocation-free real-time form.
//! * [`fit`] trains any architecture ([`fit::ModelSpec`]) on labelled
//!   epochs ([`fit::EpochSet`]), seeded, and gives a [`fit::FittedModel`].
//! * [`fit::DecoderRegistry`] holds the architectures by name, as the DSP
//!   crate's `StageRegistry` holds filter stages: each one implements
//!   [`fit::Architecture`] (its name, a one-line description, its
//!   hyperparameter type and their checks, its fit on an
//!   [`fit::EpochSet`], and its reload from a bundle's weights) next to
//!   its own code, and [`fit::DecoderRegistry::builtin`] registers the
//!   fourteen of this crate (`bandpower`, `eegnet`, `shallow_convnet`,
//!   `transformer`, `csp_lda`, `fbcsp`, `tangent_space`, `mdm`,
//!   `xdawn_tangent_space`, `xdawn_mdm`, `erp_tangent_space`, `erp_mdm`,
//!   `stacked_tangent_space`, `cca_lr`). [`fit::DecoderRegistry::register`]
//!   adds more from other crates; a [`fit::ModelSpec`] carries its
//!   architecture, so fitting, saving ([`bundle`]) and
//!   [`bundle::Bundle::load_with`] need no `match` on names. A spec's JSON
//!   form is `{"architecture": "<name>", ...hyperparameters}`.
//! * [`import`] loads braindecode (PyTorch) state dicts, `.pt` or
//!   `.safetensors`, into [`EEGNet`] and [`ShallowConvNet`], strictly: every
//!   parameter from the file, every file key used.
//! * [`bundle`] saves a trained model as a directory (`decoder.json` and
//!   weights) and loads it back, checking it against a session.
//! * [`align`] is Euclidean alignment across recordings for the deep
//!   networks (`align = true`): per-recording whitening when fitting, a
//!   running mean of the windows' covariances when decoding.
//! * [`EEGNet`] and [`ShallowConvNet`] follow braindecode 1.8 and train with
//!   burn autodiff; [`EEGNetInference`] and [`ShallowConvNetInference`] are
//!   their folded, allocation-free real-time decoders.
//! * [`ComputeDevice`] says where burn tensors run (training, the faithful
//!   forward): `cpu` (flex) by default, `wgpu` and `cuda` with the cargo
//!   features of those names.
//! * [`synthetic`] generates labelled motor-imagery-like windows for tests,
//!   benchmarks and demos.
//!
//! Every failure is a [`DecodeError`]; [`DecodeError::kind`] says whether a
//! retry can help and [`DecodeError::is_artifact`] marks bad samples.

pub mod align;
mod bandpower;
pub mod bundle;
mod config;
pub mod covariance;
mod dataset;
mod decoder;
mod device;
mod error;
mod features;
pub mod fit;
pub mod import;
pub mod linear;
mod model;
mod nets;
pub mod spd;
pub mod synthetic;

pub use bandpower::BandpowerDecoder;
pub use config::{BandpowerConfig, Taper};
pub use decoder::{Decoder, check_finite, check_probabilities, check_window};
pub use device::{ComputeDevice, panic_message};
pub use error::DecodeError;
pub use features::BandpowerFeatures;
pub use model::{BandpowerModel, BandpowerModelConfig};
pub use nets::{
    EEGNet, EEGNetConfig, EEGNetInference, EEGNetShapes, PoolMode, ShallowConvNet,
    ShallowConvNetConfig, ShallowConvNetInference, ShallowConvNetShapes,
};
pub use nets::{EegTransformer, MAX_TOKENS, TransformerConfig, TransformerInference};
