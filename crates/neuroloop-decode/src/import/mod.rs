//! Import of PyTorch weights (braindecode state dicts) into the burn nets.
//!
//! [`load_pytorch`] reads a state dict saved with `torch.save` (`.pt`,
//! `.pth`: the zip format) or with safetensors (`.safetensors`) through
//! burn-store, renames its keys to the module's field paths ([`TorchImport`]),
//! and applies every tensor to the module. Loading is strict: every module
//! parameter and running statistic must come from the file, every file key
//! must be used or be one of the keys that have no burn counterpart
//! (`num_batches_tracked`), and every shape must agree; anything else is a
//! specific [`DecodeError`] naming the key.
//!
//! Key handling, in order (see [`remap`]):
//! * `num_batches_tracked` (batch-norm step counters) is dropped.
//! * `X.parametrizations.weight.original` (braindecode's max-norm
//!   parametrization: the stored tensor is the unconstrained weight) becomes
//!   `X.weight`, renormalised with `torch.renorm(p=2, dim=0, maxnorm)` for
//!   the max-norm the model declares for `X`; a parametrization the model
//!   does not declare is an unexpected key.
//! * The model's prefix renames apply (e.g. `final_layer.conv_classifier`
//!   → `conv_classifier`).
//! * Batch-norm `weight`/`bias` become burn's `gamma`/`beta`
//!   (burn-store's `PyTorchToBurnAdapter`). Convolution weights keep
//!   PyTorch's `[out, in / groups, kh, kw]` layout, which is burn's.

mod models;
pub mod remap;

use std::path::Path;

use burn::module::Module;
use burn::store::{
    ApplyError, ModuleSnapshot, ModuleStore, PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};

use crate::DecodeError;

/// A burn module that can take a braindecode state dict.
pub trait TorchImport: Module + Sized {
    /// Prefix renames from state-dict keys to module paths, tried in order;
    /// a key that matches none keeps its name.
    fn renames(&self) -> &'static [(&'static str, &'static str)];

    /// Max-norm of each parametrized weight, by module path of its layer
    /// (`"conv_spatial"` for braindecode's `conv_spatial.parametrizations.weight.original`).
    fn max_norms(&self) -> Vec<(&'static str, f64)>;
}

/// Loads a PyTorch state dict into `model` and returns the loaded model.
///
/// The file type follows the extension: `.pt`/`.pth` (`torch.save`, zip
/// format) or `.safetensors`. Build `model` from the configuration the
/// weights were trained with (e.g. `EEGNetConfig::init`); its initial
/// values are all replaced.
///
/// # Errors
/// * [`DecodeError::ImportFile`]: the file cannot be opened, or its
///   extension is neither `.pt`, `.pth` nor `.safetensors`.
/// * [`DecodeError::ImportFormat`]: the file is not a readable state dict
///   (garbage, truncated, a tensor that cannot be read as `f32`).
/// * [`DecodeError::ImportMissingKeys`]: the file lacks a model parameter.
/// * [`DecodeError::ImportUnexpectedKeys`]: the file has a key the model
///   does not use.
/// * [`DecodeError::ImportShape`]: a tensor's shape differs from the
///   parameter's.
pub fn load_pytorch<M: TorchImport>(
    path: impl AsRef<Path>,
    mut model: M,
) -> Result<M, DecodeError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let file_error = |message: String| DecodeError::ImportFile {
        path: shown.clone(),
        message,
    };
    let format_error = |message: String| DecodeError::ImportFormat {
        path: shown.clone(),
        message,
    };
    std::fs::File::open(path).map_err(|e| file_error(e.to_string()))?;
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let tensors = match extension {
        "pt" | "pth" => {
            let mut store = PytorchStore::from_file(path);
            store
                .get_all_tensors()
                .map_err(|e| format_error(e.to_string()))?
                .clone()
        }
        "safetensors" => {
            let mut store = SafetensorsStore::from_file(path);
            store
                .get_all_tensors()
                .map_err(|e| format_error(e.to_string()))?
                .clone()
        }
        other => {
            return Err(file_error(format!(
                "extension {other:?} is neither .pt, .pth nor .safetensors"
            )));
        }
    };

    let remapped = remap::remap(tensors, model.renames(), &model.max_norms())
        .map_err(|e| e.into_error(&shown))?;
    let result = model.apply(
        remapped.tensors,
        None,
        Some(Box::new(PyTorchToBurnAdapter)),
        false,
    );

    if let Some(error) = result.errors.first() {
        return Err(match error {
            ApplyError::ShapeMismatch {
                path: param,
                expected,
                found,
            } => DecodeError::ImportShape {
                path: shown,
                key: remapped.names.file_key(param),
                expected: expected.to_vec(),
                found: found.to_vec(),
            },
            other => format_error(other.to_string()),
        });
    }
    if !result.missing.is_empty() {
        return Err(DecodeError::ImportMissingKeys {
            path: shown,
            keys: result
                .missing
                .iter()
                .map(|(param, _)| remapped.names.file_key(param))
                .collect(),
        });
    }
    if !result.unused.is_empty() {
        return Err(DecodeError::ImportUnexpectedKeys {
            path: shown,
            keys: result
                .unused
                .iter()
                .map(|name| remapped.names.original(name))
                .collect(),
        });
    }
    Ok(model)
}
