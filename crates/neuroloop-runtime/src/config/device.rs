//! `[decoder] device` and `gpu_deadline_ms`: where a network decoder runs
//! in the session, and how long a window may wait for the GPU.
//!
//! `cpu` (the default) keeps the plain-Rust inference forms on the
//! pipeline thread. `wgpu` and `cuda` run the network's burn forward on a
//! decode worker thread (`crate::decode_worker`) in a build with the
//! matching cargo feature, for the deep networks without alignment (a
//! bundle's or one calibrated in the session).

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
    match ComputeDevice::parse(name) {
        Ok(ComputeDevice::Cpu) => {
            if d.gpu_deadline_ms.is_some() {
                errors.push(ConfigError::new(
                    "decoder.gpu_deadline_ms",
                    "applies only to a decoder on a GPU (device = \"wgpu\" or \"cuda\")",
                ));
            }
            return;
        }
        Ok(gpu) if !gpu.is_built() => errors.push(ConfigError::new(
            "decoder.device",
            format!(
                "\"{gpu}\" needs a build with that GPU backend \
                 (`cargo build --release -p neuroloop-cli --features {gpu}`){}",
                if gpu == ComputeDevice::Cuda {
                    "; NVIDIA GPUs also work through Vulkan with \"wgpu\""
                } else {
                    ""
                }
            ),
        )),
        Ok(_) => {
            if let Err(why) = device_support(d, config_path) {
                errors.push(ConfigError::new("decoder.device", why));
            }
        }
        Err(_) => errors.push(ConfigError::new(
            "decoder.device",
            format!(
                "unknown device {name:?} (known: {})",
                ComputeDevice::NAMES.join(", ")
            ),
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
