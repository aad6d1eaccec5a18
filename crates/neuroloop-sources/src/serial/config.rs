//! Configuration of the serial source: `[source] type = "serial"`. The
//! board (Cyton or Cyton+Daisy), its gain and baud rate come from the
//! hardware profile's `[serial]` table ([`BoardSetup`]).

use neuroloop_core::ConfigError;
use serde::Deserialize;

use super::samples::Board;

/// `[source]` with `type = "serial"`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SerialConfig {
    /// Always `"serial"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The port: `/dev/ttyUSB0`, `/dev/serial/by-id/…`, `COM3`.
    pub port: String,
    /// Seconds the board has to answer each command (the reset banner
    /// above all).
    #[serde(default = "default_answer_timeout_s")]
    pub answer_timeout_s: f64,
    /// Seconds without a packet after which the stream counts as stalled.
    #[serde(default = "default_stall_s")]
    pub stall_s: f64,
    /// Longest wait between two attempts to reopen a vanished port
    /// (the wait starts at 0.1 s and doubles).
    #[serde(default = "default_reconnect_max_s")]
    pub reconnect_max_s: f64,
    /// Class labels of the session (the board sends no cues).
    #[serde(default)]
    pub classes: Vec<String>,
}

fn default_answer_timeout_s() -> f64 {
    3.0
}
fn default_stall_s() -> f64 {
    0.5
}
fn default_reconnect_max_s() -> f64 {
    2.0
}

/// The board behind the port, from the hardware profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardSetup {
    /// Cyton or Cyton+Daisy.
    pub board: Board,
    /// The ADS1299 gain every channel is set to.
    pub gain: u32,
    /// Baud rate of the port.
    pub baud: u32,
}

impl BoardSetup {
    /// The board of a profile's `[serial] format`.
    #[must_use]
    pub fn board_of(format: &str) -> Option<Board> {
        match format {
            "openbci-cyton" => Some(Board::Cyton),
            "openbci-cyton-daisy" => Some(Board::CytonDaisy),
            _ => None,
        }
    }
}

impl SerialConfig {
    /// Checks every value; problems at `{at}.*`.
    ///
    /// # Errors
    /// Every problem found.
    pub fn preflight(&self, at: &str) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        if self.port.trim().is_empty() {
            errors.push(ConfigError::new(
                format!("{at}.port"),
                "must name a serial port",
            ));
        }
        let mut seconds = |key: &str, v: f64, max: f64| {
            if !(v.is_finite() && v > 0.0 && v <= max) {
                errors.push(ConfigError::new(
                    format!("{at}.{key}"),
                    format!("{v} s is not in (0, {max}] s"),
                ));
            }
        };
        seconds("answer_timeout_s", self.answer_timeout_s, 60.0);
        seconds("stall_s", self.stall_s, 60.0);
        seconds("reconnect_max_s", self.reconnect_max_s, 600.0);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
