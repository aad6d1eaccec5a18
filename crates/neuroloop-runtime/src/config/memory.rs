//! The memory a session preallocates, computed from the validated config
//! before anything is allocated, and refused above `session.max_memory_mb`.
//!
//! The figures follow the allocations of `session::start`: the sample ring,
//! the calibration set (every window of the calibration period), the window
//! assembler, the pipeline's and the source's blocks, the source's own
//! buffers (`SourcePlan::memory`), the filtered-signal outlet's ring and the intent queues. They are
//! computed in `f64`, so no value can overflow them.

use neuroloop_core::ConfigError;

use super::ValidatedSession;

/// Default `session.max_memory_mb`.
pub const DEFAULT_MAX_MEMORY_MB: u64 = 4096;
/// Largest `session.max_memory_mb` (1 TiB).
pub const MAX_MEMORY_MB: u64 = 1 << 20;

/// Bytes of one `f32` sample value and of one ring stamp.
pub(crate) const VALUE: f64 = 4.0;
pub(crate) const STAMP: f64 = 24.0;
/// Bytes a published intent line may take (per queued line).
const LINE: f64 = 1024.0;

/// The preallocations of a session, by part, in bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryEstimate {
    /// `(part, bytes)`, largest first.
    pub parts: Vec<(&'static str, f64)>,
}

impl MemoryEstimate {
    /// Computes the preallocations of `cfg`.
    #[must_use]
    pub fn of(cfg: &ValidatedSession) -> Self {
        let ch = cfg.pipeline.input.channel_count() as f64;
        let window = cfg.pipeline.windows.window_samples as f64;
        let ring = cfg.pipeline.ring_samples as f64;
        let mut parts = vec![
            ("sample ring", ring * (ch * VALUE + STAMP)),
            (
                "window assembler",
                windowing(cfg, window, ring) * (ch * VALUE + 8.0),
            ),
            ("pipeline block", 256.0 * (ch * VALUE + STAMP)),
            ("intent queues", (1024.0 + cfg.publish.queue as f64) * LINE),
        ];
        if !cfg.decoder.is_bundle() {
            let windows = cfg.calibration_capacity() as f64;
            parts.push(("calibration set", windows * (ch * window * VALUE + 8.0)));
        }
        parts.extend(cfg.source.memory(&cfg.pipeline.source));
        if cfg.lsl.filtered_outlet.is_some() {
            let out = cfg.pipeline.filters.output.channel_count() as f64;
            parts.push((
                "filtered outlet ring",
                ring.max(256.0) * (out * VALUE + STAMP),
            ));
        }
        if cfg.record.is_some() {
            parts.push(("record ring", ring * (ch * VALUE + STAMP)));
        }
        parts.sort_by(|a, b| b.1.total_cmp(&a.1));
        Self { parts }
    }

    /// Total bytes.
    #[must_use]
    pub fn total(&self) -> f64 {
        self.parts.iter().map(|(_, b)| b).sum()
    }

    /// Refuses the estimate above `limit_mb`, naming the largest parts.
    ///
    /// # Errors
    /// One error at `session.max_memory_mb`.
    pub fn check(&self, limit_mb: u64) -> Result<(), ConfigError> {
        let total = self.total();
        let limit = limit_mb as f64 * 1_048_576.0;
        if total <= limit {
            return Ok(());
        }
        let parts: Vec<String> = self
            .parts
            .iter()
            .take(3)
            .map(|(name, b)| format!("{name} {}", mb(*b)))
            .collect();
        Err(ConfigError::new(
            "session.max_memory_mb",
            format!(
                "the session would preallocate {} ({}), above the limit of {limit_mb} MB; \
                 shorten decoder.calibration_s, pipeline.window_s or session.ring_s, use fewer \
                 channels, or raise session.max_memory_mb (at most {MAX_MEMORY_MB})",
                mb(total),
                parts.join(", ")
            ),
        ))
    }
}

/// Samples the window assembler keeps (ring and output): two windows, or
/// in event mode a history of one window plus the ring and one window out.
fn windowing(cfg: &ValidatedSession, window: f64, ring: f64) -> f64 {
    match cfg.pipeline.windows.mode {
        super::WindowMode::Hop => 2.0 * window,
        super::WindowMode::Events(_) => 2.0 * window + ring,
    }
}

fn mb(bytes: f64) -> String {
    format!("{:.0} MB", bytes / 1_048_576.0)
}
