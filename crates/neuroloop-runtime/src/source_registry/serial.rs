//! `[source] type = "serial"`: an OpenBCI Cyton or Cyton+Daisy on its
//! serial dongle. The board comes from the hardware profile's
//! `[serial] format`, the baud rate from `[serial] baud`, and the ADS1299
//! gain every channel is set to from the profile's `scale_uv_per_count`
//! (4.5 V / gain / (2^23 − 1), e.g. 0.02235174 µV for gain 24).

use std::any::Any;
use std::sync::Arc;

use neuroloop_core::{ConfigError, StreamSpec};
use neuroloop_sources::Source;
use neuroloop_sources::serial::scale::{GAINS, uv_per_count};
use neuroloop_sources::serial::{BoardSetup, SerialConfig, SerialSource};

use super::{OpenContext, SourcePlan, SourceRegistry, check_transport, deserialize};
use crate::RuntimeError;
use crate::profile::HardwareProfile;

/// Relative difference from a gain's scale still taken as that gain (the
/// profiles write 7 significant digits).
const SCALE_TOLERANCE: f64 = 1e-6;

pub(super) fn register(registry: &mut SourceRegistry) {
    registry.register("serial", |table, context| {
        let config: SerialConfig = deserialize(table, context)?;
        config.preflight("source")?;
        Ok(Arc::new(config))
    });
}

/// The board a profile describes, or why it cannot be driven.
fn board_setup(profile: &HardwareProfile) -> Result<BoardSetup, String> {
    let serial = profile
        .serial
        .as_ref()
        .ok_or_else(|| format!("hardware profile {:?} has no [serial] table", profile.name))?;
    let board = BoardSetup::board_of(&serial.format).ok_or_else(|| {
        format!(
            "profile {:?}: unknown serial format {:?} (known: openbci-cyton, openbci-cyton-daisy)",
            profile.name, serial.format
        )
    })?;
    let scale = profile.scale_uv_per_count;
    let gain = GAINS
        .iter()
        .map(|&(g, _)| g)
        .find(|&g| (uv_per_count(g) / scale - 1.0).abs() < SCALE_TOLERANCE)
        .ok_or_else(|| {
            format!(
                "profile {:?}: scale_uv_per_count {scale} is no ADS1299 gain's \
                 (4.5 V / gain / (2^23 - 1), gain 1, 2, 4, 6, 8, 12 or 24; 24 is {:.8})",
                profile.name,
                uv_per_count(24)
            )
        })?;
    if profile.channels.len() != board.channels() {
        return Err(format!(
            "profile {:?} lists {} channels, a {:?} gives {}",
            profile.name,
            profile.channels.len(),
            board,
            board.channels()
        ));
    }
    let rate = 250.0 / board.packets_per_sample() as f64;
    if profile.sample_rate != rate {
        return Err(format!(
            "profile {:?} says {} Hz, a {board:?} samples at {rate} Hz",
            profile.name, profile.sample_rate
        ));
    }
    Ok(BoardSetup {
        board,
        gain,
        baud: serial.baud,
    })
}

impl SourcePlan for SerialConfig {
    fn kind(&self) -> &'static str {
        "serial"
    }

    fn classes(&self) -> Vec<String> {
        self.classes.clone()
    }

    fn check(&self, profile: &HardwareProfile, _: &StreamSpec, errors: &mut Vec<ConfigError>) {
        check_transport("serial", profile, errors);
        if profile.transport == "serial"
            && let Err(message) = board_setup(profile)
        {
            errors.push(ConfigError::new("session.hardware_profile", message));
        }
    }

    /// The framer's 4 KiB, one read, a batch of 64 samples and 4 s of
    /// arrivals for the timestamp fit; the accelerometer's ring (256
    /// readings of three `f32` and a 24-byte stamp) when it is recorded.
    fn memory(&self, spec: &StreamSpec) -> Vec<(&'static str, f64)> {
        let channels = spec.channel_count() as f64;
        let fit = (4.0 * spec.sample_rate).ceil() * 16.0;
        vec![
            (
                "serial buffers",
                4096.0 + 1024.0 + 64.0 * (channels * 4.0 + 8.0) + fit,
            ),
            ("serial accelerometer ring", 256.0 * (3.0 * 4.0 + 24.0)),
        ]
    }

    fn live(&self) -> bool {
        true
    }

    fn open(&self, context: &OpenContext<'_>) -> Result<Box<dyn Source>, RuntimeError> {
        let setup = board_setup(context.profile)
            .map_err(|m| RuntimeError::Source(neuroloop_sources::SourceError::Config(m)))?;
        Ok(Box::new(SerialSource::open(
            self,
            setup,
            context.spec.clone(),
        )?))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::board_setup;
    use crate::profile::{HardwareProfile, SerialSettings};
    use neuroloop_sources::serial::Board;

    fn cyton() -> HardwareProfile {
        HardwareProfile {
            name: "cyton".into(),
            description: String::new(),
            transport: "serial".into(),
            sample_rate: 250.0,
            block_size: 1,
            scale_uv_per_count: 0.022_351_74,
            montage: "10-20".into(),
            channels: (1..=8).map(|c| format!("E{c}")).collect(),
            channel_kind: "EEG".into(),
            channel_kinds: std::collections::BTreeMap::new(),
            unit: "microvolts".into(),
            expected_latency_ms: None,
            serial: Some(SerialSettings {
                baud: 115_200,
                format: "openbci-cyton".into(),
            }),
            physical_min_uv: None,
            physical_max_uv: None,
            lsl: None,
        }
    }

    #[test]
    fn the_gain_comes_from_the_scale_and_a_mismatched_profile_is_refused() {
        let setup = board_setup(&cyton()).unwrap();
        assert_eq!(
            (setup.board, setup.gain, setup.baud),
            (Board::Cyton, 24, 115_200)
        );
        let mut p = cyton();
        p.scale_uv_per_count = 0.536_441_9; // gain 1
        assert_eq!(board_setup(&p).unwrap().gain, 1);
        p.scale_uv_per_count = 0.03;
        assert!(board_setup(&p).unwrap_err().contains("no ADS1299 gain"));
        let mut p = cyton();
        p.sample_rate = 125.0;
        assert!(board_setup(&p).unwrap_err().contains("250 Hz"));
        let mut p = cyton();
        p.channels.pop();
        assert!(board_setup(&p).unwrap_err().contains("7 channels"));
        let mut p = cyton();
        p.serial.as_mut().unwrap().format = "ganglion".into();
        assert!(
            board_setup(&p)
                .unwrap_err()
                .contains("unknown serial format")
        );
    }
}
