//! The decoder's life inside the pipeline thread: calibrate → train → decode.
//!
//! While calibrating, labelled windows are copied into a [`CalibrationSet`]
//! preallocated for the whole calibration period. When the period ends the
//! set is *moved* to the trainer thread (no copy, no allocation on the
//! pipeline thread); training runs there, and the trained decoder comes back
//! through a channel the pipeline polls once per window. Until then every
//! window yields a hold intent. A calibration that cannot be fitted (a class
//! without trials, a singular covariance) comes back with its reason and its
//! set: the slot calibrates for another period, the set's oldest windows
//! making room for new ones, and tries again; decoding never ends for it.
//!
//! A session with `[decoder] type = "bundle"` skips all of this: its
//! decoder is loaded from the bundle ([`bundle_decoder`]) and the slot
//! starts [`DecoderSlot::Ready`].

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use neuroloop_core::Window;
use neuroloop_decode::Decoder;
use neuroloop_decode::bundle::Bundle;

use crate::config::ValidatedSession;
use crate::error::RuntimeError;

/// The decoder of a `[decoder] type = "bundle"` session, loaded from its
/// bundle; `None` for a decoder trained on calibration.
///
/// # Errors
/// [`RuntimeError::Decode`] if the bundle cannot be loaded (it changed
/// since validation), [`RuntimeError::Build`] if its input shape is not
/// the session's window.
pub fn bundle_decoder(cfg: &ValidatedSession) -> Result<Option<Box<dyn Decoder>>, RuntimeError> {
    let Some(dir) = cfg
        .decoder
        .is_bundle()
        .then(|| cfg.decoder.bundle_dir(&cfg.path))
        .flatten()
    else {
        return Ok(None);
    };
    let decoder = Bundle::load_with(&dir, &cfg.decoder.decoders)?.into_decoder()?;
    let expected = (
        cfg.pipeline.filters.output.channel_count(),
        cfg.pipeline.windows.window_samples,
    );
    if decoder.input_shape() != expected || decoder.classes() != cfg.classes.as_slice() {
        return Err(RuntimeError::Build {
            what: "decoder",
            message: format!(
                "bundle {} takes {:?} windows of classes {:?}; the session makes {expected:?} \
                 windows of classes {:?}",
                dir.display(),
                decoder.input_shape(),
                decoder.classes(),
                cfg.classes
            ),
        });
    }
    tracing::info!(bundle = %dir.display(), "decoder loaded from bundle");
    Ok(Some(decoder))
}

/// Labelled calibration windows, channel-major, back to back.
///
/// # Shapes
/// `windows` holds `len()` windows of `channels × samples` values each.
#[derive(Debug)]
pub struct CalibrationSet {
    /// Window data.
    pub windows: Vec<f32>,
    /// Class of each window.
    pub labels: Vec<usize>,
    window_len: usize,
    capacity: usize,
    /// Once full, the slot the next window replaces (the oldest).
    next: usize,
}

impl CalibrationSet {
    /// Room for `capacity` windows of `window_len` values.
    #[must_use]
    pub fn with_capacity(capacity: usize, window_len: usize) -> Self {
        Self {
            windows: Vec::with_capacity(capacity * window_len),
            labels: Vec::with_capacity(capacity),
            window_len,
            capacity,
            next: 0,
        }
    }

    /// Copies a window in; once the set is full, the window replaces the
    /// oldest one. Returns `false` (and keeps nothing) when the window's
    /// shape is not the set's or it holds a NaN or ±Inf: bad samples never
    /// reach training. Nothing is allocated. (Windows touching any other
    /// artifact are never offered: the pipeline does not label them.)
    pub fn push(&mut self, window: &Window<'_>, label: usize) -> bool {
        if window.data.len() != self.window_len || self.capacity == 0 {
            return false;
        }
        // Non-short-circuiting so the loop vectorises.
        if !window.data.iter().fold(true, |ok, v| ok & v.is_finite()) {
            return false;
        }
        if self.labels.len() < self.capacity {
            self.windows.extend_from_slice(window.data);
            self.labels.push(label);
        } else {
            let slot = self.next % self.capacity;
            self.windows[slot * self.window_len..(slot + 1) * self.window_len]
                .copy_from_slice(window.data);
            self.labels[slot] = label;
            self.next = slot + 1;
        }
        true
    }

    /// Windows collected.
    #[must_use]
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether nothing was collected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// A calibration that could not be fitted: why, and the set to extend.
#[derive(Debug)]
pub struct TrainingFailure {
    /// The reason, for the log and the report.
    pub reason: String,
    /// The windows collected so far.
    pub set: CalibrationSet,
}

/// What the trainer thread sends back.
pub type TrainingResult = Result<Box<dyn Decoder>, TrainingFailure>;

/// Where the pipeline's decoder is in its life.
pub enum DecoderSlot {
    /// Collecting labelled windows until sample time `until`.
    Calibrating {
        /// The windows so far.
        set: CalibrationSet,
        /// Calibration ends with the first window whose newest sample is at
        /// or after this time (set from the first sample seen).
        until: Option<f64>,
        /// Seconds of calibration.
        duration_s: f64,
        /// Where the finished set goes.
        to_trainer: Sender<CalibrationSet>,
        /// Where the decoder will come from.
        from_trainer: Receiver<TrainingResult>,
        /// See [`DecoderSlot::Training`].
        wait: bool,
    },
    /// Waiting for the trainer.
    Training {
        /// Where the decoder will come from.
        from_trainer: Receiver<TrainingResult>,
        /// Where a set goes again after a failed fit.
        to_trainer: Sender<CalibrationSet>,
        /// Seconds of each further calibration period.
        duration_s: f64,
        /// Block the pipeline until the decoder arrives (sources that are not
        /// live, where waiting loses nothing and keeps sessions reproducible).
        wait: bool,
    },
    /// Decoding.
    Ready(Box<dyn Decoder>),
    /// The trainer is gone; the session only holds.
    Failed,
}

/// What the slot did with a window.
pub enum SlotAction<'a> {
    /// Still calibrating or training: hold.
    Wait,
    /// Decode with this decoder.
    Decode(&'a mut dyn Decoder),
    /// No decoder will come: hold.
    Failed,
}

impl DecoderSlot {
    /// A slot that calibrates for `duration_s` seconds into `set`; with
    /// `wait`, the pipeline then blocks until training is done.
    #[must_use]
    pub fn calibrating(
        set: CalibrationSet,
        duration_s: f64,
        to_trainer: Sender<CalibrationSet>,
        from_trainer: Receiver<TrainingResult>,
        wait: bool,
    ) -> Self {
        DecoderSlot::Calibrating {
            set,
            until: None,
            duration_s,
            to_trainer,
            from_trainer,
            wait,
        }
    }

    /// Advances the slot for `window` (with its true `label`, if known) and
    /// says what to do. Returns `true` in `.1` if the window was collected.
    pub fn on_window(
        &mut self,
        window: &Window<'_>,
        label: Option<usize>,
    ) -> (SlotAction<'_>, bool) {
        let mut collected = false;
        if let DecoderSlot::Calibrating {
            set,
            until,
            duration_s,
            ..
        } = self
        {
            let end = *until.get_or_insert(window.oldest_time + *duration_s);
            if window.newest_time < end {
                if let Some(l) = label {
                    collected = set.push(window, l);
                }
                return (SlotAction::Wait, collected);
            }
            self.finish_calibration();
        }
        if let DecoderSlot::Training {
            from_trainer, wait, ..
        } = self
        {
            let received = if *wait {
                from_trainer.recv().map_err(|_| TryRecvError::Disconnected)
            } else {
                from_trainer.try_recv()
            };
            match received {
                Ok(Ok(decoder)) => *self = DecoderSlot::Ready(decoder),
                Ok(Err(failure)) => {
                    self.calibrate_again(failure.set);
                    return (SlotAction::Wait, collected);
                }
                Err(TryRecvError::Disconnected) => *self = DecoderSlot::Failed,
                Err(TryRecvError::Empty) => return (SlotAction::Wait, collected),
            }
        }
        match self {
            DecoderSlot::Ready(decoder) => (SlotAction::Decode(decoder.as_mut()), collected),
            DecoderSlot::Failed => (SlotAction::Failed, collected),
            _ => (SlotAction::Wait, collected),
        }
    }

    fn finish_calibration(&mut self) {
        let old = std::mem::replace(self, DecoderSlot::Failed);
        if let DecoderSlot::Calibrating {
            set,
            to_trainer,
            from_trainer,
            wait,
            duration_s,
            ..
        } = old
        {
            *self = if to_trainer.send(set).is_ok() {
                DecoderSlot::Training {
                    from_trainer,
                    to_trainer,
                    duration_s,
                    wait,
                }
            } else {
                DecoderSlot::Failed
            };
        }
    }

    /// After a failed fit: collect for another period into the same set.
    fn calibrate_again(&mut self, set: CalibrationSet) {
        let old = std::mem::replace(self, DecoderSlot::Failed);
        if let DecoderSlot::Training {
            from_trainer,
            to_trainer,
            duration_s,
            wait,
        } = old
        {
            *self = DecoderSlot::Calibrating {
                set,
                until: None,
                duration_s,
                to_trainer,
                from_trainer,
                wait,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(data: &[f32]) -> Window<'_> {
        Window {
            index: 0,
            channels: 1,
            samples: data.len(),
            data,
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        }
    }

    #[test]
    fn a_calibration_set_refuses_non_finite_windows() {
        let mut set = CalibrationSet::with_capacity(4, 3);
        assert!(set.push(&window(&[1.0, 2.0, 3.0]), 0));
        assert!(!set.push(&window(&[1.0, f32::NAN, 3.0]), 1));
        assert!(!set.push(&window(&[f32::INFINITY, 2.0, 3.0]), 1));
        assert!(!set.push(&window(&[1.0, 2.0]), 1), "wrong shape");
        assert_eq!(set.len(), 1);
        assert_eq!(set.windows, [1.0, 2.0, 3.0]);
    }
}
