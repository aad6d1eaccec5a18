//! State-dict keys → module paths, and max-norm renormalisation of
//! parametrized weights (see the [import module docs](super)).

use std::collections::BTreeMap;

use burn::store::bridge;
use burn::store::burn_pack::Tensor as PackTensor;
use burn::tensor::TensorData;

use crate::DecodeError;

/// Suffix of a parametrized weight's stored (unconstrained) tensor.
const PARAMETRIZED: &str = ".parametrizations.weight.original";

/// Suffix of the batch-norm step counters, which burn does not keep.
const IGNORED: &str = ".num_batches_tracked";

/// The file's tensors under module paths, with the way back to file keys.
pub struct Remapped {
    /// Tensors named by module path (batch norms still `weight`/`bias`).
    pub tensors: Vec<PackTensor>,
    /// Module path ↔ file key.
    pub names: NameMap,
}

/// Translates module paths back to the keys a PyTorch user sees.
pub struct NameMap {
    renames: &'static [(&'static str, &'static str)],
    max_norm_layers: Vec<&'static str>,
    originals: BTreeMap<String, String>,
}

impl NameMap {
    /// The file key a module parameter is read from (for missing keys and
    /// shape errors), whether or not the file has it.
    #[must_use]
    pub fn file_key(&self, param: &str) -> String {
        let torch = match param.rsplit_once('.') {
            Some((layer, "gamma")) => format!("{layer}.weight"),
            Some((layer, "beta")) => format!("{layer}.bias"),
            _ => param.to_owned(),
        };
        if let Some(original) = self.originals.get(&torch) {
            return original.clone();
        }
        if let Some(layer) = torch.strip_suffix(".weight")
            && self.max_norm_layers.contains(&layer)
        {
            return rename(&format!("{layer}{PARAMETRIZED}"), self.renames, true);
        }
        rename(&torch, self.renames, true)
    }

    /// The file key of a tensor the module did not use.
    #[must_use]
    pub fn original(&self, name: &str) -> String {
        self.originals
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }
}

/// Why the file's keys could not be mapped.
#[derive(Debug)]
pub enum RemapError {
    /// A parametrization the model does not declare (or a second tensor
    /// for a path already taken).
    Unexpected(Vec<String>),
    /// A tensor that cannot be read, or is not `f32` where a max-norm applies.
    Format(String),
}

impl RemapError {
    /// The [`DecodeError`] for the file at `path`.
    #[must_use]
    pub fn into_error(self, path: &str) -> DecodeError {
        match self {
            RemapError::Unexpected(keys) => DecodeError::ImportUnexpectedKeys {
                path: path.to_owned(),
                keys,
            },
            RemapError::Format(message) => DecodeError::ImportFormat {
                path: path.to_owned(),
                message,
            },
        }
    }
}

/// Renames the file's tensors to module paths (see the [module docs](super)).
///
/// `renames` are `(file prefix, module prefix)` pairs; `max_norms` gives
/// the max-norm of each parametrized layer by module path.
///
/// # Errors
/// [`RemapError::Unexpected`] for an undeclared parametrization or two keys
/// that land on one path; [`RemapError::Format`] for a max-norm weight that
/// cannot be read as `f32`.
pub fn remap(
    tensors: BTreeMap<String, PackTensor>,
    renames: &'static [(&'static str, &'static str)],
    max_norms: &[(&'static str, f64)],
) -> Result<Remapped, RemapError> {
    let mut out = Vec::with_capacity(tensors.len());
    let mut originals = BTreeMap::new();
    let mut unexpected = Vec::new();
    for (key, mut tensor) in tensors {
        if key.ends_with(IGNORED) || key == IGNORED.trim_start_matches('.') {
            continue;
        }
        let name = if let Some(layer) = key.strip_suffix(PARAMETRIZED) {
            let layer = rename(layer, renames, false);
            let Some(&(_, max_norm)) = max_norms.iter().find(|(l, _)| *l == layer) else {
                unexpected.push(key);
                continue;
            };
            let name = format!("{layer}.weight");
            tensor = renormed(&key, &tensor, name.clone(), max_norm)?;
            name
        } else {
            rename(&key, renames, false)
        };
        if originals.insert(name.clone(), key.clone()).is_some() {
            unexpected.push(key);
            continue;
        }
        tensor.name = name;
        out.push(tensor);
    }
    if !unexpected.is_empty() {
        return Err(RemapError::Unexpected(unexpected));
    }
    Ok(Remapped {
        tensors: out,
        names: NameMap {
            renames,
            max_norm_layers: max_norms.iter().map(|(l, _)| *l).collect(),
            originals,
        },
    })
}

/// Applies the first matching prefix rename (file → module, or back).
fn rename(key: &str, renames: &[(&str, &str)], back: bool) -> String {
    for &(file, module) in renames {
        let (from, to) = if back { (module, file) } else { (file, module) };
        if key == from {
            return to.to_owned();
        }
        if let Some(rest) = key.strip_prefix(from)
            && rest.starts_with('.')
        {
            return format!("{to}{rest}");
        }
    }
    key.to_owned()
}

/// `torch.renorm(weight, p=2, dim=0, maxnorm)`, as a new tensor named `name`.
fn renormed(
    key: &str,
    tensor: &PackTensor,
    name: String,
    max_norm: f64,
) -> Result<PackTensor, RemapError> {
    let data = bridge::to_data(tensor).map_err(|e| RemapError::Format(format!("{key}: {e}")))?;
    let shape = data.shape().clone();
    let mut values: Vec<f32> = data
        .try_into_vec()
        .map_err(|e| RemapError::Format(format!("{key}: not f32 ({e:?})")))?;
    let rows = shape.first().copied().unwrap_or(1).max(1);
    let row_len = values.len() / rows;
    renorm(&mut values, row_len, max_norm);
    Ok(bridge::from_data(
        TensorData::new(values, shape),
        name,
        None,
    ))
}

/// Scales every row of `values` (`row_len` values each) whose L2 norm
/// exceeds `max_norm` by `max_norm / (norm + 1e-7)` (PyTorch's renorm).
pub fn renorm(values: &mut [f32], row_len: usize, max_norm: f64) {
    if row_len == 0 {
        return;
    }
    for row in values.chunks_exact_mut(row_len) {
        let norm = row
            .iter()
            .map(|v| f64::from(*v) * f64::from(*v))
            .sum::<f64>()
            .sqrt();
        if norm > max_norm {
            let scale = (max_norm / (norm + 1e-7)) as f32;
            row.iter_mut().for_each(|v| *v *= scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renorm_scales_only_rows_above_the_max_norm() {
        let mut v = vec![3.0, 4.0, 0.3, 0.4];
        renorm(&mut v, 2, 1.0);
        assert!(
            (v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6,
            "{v:?}"
        );
        assert_eq!(&v[2..], &[0.3, 0.4]);
    }

    #[test]
    fn missing_parameters_are_named_by_their_file_keys() {
        let names = NameMap {
            renames: &[("final_layer.conv_classifier", "conv_classifier")],
            max_norm_layers: vec!["conv_spatial"],
            originals: BTreeMap::new(),
        };
        assert_eq!(names.file_key("bnorm_1.gamma"), "bnorm_1.weight");
        assert_eq!(names.file_key("bnorm_1.beta"), "bnorm_1.bias");
        assert_eq!(names.file_key("bnorm_1.running_var"), "bnorm_1.running_var");
        assert_eq!(
            names.file_key("conv_spatial.weight"),
            "conv_spatial.parametrizations.weight.original"
        );
        assert_eq!(
            names.file_key("conv_classifier.bias"),
            "final_layer.conv_classifier.bias"
        );
    }

    #[test]
    fn renames_match_whole_path_segments_both_ways() {
        let r: &[(&str, &str)] = &[("final_layer.conv_classifier", "conv_classifier")];
        assert_eq!(
            rename("final_layer.conv_classifier.weight", r, false),
            "conv_classifier.weight"
        );
        assert_eq!(
            rename("final_layer.conv_classifier2.weight", r, false),
            "final_layer.conv_classifier2.weight"
        );
        assert_eq!(
            rename("conv_classifier.bias", r, true),
            "final_layer.conv_classifier.bias"
        );
    }
}
