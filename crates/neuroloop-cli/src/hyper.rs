//! Bounds on the deep nets' hyperparameters (`train --hyperparameters`):
//! every number finite and every whole number at most [`MAX_INT`] before
//! anything is read, then the memory training needs, estimated from the
//! widths and the epoch shape and refused above [`MAX_TRAIN_BYTES`] before
//! the network is built.

use neuroloop_decode::fit::{Hyperparameters, ModelSpec};
use neuroloop_offline::OfflineError;

/// Largest whole-number hyperparameter (filters, kernel lengths, widths).
pub const MAX_INT: f64 = 4096.0;
/// Most memory the estimate lets training use, bytes (16 GiB).
pub const MAX_TRAIN_BYTES: f64 = 16.0 * 1024.0 * 1024.0 * 1024.0;

fn bad(message: String) -> OfflineError {
    OfflineError::Option {
        what: "hyperparameters",
        message,
    }
}

/// Checks every number of `hp`: finite, and whole numbers in `0..=MAX_INT`.
///
/// # Errors
/// [`OfflineError::Option`] naming the first value out of range.
pub fn check_values(hp: &Hyperparameters) -> Result<(), OfflineError> {
    for (name, value) in &hp.0 {
        check_value(name, value)?;
    }
    Ok(())
}

/// `--hyperparameters`: a JSON object whose numbers are bounded
/// ([`check_values`]); none is the architecture's defaults.
///
/// # Errors
/// [`OfflineError::Option`] for text that is not a JSON object or
/// a value out of bounds.
pub fn parse_hyperparameters(text: Option<&str>) -> Result<Hyperparameters, OfflineError> {
    let hp: Hyperparameters = match text {
        Some(text) => {
            serde_json::from_str(text).map_err(|e| bad(format!("not a JSON object: {e}")))?
        }
        None => Hyperparameters::default(),
    };
    check_values(&hp)?;
    Ok(hp)
}

fn check_value(name: &str, value: &serde_json::Value) -> Result<(), OfflineError> {
    match value {
        serde_json::Value::Number(n) => {
            let whole = n.is_u64() || n.is_i64();
            let v = n.as_f64().unwrap_or(f64::NAN);
            if whole && !(0.0..=MAX_INT).contains(&v) {
                return Err(bad(format!(
                    "{name} = {n} is outside the allowed range 0 to {MAX_INT}"
                )));
            }
            if !v.is_finite() || v.abs() > 1e6 {
                return Err(bad(format!(
                    "{name} = {n} is outside the allowed range -1e6 to 1e6"
                )));
            }
            if !whole && v.fract() == 0.0 && v.abs() > MAX_INT {
                return Err(bad(format!(
                    "{name} = {n} is outside the allowed range 0 to {MAX_INT}"
                )));
            }
            Ok(())
        }
        serde_json::Value::Array(items) => items.iter().try_for_each(|v| check_value(name, v)),
        serde_json::Value::Object(map) => map.iter().try_for_each(|(_, v)| check_value(name, v)),
        _ => Ok(()),
    }
}

/// Estimated bytes to train `spec` on epochs of `chans` × `times` in
/// minibatches of `batch`, as its architecture estimates them
/// ([`ModelSpec::training_bytes`]: activations kept for the backward pass,
/// with their gradients, plus parameters with Adam's two moments); `None`
/// for bandpower and the covariance decoders (small).
#[must_use]
pub fn training_bytes(spec: &ModelSpec, chans: usize, times: usize, batch: usize) -> Option<f64> {
    spec.training_bytes(chans, times, batch)
}

/// Refuses a training run whose estimate is above [`MAX_TRAIN_BYTES`].
///
/// # Errors
/// [`OfflineError::Option`] with the estimate and the limit.
pub fn check_memory(
    spec: &ModelSpec,
    chans: usize,
    times: usize,
    batch: usize,
) -> Result<(), OfflineError> {
    match training_bytes(spec, chans, times, batch) {
        Some(bytes) if bytes > MAX_TRAIN_BYTES => Err(bad(format!(
            "training {} on {chans} channels x {times} samples in batches of {batch} would need about {:.1} GB, above the {:.0} GB limit; use smaller widths or a smaller --batch-size",
            spec.architecture(),
            bytes / 1e9,
            MAX_TRAIN_BYTES / 1e9
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_widths_are_refused_before_building() {
        let hp = Hyperparameters::default().with("f1", 1_000_000_000_u64);
        assert!(check_values(&hp).is_err());
        let hp = Hyperparameters::default().with("f1", 1e9);
        assert!(check_values(&hp).is_err());
        let wide = ModelSpec::with_spec("eegnet", &Hyperparameters::default().with("f1", 4096_u64))
            .unwrap();
        assert!(check_memory(&wide, 64, 1000, 32).is_err());
        let normal = ModelSpec::named("eegnet").unwrap();
        assert!(check_memory(&normal, 64, 1000, 32).is_ok());
    }
}
