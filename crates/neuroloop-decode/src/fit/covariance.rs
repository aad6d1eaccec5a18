//! The covariance architectures (`csp_lda`, `fbcsp`, `tangent_space`,
//! `mdm`, `xdawn_tangent_space`, `xdawn_mdm`, `erp_tangent_space`,
//! `erp_mdm`, `stacked_tangent_space`, `cca_lr`) as registry entries:
//! [`CovarianceArchitecture`] holds what differs (the spec's checks and
//! the fit to a [`CovarianceRecord`], declared next to each estimator in
//! [`crate::covariance`]); the rest is shared: one fit on every epoch (no
//! validation split: the classifiers are convex and fitted to
//! convergence), the training figures of the result, and the record as a
//! bundle's `weights.json`.

use std::path::Path;

use neuroloop_core::{ConfigError, Window};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::architecture::{Architecture, DataShape, SavedWeights, StoredWeights, TrainedModel};
use super::{EpochProgress, EpochSet, FitOptions, FitReport};
use crate::bundle::RECORD_FILE;
use crate::covariance::CovarianceRecord;
use crate::{DecodeError, Decoder};

/// Checks a spec at `path` against the data's channels and rate, pushing
/// every problem.
pub(crate) type SpecCheck<S> = fn(&S, &str, usize, f64, &mut Vec<ConfigError>);

/// A covariance architecture.
pub(crate) struct CovarianceArchitecture<S> {
    /// The `architecture` name (also the record's tag).
    pub(crate) name: &'static str,
    /// What it is, in one line.
    pub(crate) description: &'static str,
    /// The default hyperparameters.
    pub(crate) default: fn() -> S,
    /// The hyperparameter checks.
    pub(crate) check: SpecCheck<S>,
    /// The fit on every epoch.
    pub(crate) fit: fn(&S, &EpochSet) -> Result<CovarianceRecord, DecodeError>,
}

impl<S> Architecture for CovarianceArchitecture<S>
where
    S: Serialize + DeserializeOwned + Clone + std::fmt::Debug + Send + Sync + 'static,
{
    type Spec = S;

    fn name(&self) -> &str {
        self.name
    }

    fn description(&self) -> &str {
        self.description
    }

    fn default_spec(&self) -> S {
        (self.default)()
    }

    fn check(&self, spec: &S, shape: &DataShape) -> Result<(), DecodeError> {
        let mut errors = Vec::new();
        (self.check)(
            spec,
            self.name,
            shape.channels,
            shape.sample_rate,
            &mut errors,
        );
        if errors.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Config(errors))
        }
    }

    fn fit(
        &self,
        spec: &S,
        data: &EpochSet,
        opts: &FitOptions,
        on_epoch: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(FitReport, Box<dyn TrainedModel>), DecodeError> {
        self.check(spec, &DataShape::of(data))?;
        let record = (self.fit)(spec, data)?;
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
            architecture: self.name.into(),
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
        Ok((report, Box::new(record)))
    }

    fn load(
        &self,
        _spec: &S,
        weights: StoredWeights<'_>,
    ) -> Result<Box<dyn TrainedModel>, DecodeError> {
        let record = checked_record(self.name, &weights).map_err(DecodeError::RecordMismatch)?;
        Ok(Box::new(record))
    }
}

/// Parses a covariance decoder's record and checks it against the
/// architecture and shape by building its decoder once.
fn checked_record(
    architecture: &str,
    weights: &StoredWeights<'_>,
) -> Result<CovarianceRecord, String> {
    let record: CovarianceRecord =
        serde_json::from_slice(&weights.bytes).map_err(|e| e.to_string())?;
    let tag = serde_json::to_value(&record).ok().and_then(|v| {
        v.get("architecture")
            .and_then(|a| a.as_str().map(String::from))
    });
    if tag.as_deref() != Some(architecture) {
        return Err(format!(
            "the weights are of architecture {tag:?}, the manifest says {architecture}"
        ));
    }
    let shape = weights.shape;
    record
        .decoder(
            shape.classes.clone(),
            shape.channels,
            shape.samples,
            shape.sample_rate,
        )
        .map_err(|e| e.to_string())?;
    Ok(record)
}

impl TrainedModel for CovarianceRecord {
    fn predict(&self, data: &EpochSet, shape: &DataShape) -> Result<Vec<f32>, DecodeError> {
        decode_recordings(self, &shape.classes, data, shape.sample_rate)
    }

    fn into_decoder(self: Box<Self>, shape: &DataShape) -> Result<Box<dyn Decoder>, DecodeError> {
        self.decoder(
            shape.classes.clone(),
            shape.channels,
            shape.samples,
            shape.sample_rate,
        )
    }

    fn save(&self, dir: &Path) -> Result<SavedWeights, DecodeError> {
        let text = serde_json::to_string(self)
            .map_err(|e| DecodeError::Backend(format!("record as JSON: {e}")))?;
        super::write_bundle_file(&dir.join(RECORD_FILE), (text + "\n").as_bytes())?;
        Ok(SavedWeights {
            file: RECORD_FILE.to_string(),
            input_scale: 1.0,
            alignment: None,
        })
    }
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
