//! A decoder architecture defined outside the decode crate, for the
//! registry tests: `nearest_mean`, the log-variance of each channel and a
//! softmax over the negative squared distances to the class means.
//!
//! It uses only the public contract ([`Architecture`], [`TrainedModel`]),
//! as an architecture of another crate would.

use std::path::Path;

use neuroloop_core::{ConfigError, Window};
use neuroloop_decode::fit::{
    Architecture, DataShape, EpochProgress, EpochSet, FitOptions, FitReport, SavedWeights,
    StoredWeights, TrainedModel, write_bundle_file,
};
use neuroloop_decode::{DecodeError, Decoder, check_finite, check_probabilities, check_window};
use serde::{Deserialize, Serialize};

/// The architecture's name.
pub const NAME: &str = "nearest_mean";

/// The `nearest_mean` architecture.
#[derive(Debug, Clone, Copy)]
pub struct NearestMean;

/// Its hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NearestMeanSpec {
    /// Divides the squared distances before the softmax; positive.
    pub temperature: f64,
}

impl Default for NearestMeanSpec {
    fn default() -> Self {
        Self { temperature: 1.0 }
    }
}

/// The fitted class means of the log-variances, `[classes][channels]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearestMeanModel {
    pub temperature: f64,
    pub means: Vec<Vec<f64>>,
}

fn log_variance(epoch: &[f32], samples: usize, out: &mut [f64]) {
    for (ch, v) in epoch.chunks_exact(samples).zip(out.iter_mut()) {
        let n = samples as f64;
        let mean = ch.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let var = ch
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / n;
        *v = var.max(1e-30).ln();
    }
}

impl Architecture for NearestMean {
    type Spec = NearestMeanSpec;

    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "log-variance per channel, nearest class mean (a test architecture)"
    }

    fn default_spec(&self) -> NearestMeanSpec {
        NearestMeanSpec::default()
    }

    fn check(&self, spec: &NearestMeanSpec, _shape: &DataShape) -> Result<(), DecodeError> {
        if spec.temperature.is_finite() && spec.temperature > 0.0 {
            Ok(())
        } else {
            Err(DecodeError::Config(vec![ConfigError::new(
                format!("{NAME}.temperature"),
                format!("{} is not positive", spec.temperature),
            )]))
        }
    }

    fn fit(
        &self,
        spec: &NearestMeanSpec,
        data: &EpochSet,
        opts: &FitOptions,
        on_epoch: &mut dyn FnMut(&EpochProgress),
    ) -> Result<(FitReport, Box<dyn TrainedModel>), DecodeError> {
        self.check(spec, &DataShape::of(data))?;
        let (c, k) = (data.channels, data.classes.len());
        let mut means = vec![vec![0.0; c]; k];
        let counts = data.class_counts();
        let mut features = vec![0.0; c];
        for i in 0..data.len() {
            log_variance(data.epoch(i), data.samples, &mut features);
            let class = data.labels[i];
            for (m, f) in means[class].iter_mut().zip(&features) {
                *m += f / counts[class] as f64;
            }
        }
        let model = NearestMeanModel {
            temperature: spec.temperature,
            means,
        };
        let shape = DataShape::of(data);
        let probabilities = model.predict(data, &shape)?;
        let correct = probabilities
            .chunks_exact(k)
            .zip(&data.labels)
            .filter(|(p, y)| (0..k).all(|j| p[j] <= p[**y]))
            .count();
        let accuracy = correct as f32 / data.len() as f32;
        on_epoch(&EpochProgress {
            epoch: 1,
            max_epochs: 1,
            train_loss: 0.0,
            val_loss: None,
            val_accuracy: None,
        });
        let report = FitReport {
            architecture: NAME.into(),
            seed: opts.seed,
            epochs: 1,
            best_epoch: 1,
            n_train: data.len(),
            n_validation: 0,
            train_loss: 0.0,
            train_accuracy: accuracy,
            validation_loss: None,
            validation_accuracy: None,
        };
        Ok((report, Box::new(model)))
    }

    fn load(
        &self,
        _spec: &NearestMeanSpec,
        weights: StoredWeights<'_>,
    ) -> Result<Box<dyn TrainedModel>, DecodeError> {
        let model: NearestMeanModel = serde_json::from_slice(&weights.bytes)
            .map_err(|e| DecodeError::RecordMismatch(e.to_string()))?;
        let shape = weights.shape;
        let fits = model.means.len() == shape.classes.len()
            && model.means.iter().all(|m| m.len() == shape.channels);
        if !fits {
            return Err(DecodeError::RecordMismatch(format!(
                "means are not {} classes × {} channels",
                shape.classes.len(),
                shape.channels
            )));
        }
        Ok(Box::new(model))
    }
}

impl TrainedModel for NearestMeanModel {
    fn predict(&self, data: &EpochSet, shape: &DataShape) -> Result<Vec<f32>, DecodeError> {
        let mut decoder = NearestMeanDecoder::new(self.clone(), shape);
        let k = shape.classes.len();
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

    fn into_decoder(self: Box<Self>, shape: &DataShape) -> Result<Box<dyn Decoder>, DecodeError> {
        Ok(Box::new(NearestMeanDecoder::new(*self, shape)))
    }

    fn save(&self, dir: &Path) -> Result<SavedWeights, DecodeError> {
        let text = serde_json::to_vec(self).map_err(|e| DecodeError::Backend(e.to_string()))?;
        write_bundle_file(&dir.join("nearest_mean.json"), &text)?;
        Ok(SavedWeights {
            file: "nearest_mean.json".into(),
            input_scale: 1.0,
            alignment: None,
        })
    }
}

/// The real-time form: every buffer allocated here.
pub struct NearestMeanDecoder {
    model: NearestMeanModel,
    classes: Vec<String>,
    channels: usize,
    samples: usize,
    features: Vec<f64>,
    scores: Vec<f64>,
}

impl NearestMeanDecoder {
    fn new(model: NearestMeanModel, shape: &DataShape) -> Self {
        Self {
            features: vec![0.0; shape.channels],
            scores: vec![0.0; shape.classes.len()],
            classes: shape.classes.clone(),
            channels: shape.channels,
            samples: shape.samples,
            model,
        }
    }
}

impl Decoder for NearestMeanDecoder {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        (self.channels, self.samples)
    }

    fn decode(
        &mut self,
        window: &Window<'_>,
        probabilities: &mut [f32],
    ) -> Result<(), DecodeError> {
        check_window(window, self.channels, self.samples)?;
        check_probabilities(probabilities, self.classes.len())?;
        check_finite(window.data, self.samples)?;
        log_variance(window.data, self.samples, &mut self.features);
        for (score, mean) in self.scores.iter_mut().zip(&self.model.means) {
            let d2: f64 = mean
                .iter()
                .zip(&self.features)
                .map(|(m, f)| (m - f).powi(2))
                .sum();
            *score = -d2 / self.model.temperature;
        }
        let top = self
            .scores
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = self.scores.iter().map(|s| (s - top).exp()).sum();
        for (p, s) in probabilities.iter_mut().zip(&self.scores) {
            *p = ((s - top).exp() / total) as f32;
        }
        Ok(())
    }
}
