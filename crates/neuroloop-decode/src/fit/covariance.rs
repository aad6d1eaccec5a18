//! Fitting the covariance architectures (`csp_lda`, `fbcsp`,
//! `tangent_space`, `mdm`, `xdawn_tangent_space`, `xdawn_mdm`,
//! `erp_tangent_space`, `erp_mdm`, `stacked_tangent_space`, `cca_lr`): hyperparameters checked against the data, one
//! fit on every epoch (no validation split: the classifiers are convex and
//! fitted to convergence), and the training figures of the result.

use neuroloop_core::{ConfigError, Window};

use super::{EpochProgress, EpochSet, FitOptions, FitReport, ModelSpec, Trained};
use crate::covariance::{
    CovarianceRecord, check_bands, check_c, check_cca, check_csp, check_nfilter, check_recenter,
    check_stacked, fit_cca, fit_csp_lda, fit_erp_mdm, fit_erp_tangent_space, fit_mdm, fit_stacked,
    fit_tangent_space, fit_xdawn_mdm, fit_xdawn_tangent_space,
};
use crate::{DecodeError, Decoder};

/// Checks a covariance spec against the data's channels and rate.
///
/// # Errors
/// [`DecodeError::Config`] naming every bad hyperparameter.
pub(crate) fn check_spec(
    spec: &ModelSpec,
    channels: usize,
    sample_rate: f64,
) -> Result<(), DecodeError> {
    let mut errors: Vec<ConfigError> = Vec::new();
    let path = spec.architecture();
    match spec {
        ModelSpec::CspLda(s) => check_csp(path, s, channels, sample_rate, &mut errors),
        ModelSpec::Fbcsp(s) => {
            check_csp(path, &s.csp(), channels, sample_rate, &mut errors);
            if s.bands_hz.is_empty() {
                errors.push(ConfigError::new(
                    format!("{path}.bands_hz"),
                    "needs at least one band",
                ));
            }
        }
        ModelSpec::TangentSpace(s) => {
            check_c(path, s.c, &mut errors);
            check_bands(path, &s.bands_hz, s.filter_order, sample_rate, &mut errors);
            check_recenter(path, s.recenter_memory, &mut errors);
        }
        ModelSpec::Mdm(s) => check_recenter(path, s.recenter_memory, &mut errors),
        ModelSpec::XdawnTangentSpace(s) => {
            check_c(path, s.c, &mut errors);
            check_nfilter(path, s.nfilter, channels, &mut errors);
        }
        ModelSpec::XdawnMdm(s) => check_nfilter(path, s.nfilter, channels, &mut errors),
        ModelSpec::ErpTangentSpace(s) => check_c(path, s.c, &mut errors),
        ModelSpec::StackedTangentSpace(s) => check_stacked(path, s, sample_rate, &mut errors),
        ModelSpec::CcaLr(s) => check_cca(path, s, sample_rate, &mut errors),
        _ => {}
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::Config(errors))
    }
}

/// Fits a covariance architecture on all of `data`.
///
/// # Errors
/// [`DecodeError::Config`] for hyperparameters that do not fit the data,
/// [`DecodeError::Numerical`] if the data make a fit impossible (a
/// singular covariance, say).
pub(crate) fn fit_covariance(
    spec: &ModelSpec,
    data: &EpochSet,
    opts: &FitOptions,
    on_epoch: &mut dyn FnMut(&EpochProgress),
) -> Result<(FitReport, Trained), DecodeError> {
    check_spec(spec, data.channels, data.sample_rate)?;
    let record = match spec {
        ModelSpec::CspLda(s) => CovarianceRecord::CspLda(fit_csp_lda(s, data)?),
        ModelSpec::Fbcsp(s) => CovarianceRecord::Fbcsp(fit_csp_lda(&s.csp(), data)?),
        ModelSpec::TangentSpace(s) => CovarianceRecord::TangentSpace(fit_tangent_space(s, data)?),
        ModelSpec::Mdm(s) => CovarianceRecord::Mdm(fit_mdm(s, data)?),
        ModelSpec::XdawnTangentSpace(s) => {
            CovarianceRecord::XdawnTangentSpace(fit_xdawn_tangent_space(s, data)?)
        }
        ModelSpec::XdawnMdm(s) => CovarianceRecord::XdawnMdm(fit_xdawn_mdm(s, data)?),
        ModelSpec::ErpTangentSpace(s) => {
            CovarianceRecord::ErpTangentSpace(fit_erp_tangent_space(s, data)?)
        }
        ModelSpec::ErpMdm(s) => CovarianceRecord::ErpMdm(fit_erp_mdm(s, data)?),
        ModelSpec::StackedTangentSpace(s) => {
            CovarianceRecord::StackedTangentSpace(fit_stacked(s, data)?)
        }
        ModelSpec::CcaLr(s) => CovarianceRecord::CcaLr(fit_cca(s, data)?),
        other => {
            return Err(DecodeError::ArchitectureUnavailable(format!(
                "{} is not a covariance architecture",
                other.architecture()
            )));
        }
    };
    let probabilities = decode_recordings(&record, &data.classes, data, data.sample_rate)?;
    let (loss, accuracy) = loss_and_accuracy(&probabilities, &data.labels, data.classes.len());
    on_epoch(&EpochProgress {
        epoch: 1,
        max_epochs: 1,
        train_loss: loss,
        val_loss: None,
        val_accuracy: None,
    });
    let report = FitReport {
        architecture: spec.architecture().into(),
        seed: opts.seed,
        epochs: 1,
        best_epoch: 1,
        n_train: data.len(),
        n_validation: 0,
        train_loss: loss,
        train_accuracy: accuracy,
        validation_loss: None,
        validation_accuracy: None,
    };
    Ok((report, Trained::Covariance(Box::new(record))))
}

/// `[n, classes]` probabilities of every epoch of `data` from `record`'s
/// decoder at `sample_rate`: each run of epochs of one recording
/// ([`EpochSet::recording`]) in order, by a decoder fresh from training, as
/// a new session would be (a re-centring decoder adapts to one recording).
///
/// # Errors
/// As [`CovarianceRecord::decoder`] and [`Decoder::decode`].
pub(crate) fn decode_recordings(
    record: &CovarianceRecord,
    classes: &[String],
    data: &EpochSet,
    sample_rate: f64,
) -> Result<Vec<f32>, DecodeError> {
    let mut out = Vec::with_capacity(data.len() * classes.len());
    let mut start = 0;
    while start < data.len() {
        let end = (start..data.len())
            .find(|&i| data.recording[i] != data.recording[start])
            .unwrap_or(data.len());
        let mut decoder =
            record.decoder(classes.to_vec(), data.channels, data.samples, sample_rate)?;
        let run: Vec<usize> = (start..end).collect();
        out.extend(decode_all(decoder.as_mut(), &data.subset(&run)?)?);
        start = end;
    }
    Ok(out)
}

/// Runs `decoder` over every epoch of `data`: `[n, classes]`
/// probabilities.
///
/// # Errors
/// The first error of [`Decoder::decode`].
pub(crate) fn decode_all(
    decoder: &mut dyn Decoder,
    data: &EpochSet,
) -> Result<Vec<f32>, DecodeError> {
    let k = decoder.classes().len();
    let mut out = vec![0.0_f32; data.len() * k];
    for (i, p) in out.chunks_exact_mut(k).enumerate() {
        let window = Window {
            index: i as u64,
            channels: data.channels,
            samples: data.samples,
            data: data.epoch(i),
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        decoder.decode(&window, p)?;
    }
    Ok(out)
}

/// Mean cross-entropy and accuracy of `probabilities` (`[n, classes]`).
fn loss_and_accuracy(probabilities: &[f32], labels: &[usize], classes: usize) -> (f32, f32) {
    let n = labels.len().max(1) as f32;
    let mut loss = 0.0_f32;
    let mut correct = 0_usize;
    for (p, &y) in probabilities.chunks_exact(classes).zip(labels) {
        loss -= p[y].max(1e-12).ln();
        let best = p
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        correct += usize::from(best == y);
    }
    (loss / n, correct as f32 / n)
}
