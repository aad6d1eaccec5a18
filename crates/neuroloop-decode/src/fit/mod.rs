//! Seeded training of any decoder architecture on labelled epochs.
//!
//! ```text
//! EpochSet ──fit(ModelSpec, FitOptions, on_epoch)──▶ FittedModel
//!     ├─ predict(EpochSet)  → n × classes probabilities (offline evaluation)
//!     ├─ into_decoder()     → Box<dyn Decoder> (real time)
//!     └─ save_bundle(dir)   → decoder.json + weights (see crate::bundle)
//! ```
//!
//! * `epochs`: [`EpochSet`], labelled epochs checked once.
//! * `spec`: [`ModelSpec`], the architecture and its hyperparameters.
//! * `options`: [`FitOptions`], seed, epochs, batch size, early stopping.
//! * `report`: [`EpochProgress`] per epoch, [`FitReport`] at the end.
//! * `train_loop`: the deep-model loop (autodiff, Adam, minibatches).
//! * `fitted`: [`FittedModel`].
//!
//! Bandpower trains with [`crate::train`] (full batch, convex); the deep
//! models with the minibatch loop; the covariance decoders
//! ([`crate::covariance`]) in closed form and to convergence, on all the
//! data (`covariance`). Every architecture splits its
//! validation set the same way (stratified, from the seed).

pub(crate) mod arch;
mod covariance;
mod epochs;
mod fitted;
mod net;
mod options;
mod report;
mod scaled;
mod spec;
mod train_loop;

pub use epochs::EpochSet;
pub use fitted::FittedModel;
pub use options::FitOptions;
pub use report::{EpochProgress, FitReport};
pub use spec::{ARCHITECTURES, BandpowerSpec, Hyperparameters, ModelSpec};

use arch::{Infer, Shape};
pub(crate) use covariance::decode_all;
use fitted::DeepNet;
pub(crate) use fitted::Trained;

use crate::{BandpowerConfig, DecodeError, TrainOptions};

/// Trains `spec` on `data`.
///
/// `on_epoch` is called after every epoch (once at the end for bandpower,
/// which reports no per-epoch figures).
///
/// # Errors
/// * [`DecodeError::TrainOptions`] for out-of-range options.
/// * [`DecodeError::TooFewWindows`] / [`DecodeError::EmptyClass`] without
///   two epochs per class.
/// * [`DecodeError::Config`] if the spec does not fit the data (e.g. a band
///   above Nyquist, a kernel longer than the epoch).
/// * [`DecodeError::ArchitectureUnavailable`] for an architecture not built
///   into this version.
/// * [`DecodeError::Diverged`] if the loss becomes non-finite.
pub fn fit(
    spec: &ModelSpec,
    data: &EpochSet,
    opts: &FitOptions,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<FittedModel, DecodeError> {
    opts.validate()?;
    check_trainable(data)?;
    let (report, trained) = match spec {
        ModelSpec::Bandpower(b) => fit_bandpower(b, data, opts, on_epoch)?,
        ModelSpec::Eegnet(hp) => {
            let config = arch::eegnet_config(hp, Shape::of(data))?;
            config.shapes()?;
            fit_deep("eegnet", hp, |d| config.init(d), data, opts, on_epoch)?
        }
        ModelSpec::ShallowConvnet(hp) => {
            let config = arch::shallow_config(hp, Shape::of(data))?;
            config.shapes()?;
            fit_deep(
                "shallow_convnet",
                hp,
                |d| config.init(d),
                data,
                opts,
                on_epoch,
            )?
        }
        ModelSpec::Transformer(hp) => {
            let config = arch::transformer_config(hp, Shape::of(data))?;
            config.validate()?;
            fit_deep("transformer", hp, |d| config.init(d), data, opts, on_epoch)?
        }
        ModelSpec::CspLda(_)
        | ModelSpec::Fbcsp(_)
        | ModelSpec::TangentSpace(_)
        | ModelSpec::Mdm(_)
        | ModelSpec::XdawnTangentSpace(_)
        | ModelSpec::XdawnMdm(_)
        | ModelSpec::ErpTangentSpace(_)
        | ModelSpec::ErpMdm(_)
        | ModelSpec::StackedTangentSpace(_)
        | ModelSpec::CcaLr(_) => covariance::fit_covariance(spec, data, opts, on_epoch)?,
    };
    Ok(FittedModel {
        spec: spec.clone(),
        channels: data.channels,
        samples: data.samples,
        sample_rate: data.sample_rate,
        classes: data.classes.clone(),
        report,
        trained,
    })
}

impl ModelSpec {
    /// Checks the spec against the data it will be trained on (channels,
    /// window samples, classes, sample rate) without training: every
    /// hyperparameter that does not fit is reported, as `fit` would.
    ///
    /// # Errors
    /// [`DecodeError::Config`] naming each problem.
    pub fn check_against(
        &self,
        channels: usize,
        samples: usize,
        classes: &[String],
        sample_rate: f64,
    ) -> Result<(), DecodeError> {
        let shape = Shape {
            channels,
            classes: classes.len(),
            samples,
        };
        match self {
            ModelSpec::Bandpower(b) => bandpower_config_for(b, shape, sample_rate, classes)
                .validate("decoder")
                .map_err(DecodeError::Config),
            ModelSpec::Eegnet(hp) => arch::eegnet_config(hp, shape)?.shapes().map(|_| ()),
            ModelSpec::ShallowConvnet(hp) => arch::shallow_config(hp, shape)?.shapes().map(|_| ()),
            ModelSpec::Transformer(hp) => arch::transformer_config(hp, shape)?.validate(),
            _ => covariance::check_spec(self, channels, sample_rate),
        }
    }
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

/// The bandpower config for `data`.
pub(crate) fn bandpower_config(spec: &BandpowerSpec, data: &EpochSet) -> BandpowerConfig {
    bandpower_config_for(spec, Shape::of(data), data.sample_rate, &data.classes)
}

/// The bandpower config for a shape, rate and classes.
pub(crate) fn bandpower_config_for(
    spec: &BandpowerSpec,
    shape: Shape,
    sample_rate: f64,
    classes: &[String],
) -> BandpowerConfig {
    let mut config = BandpowerConfig::new(
        shape.channels,
        shape.samples,
        sample_rate,
        spec.bands_hz.clone(),
        classes.to_vec(),
    );
    config.taper = spec.taper;
    config
}

/// Trains a network, on `data` aligned per recording if `hp` asks for it
/// (see [`crate::align`]).
fn fit_deep<M: Infer>(
    architecture: &str,
    hp: &Hyperparameters,
    init: impl FnOnce(&burn::tensor::Device) -> Result<M, DecodeError>,
    data: &EpochSet,
    opts: &FitOptions,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<(FitReport, Trained), DecodeError> {
    let (aligned, alignment) = match crate::align::alignment_of(architecture, hp)? {
        Some(memory) => {
            let a = crate::align::align_training(data, memory)?;
            (Some(a.data), Some(a.record))
        }
        None => (None, None),
    };
    let data = aligned.as_ref().unwrap_or(data);
    let t = train_loop::fit_net(architecture, init, data, opts, on_epoch)?;
    let net = Box::new(DeepNet(t.model));
    Ok((t.report, Trained::Deep(net, t.scale, alignment)))
}

fn fit_bandpower(
    spec: &BandpowerSpec,
    data: &EpochSet,
    opts: &FitOptions,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<(FitReport, Trained), DecodeError> {
    let config = bandpower_config(spec, data);
    let options = TrainOptions {
        seed: opts.seed,
        validation_fraction: opts.validation_fraction,
        c: spec.c,
    };
    let (decoder, r) = crate::train(&config, &data.data, &data.labels, &options)?;
    on_epoch(&EpochProgress {
        epoch: 1,
        max_epochs: 1,
        train_loss: r.train_loss,
        val_loss: r.validation_loss,
        val_accuracy: r.validation_accuracy,
    });
    let report = FitReport {
        architecture: "bandpower".into(),
        seed: opts.seed,
        epochs: r.epochs,
        best_epoch: r.best_epoch,
        n_train: r.n_train,
        n_validation: r.n_validation,
        train_loss: r.train_loss,
        train_accuracy: r.train_accuracy,
        validation_loss: r.validation_loss,
        validation_accuracy: r.validation_accuracy,
    };
    Ok((report, Trained::Bandpower(Box::new(decoder))))
}
