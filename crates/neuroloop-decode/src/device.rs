//! Where burn tensors run: model training and the faithful (burn) forward.
//!
//! The real-time inference forms are plain Rust on the CPU whatever this
//! says; the device matters for training (`neuroloop train`, `evaluate`,
//! calibration) and for batch evaluation of the faithful modules.
//!
//! * `cpu` (the default): burn's pure-Rust `flex` backend, always built.
//! * `wgpu`: the GPU through wgpu (Vulkan, Metal or DX12), built only with
//!   the crate's `wgpu` cargo feature. A build without it refuses
//!   `device = "wgpu"` with an error that says how to get it.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use crate::DecodeError;

/// The compute device of burn tensors, as written in configs
/// (`device = "cpu"` or `device = "wgpu"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComputeDevice {
    /// burn's `flex` CPU backend.
    #[default]
    Cpu,
    /// The default wgpu adapter (a high-power GPU where one exists; the
    /// `CUBECL_WGPU_DEFAULT_DEVICE` environment variable overrides it).
    Wgpu,
}

impl ComputeDevice {
    /// Every device name, for help texts and errors.
    pub const NAMES: [&'static str; 2] = ["cpu", "wgpu"];

    /// Parses a device name as written in configs and on the command line.
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] naming the known devices.
    pub fn parse(name: &str) -> Result<Self, DecodeError> {
        match name {
            "cpu" => Ok(Self::Cpu),
            "wgpu" => Ok(Self::Wgpu),
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
        }
    }

    /// Whether this build can use the device at all.
    #[must_use]
    pub fn is_built(self) -> bool {
        match self {
            Self::Cpu => true,
            Self::Wgpu => cfg!(feature = "wgpu"),
        }
    }

    /// The burn device (not autodiff; call `.autodiff()` to train on it).
    ///
    /// The wgpu device is lazy: the adapter is chosen on first use.
    ///
    /// # Errors
    /// [`DecodeError::DeviceUnavailable`] for `wgpu` in a build without
    /// the `wgpu` feature.
    pub fn burn_device(self) -> Result<Device, DecodeError> {
        match self {
            Self::Cpu => Ok(Device::flex()),
            Self::Wgpu => wgpu_device(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for name in ComputeDevice::NAMES {
            assert_eq!(ComputeDevice::parse(name).unwrap().name(), name);
        }
        let err = ComputeDevice::parse("cuda").unwrap_err();
        assert!(err.to_string().contains("known: cpu, wgpu"), "{err}");
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
}
