//! Seeded training of any decoder architecture on labelled epochs.
//!
//! ```text
//! EpochSet ──fit(ModelSpec, FitOptions, on_epoch)──▶ FittedModel
//!     ├─ predict(EpochSet)  → n × classes probabilities (offline evaluation)
//!     ├─ into_decoder()     → Box<dyn Decoder> (real time)
//!     └─ save_bundle(dir)   → decoder.json + weights (see crate::bundle)
//! ```
//!
//! * `architecture`: [`Architecture`], what an architecture provides (its
//!   spec type, checks, fit and reload), and [`TrainedModel`], what a fit
//!   gives back.
//! * `registry`: [`DecoderRegistry`], the architectures by name.
//! * `epochs`: [`EpochSet`], labelled epochs checked once.
//! * `spec`: [`ModelSpec`], an architecture and its hyperparameters.
//! * `options`: [`FitOptions`], seed, epochs, batch size, early stopping.
//! * `report`: [`EpochProgress`] per epoch, [`FitReport`] at the end.
//! * `bandpower`: the `bandpower` architecture (full batch, convex).
//! * `arch`, `deep`, `train_loop`: the deep networks and their minibatch
//!   loop (autodiff, Adam, minibatches).
//! * `covariance`: the covariance decoders ([`crate::covariance`]),
//!   fitted in closed form and to convergence on all the data.
//! * `fitted`: [`FittedModel`].
//!
//! Every architecture splits its validation set the same way (stratified,
//! from the seed).

pub(crate) mod arch;
mod architecture;
mod bandpower;
mod bandpower_train;
pub(crate) mod covariance;
mod deep;
mod device_net;
mod epochs;
mod fitted;
mod net;
mod options;
mod registry;
mod report;
mod scaled;
mod spec;
mod train_loop;

pub use architecture::{
    Architecture, DataShape, SavedWeights, StoredWeights, TrainedModel, write_bundle_file,
};
pub use bandpower::BandpowerSpec;
pub use device_net::{BatchDecoder, DeviceNetwork};
pub use epochs::EpochSet;
pub use fitted::FittedModel;
pub use options::FitOptions;
pub use registry::DecoderRegistry;
pub use report::{EpochProgress, FitReport};
pub use spec::{Hyperparameters, ModelSpec};

pub(crate) use covariance::decode_all;
pub(crate) use registry::builtin as builtin_registry;

use crate::DecodeError;

/// Trains `spec` on `data`.
///
/// `on_epoch` is called after every epoch (once at the end for the
/// architectures fitted in one go).
///
/// # Errors
/// * [`DecodeError::TrainOptions`] for out-of-range options.
/// * [`DecodeError::TooFewWindows`] / [`DecodeError::EmptyClass`] without
///   two epochs per class.
/// * [`DecodeError::Config`] if the spec does not fit the data (e.g. a band
///   above Nyquist, a kernel longer than the epoch).
/// * [`DecodeError::Diverged`] if the loss becomes non-finite.
pub fn fit(
    spec: &ModelSpec,
    data: &EpochSet,
    opts: &FitOptions,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<FittedModel, DecodeError> {
    opts.validate()?;
    check_trainable(data)?;
    let (report, trained) = spec.fit_on(data, opts, on_epoch)?;
    Ok(FittedModel {
        spec: spec.clone(),
        shape: DataShape::of(data),
        report,
        trained,
    })
}

/// At least two epochs of every class.
pub(crate) fn check_trainable(data: &EpochSet) -> Result<(), DecodeError> {
    let counts = data.class_counts();
    if data.len() < 2 * counts.len() {
        return Err(DecodeError::TooFewWindows {
            got: data.len(),
            needed: 2 * counts.len(),
        });
    }
    if let Some(class) = counts.iter().position(|&c| c == 0) {
        return Err(DecodeError::EmptyClass {
            class,
            name: data.classes[class].clone(),
        });
    }
    Ok(())
}
