//! Defaults of the optional config keys, and the bounds other stages share.

use super::sections::{PolicySection, PublishSection};

pub(super) fn default_send_buffer_bytes() -> u32 {
    16 * 1024
}

pub(super) fn default_heartbeat_ms() -> u64 {
    250
}
pub(super) fn default_deadman_missed() -> u32 {
    3
}
pub(super) fn default_max_connections() -> usize {
    128
}
pub(super) fn default_max_line_bytes() -> usize {
    4096
}
pub(super) fn default_max_msgs_per_s() -> u32 {
    50
}
pub(super) fn default_hello_timeout_ms() -> u64 {
    2000
}
pub(super) fn default_stall_timeout_ms() -> u64 {
    2000
}

pub(super) fn default_max_memory_mb() -> u64 {
    super::memory::DEFAULT_MAX_MEMORY_MB
}
pub(super) fn default_ring_s() -> f64 {
    4.0
}
pub(super) fn default_label_delay_s() -> f64 {
    0.5
}
pub(super) fn default_seed() -> u64 {
    1
}
pub(super) fn default_smoothing() -> usize {
    5
}
pub(super) fn default_threshold() -> f32 {
    0.6
}
pub(super) fn default_tcp() -> String {
    "127.0.0.1:7878".into()
}
pub(super) fn default_queue() -> usize {
    64
}

impl Default for PolicySection {
    fn default() -> Self {
        Self {
            smoothing: default_smoothing(),
            threshold: default_threshold(),
            dwell_s: 0.0,
        }
    }
}

impl Default for PublishSection {
    fn default() -> Self {
        Self {
            tcp: default_tcp(),
            queue: default_queue(),
            heartbeat_ms: default_heartbeat_ms(),
            deadman_missed: default_deadman_missed(),
            token: None,
            max_connections: default_max_connections(),
            max_line_bytes: default_max_line_bytes(),
            max_msgs_per_s: default_max_msgs_per_s(),
            hello_timeout_ms: default_hello_timeout_ms(),
            stall_timeout_ms: default_stall_timeout_ms(),
            send_buffer_bytes: default_send_buffer_bytes(),
            intent_max_age_ms: None,
            max_lag_ms: None,
            unix: None,
            websocket: None,
            websocket_origins: Vec::new(),
        }
    }
}

/// Most windows the policy may smooth over.
pub const MAX_SMOOTHING: usize = 32;

/// Longest calibration period, seconds.
pub const MAX_CALIBRATION_S: f64 = 3600.0;
