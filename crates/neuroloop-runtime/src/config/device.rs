//! `[decoder] device` and `gpu_deadline_ms`: where a network decoder runs
//! in the session, and how long a window may wait for the GPU.
//!
//! `cpu` (the default) keeps the plain-Rust inference forms on the
//! pipeline thread. `wgpu` runs the network's burn forward on a decode
//! worker thread (`crate::decode_worker`) in a build with the `wgpu`
//! feature, for the deep networks without alignment (a bundle's or one
//! calibrated in the session). `cuda` is known but refused: this build has
//! no CUDA backend.

use std::path::Path;

use neuroloop_core::ConfigError;
use neuroloop_decode::ComputeDevice;
use neuroloop_decode::bundle::Bundle;

use super::bounds;
use super::sections::DecoderSection;

/// Default `gpu_deadline_ms`.
pub const DEFAULT_GPU_DEADLINE_MS: f64 = 100.0;
/// Allowed range of `gpu_deadline_ms`.
pub const GPU_DEADLINE_RANGE_MS: (f64, f64) = (1.0, 10_000.0);

/// Checks `device` and `gpu_deadline_ms` of `d`.
pub(super) fn check_device(d: &DecoderSection, config_path: &Path, errors: &mut Vec<ConfigError>) {
    let name = d.device.as_deref().unwrap_or("cpu");
    match name {
        "cpu" => {
            if d.gpu_deadline_ms.is_some() {
                errors.push(ConfigError::new(
                    "decoder.gpu_deadline_ms",
                    "applies only to a decoder on a GPU (device = \"wgpu\")",
                ));
            }
            return;
        }
        "wgpu" if !ComputeDevice::Wgpu.is_built() => errors.push(ConfigError::new(
            "decoder.device",
            "\"wgpu\" needs a build with GPU support \
             (`cargo build --release -p neuroloop-cli --features wgpu`)",
        )),
        "wgpu" => {
            if let Err(why) = device_support(d, config_path) {
                errors.push(ConfigError::new("decoder.device", why));
            }
        }
        "cuda" => errors.push(ConfigError::new(
            "decoder.device",
            "\"cuda\" needs burn's CUDA backend, which this build does not include; \
             use \"wgpu\" (NVIDIA GPUs work through Vulkan)",
        )),
        other => errors.push(ConfigError::new(
            "decoder.device",
            format!("unknown device {other:?} (known: cpu, wgpu, cuda)"),
        )),
    }
    if let Some(ms) = d.gpu_deadline_ms {
        let (lo, hi) = GPU_DEADLINE_RANGE_MS;
        bounds::float(errors, "decoder.gpu_deadline_ms", ms, lo, hi, "ms");
    }
}

/// Whether the decoder's architecture runs on a GPU: the bundle's, or the
/// one calibrated in the session. An unknown architecture or unreadable
/// bundle is reported elsewhere, so it passes here.
fn device_support(d: &DecoderSection, config_path: &Path) -> Result<(), String> {
    let spec = if d.is_bundle() {
        let Some(dir) = d.bundle_dir(config_path) else {
            return Ok(());
        };
        match Bundle::read_manifest_with(&dir, &d.decoders) {
            Ok(manifest) => manifest.model,
            Err(_) => return Ok(()),
        }
    } else {
        match d.model_spec() {
            Ok(spec) => spec,
            Err(_) => return Ok(()),
        }
    };
    spec.device_support()
        .map_err(|why| format!("\"{}\": {why}", spec.architecture()))
}
