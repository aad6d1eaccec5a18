//! Where burn tensors run: model training and the faithful (burn) forward.
//!
//! The real-time inference forms are plain Rust on the CPU whatever this
//! says; the device matters for training (`neuroloop train`, `evaluate`,
//! calibration) and for batch evaluation of the faithful modules.
//!
//! * `cpu` (the default): burn's pure-Rust `flex` backend, always built.
//! * `wgpu`: the GPU through wgpu (Vulkan, Metal or DX12), built only with
//!   the crate's `wgpu` cargo feature.
//! * `cuda`: an NVIDIA GPU through burn's CUDA backend, built only with the
//!   crate's `cuda` cargo feature. The CUDA driver library is loaded when
//!   the device is first used (no CUDA toolkit is needed to build); a
//!   machine without it gets an error from [`ComputeDevice::probe`].
//!
//! A build without a device's feature refuses it with an error that says
//! how to get it.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::DecodeError;

/// The compute device of burn tensors, as written in configs
/// (`device = "cpu"`, `"wgpu"` or `"cuda"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComputeDevice {
    /// burn's `flex` CPU backend.
    #[default]
    Cpu,
    /// The default wgpu adapter (a high-power GPU where one exists; the
    /// `CUBECL_WGPU_DEFAULT_DEVICE` environment variable overrides it).
    Wgpu,
    /// The CUDA backend's default GPU (index 0; `CUDA_VISIBLE_DEVICES`
    /// chooses which GPU that is).
    Cuda,
}

impl ComputeDevice {
    /// Every device name, for help texts and errors.
    pub const NAMES: [&'static str; 3] = ["cpu", "wgpu", "cuda"];

    /// Parses a device name as written in configs and on the command line.
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] naming the known devices.
    pub fn parse(name: &str) -> Result<Self, DecodeError> {
        match name {
            "cpu" => Ok(Self::Cpu),
            "wgpu" => Ok(Self::Wgpu),
            "cuda" => Ok(Self::Cuda),
            other => Err(DecodeError::DeviceUnavailable {
                device: other.to_string(),
                reason: format!("unknown device; known: {}", Self::NAMES.join(", ")),
            }),
        }
    }

    /// The name written in configs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        }
    }

    /// Whether this build can use the device at all.
    #[must_use]
    pub fn is_built(self) -> bool {
        match self {
            Self::Cpu => true,
            Self::Wgpu => cfg!(feature = "wgpu"),
            Self::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// The burn device (not autodiff; call `.autodiff()` to train on it).
    ///
    /// The GPU devices are lazy: the adapter or driver is found on first
    /// use.
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] for `wgpu` or `cuda` in a build
    /// without that feature.
    pub fn burn_device(self) -> Result<Device, DecodeError> {
        match self {
            Self::Cpu => Ok(Device::flex()),
            Self::Wgpu => wgpu_device(),
            Self::Cuda => cuda_device(),
        }
    }

    /// Runs one small tensor operation on the device, so that a missing
    /// driver or adapter shows as an error now (a session checks this
    /// before its first window) rather than as a panic later.
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] if the device is not built in or
    /// the operation fails (the backend's panic message, caught).
    pub fn probe(self) -> Result<(), DecodeError> {
        let device = self.burn_device()?;
        let unavailable = |reason: String| DecodeError::DeviceUnavailable {
            device: self.name().into(),
            reason,
        };
        let sum = std::panic::catch_unwind(|| {
            burn::tensor::Tensor::<1>::from_floats([1.0, 2.0], &device)
                .sum()
                .into_data()
                .try_to_vec::<f32>()
        })
        .map_err(|panic| unavailable(panic_message(panic.as_ref())))?
        .map_err(|e| unavailable(format!("{e:?}")))?;
        if sum == [3.0] {
            Ok(())
        } else {
            Err(unavailable(format!("1 + 2 gave {sum:?}")))
        }
    }
}

/// The message of a caught panic.
#[must_use]
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "the backend panicked".into())
}

impl std::fmt::Display for ComputeDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(feature = "wgpu")]
fn wgpu_device() -> Result<Device, DecodeError> {
    Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> Result<Device, DecodeError> {
    Err(DecodeError::DeviceUnavailable {
        device: "wgpu".into(),
        reason: "this build has no GPU support; rebuild with `--features wgpu` \
                 (e.g. `cargo build --release -p neuroloop-cli --features wgpu`)"
            .into(),
    })
}

#[cfg(feature = "cuda")]
fn cuda_device() -> Result<Device, DecodeError> {
    Ok(Device::cuda(burn::tensor::DeviceIndex::Default))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Result<Device, DecodeError> {
    Err(DecodeError::DeviceUnavailable {
        device: "cuda".into(),
        reason: "this build has no CUDA backend; rebuild with `--features cuda` \
                 (e.g. `cargo build --release -p neuroloop-cli --features cuda`), \
                 or use \"wgpu\" (NVIDIA GPUs work through Vulkan)"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for name in ComputeDevice::NAMES {
            assert_eq!(ComputeDevice::parse(name).unwrap().name(), name);
        }
        let err = ComputeDevice::parse("gpu").unwrap_err();
        assert!(err.to_string().contains("known: cpu, wgpu, cuda"), "{err}");
        assert!(!err.is_retryable());
        let parsed: ComputeDevice = serde_json::from_str("\"wgpu\"").unwrap();
        assert_eq!(parsed, ComputeDevice::Wgpu);
        assert!(serde_json::from_str::<ComputeDevice>("\"gpu\"").is_err());
    }

    #[test]
    fn the_cpu_device_is_always_built() {
        assert!(ComputeDevice::Cpu.is_built());
        let device = ComputeDevice::Cpu.burn_device().unwrap();
        assert_eq!(device, Device::flex());
        assert!(!device.is_autodiff(), "plain, as documented");
        let sum: Vec<f32> = burn::tensor::Tensor::<1>::from_floats([1.5, 2.0, -0.25], &device)
            .sum()
            .into_data()
            .try_to_vec()
            .unwrap();
        assert_eq!(sum, [3.25]);
    }

    #[cfg(not(feature = "wgpu"))]
    #[test]
    fn wgpu_without_the_feature_says_how_to_get_it() {
        assert!(!ComputeDevice::Wgpu.is_built());
        let err = ComputeDevice::Wgpu.burn_device().unwrap_err();
        assert!(err.to_string().contains("--features wgpu"), "{err}");
        assert!(!err.is_retryable());
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_says_how_to_get_it() {
        assert!(!ComputeDevice::Cuda.is_built());
        let err = ComputeDevice::Cuda.burn_device().unwrap_err();
        assert!(err.to_string().contains("--features cuda"), "{err}");
        assert!(!err.is_retryable());
        assert!(ComputeDevice::Cuda.probe().is_err());
    }

    /// A build with the CUDA backend on a machine without an NVIDIA driver
    /// (as in CI): the device is refused with an error, no panic escapes.
    #[cfg(feature = "cuda")]
    #[test]
    fn cuda_without_a_driver_is_an_error_not_a_panic() {
        if std::path::Path::new("/proc/driver/nvidia").exists() {
            // A machine with the driver: the probe must succeed.
            ComputeDevice::Cuda.probe().unwrap();
            return;
        }
        let err = ComputeDevice::Cuda.probe().unwrap_err();
        assert!(err.to_string().contains("cuda"), "{err}");
    }
}
