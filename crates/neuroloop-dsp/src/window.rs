//! Sliding analysis windows over an interleaved sample stream.
//!
//! [`WindowAssembler`] keeps the last `window` samples of every channel in a
//! preallocated ring and, every `hop` samples once `window` samples have
//! arrived, emits a [`Window`] (channel-major, oldest first). `hop` may be
//! larger than `window` (samples between windows are then skipped).
//!
//! # Shapes
//! Input: `data[s * channels + ch]`, one timestamp and one arrival per
//! sample. Output: `Window::data[ch * window + t]`.
//!
//! Config (`window_s`, `hop_s` in seconds):
//! ```toml
//! window = { window_s = 2.0, hop_s = 0.1 }
//! ```

use neuroloop_core::{ConfigError, Error, ErrorKind, SampleBlock, StreamSpec, Window};
use serde::{Deserialize, Serialize};

/// Builds [`Window`]s from streamed blocks without allocating.
#[derive(Debug, Clone)]
pub struct WindowAssembler {
    channels: usize,
    window: usize,
    hop: usize,
    /// Channel-major ring: `ring[ch * window + pos]`.
    ring: Vec<f32>,
    times: Vec<f64>,
    arrivals: Vec<f64>,
    /// The emitted window, assembled oldest first.
    out: Vec<f32>,
    /// Next ring position to write (the oldest sample once full).
    write: usize,
    /// Valid samples in the ring (at most `window`).
    filled: usize,
    /// Samples still to consume before the next window is due.
    until_emit: usize,
    index: u64,
}

impl WindowAssembler {
    /// Allocates every buffer for windows of `window` samples of `channels`
    /// channels, one every `hop` samples.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when `channels`, `window` or `hop` is 0.
    pub fn new(channels: usize, window: usize, hop: usize) -> Result<Self, Error> {
        if channels == 0 || window == 0 || hop == 0 {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "window assembler needs channels, window and hop >= 1 \
                     (got {channels}, {window}, {hop})"
                ),
            ));
        }
        Ok(Self {
            channels,
            window,
            hop,
            ring: vec![0.0; channels * window],
            times: vec![0.0; window],
            arrivals: vec![0.0; window],
            out: vec![0.0; channels * window],
            write: 0,
            filled: 0,
            until_emit: window,
            index: 0,
        })
    }

    /// Samples per window.
    #[must_use]
    pub fn window_samples(&self) -> usize {
        self.window
    }

    /// Samples between the starts of consecutive windows.
    #[must_use]
    pub fn hop_samples(&self) -> usize {
        self.hop
    }

    /// Number of channels.
    #[must_use]
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Index the next emitted window will carry.
    #[must_use]
    pub fn next_index(&self) -> u64 {
        self.index
    }

    /// Discards the partial history (after a gap); the next window needs
    /// `window` fresh samples. Window indices keep counting.
    pub fn reset(&mut self) {
        self.write = 0;
        self.filled = 0;
        self.until_emit = self.window;
    }

    /// Consumes interleaved samples; calls `emit` for each completed window
    /// (possibly several per call) and returns how many were emitted.
    /// Never allocates.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidData`] (nothing consumed) when
    /// `data.len() != timestamps.len() * channels` or
    /// `arrivals.len() != timestamps.len()`.
    pub fn push(
        &mut self,
        data: &[f32],
        timestamps: &[f64],
        arrivals: &[f64],
        mut emit: impl FnMut(Window<'_>),
    ) -> Result<usize, Error> {
        self.push_at(data, timestamps, arrivals, |w, _| emit(w))
    }

    /// [`Self::push`], also telling `emit` the position in `timestamps` of
    /// each window's newest sample.
    ///
    /// # Errors
    /// As [`Self::push`].
    pub fn push_at(
        &mut self,
        data: &[f32],
        timestamps: &[f64],
        arrivals: &[f64],
        mut emit: impl FnMut(Window<'_>, usize),
    ) -> Result<usize, Error> {
        let n = timestamps.len();
        if data.len() != n * self.channels || arrivals.len() != n {
            return Err(Error::new(
                ErrorKind::InvalidData,
                "block shape does not match the window assembler",
            ));
        }
        let (c, w) = (self.channels, self.window);
        let mut emitted = 0;
        for (s, sample) in data.chunks_exact(c).enumerate() {
            let pos = self.write;
            for (ch, &x) in sample.iter().enumerate() {
                self.ring[ch * w + pos] = x;
            }
            self.times[pos] = timestamps[s];
            self.arrivals[pos] = arrivals[s];
            self.write = if pos + 1 == w { 0 } else { pos + 1 };
            self.filled = (self.filled + 1).min(w);
            self.until_emit -= 1;
            if self.until_emit == 0 {
                self.until_emit = self.hop;
                if self.filled == w {
                    emit(self.assemble(pos), s);
                    emitted += 1;
                }
            }
        }
        Ok(emitted)
    }

    /// [`Self::push`] for the valid samples of a block.
    ///
    /// # Errors
    /// As [`Self::push`].
    pub fn push_block(
        &mut self,
        block: &SampleBlock,
        emit: impl FnMut(Window<'_>),
    ) -> Result<usize, Error> {
        self.push(block.data(), block.timestamps(), block.arrivals(), emit)
    }

    /// [`Self::push_at`] for the valid samples of a block.
    ///
    /// # Errors
    /// As [`Self::push`].
    pub fn push_block_at(
        &mut self,
        block: &SampleBlock,
        emit: impl FnMut(Window<'_>, usize),
    ) -> Result<usize, Error> {
        self.push_at(block.data(), block.timestamps(), block.arrivals(), emit)
    }

    /// Copies the ring into `out`, oldest first; `newest` is the ring
    /// position of the newest sample.
    fn assemble(&mut self, newest: usize) -> Window<'_> {
        let w = self.window;
        let oldest = self.write; // ring is full: the next write slot is the oldest
        let head = w - oldest;
        for (src, dst) in self.ring.chunks_exact(w).zip(self.out.chunks_exact_mut(w)) {
            dst[..head].copy_from_slice(&src[oldest..]);
            dst[head..].copy_from_slice(&src[..oldest]);
        }
        let index = self.index;
        self.index += 1;
        Window {
            index,
            channels: self.channels,
            samples: w,
            data: &self.out,
            oldest_time: self.times[oldest],
            newest_time: self.times[newest],
            newest_arrival: self.arrivals[newest],
        }
    }
}

/// Window length and hop in seconds, converted to samples with the stream's
/// rate (rounded to the nearest sample).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowConfig {
    /// Window length, seconds.
    pub window_s: f64,
    /// Hop between window starts, seconds.
    pub hop_s: f64,
}

/// A window shape in samples, as preflight resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowShape {
    /// Samples per window.
    pub window_samples: usize,
    /// Samples between windows.
    pub hop_samples: usize,
}

impl WindowConfig {
    /// Checks the config against `input` (pure) and resolves it to samples.
    ///
    /// # Errors
    /// Every problem, at `path.window_s` / `path.hop_s` (or `path` when the
    /// stream is irregular).
    pub fn preflight(
        &self,
        input: &StreamSpec,
        path: &str,
    ) -> Result<WindowShape, Vec<ConfigError>> {
        let fs = input.sample_rate;
        if !(fs.is_finite() && fs > 0.0) {
            return Err(vec![ConfigError::new(
                path,
                format!("windows need a regularly sampled stream (sample_rate is {fs})"),
            )]);
        }
        let mut errors = Vec::new();
        let mut samples = |field: &str, secs: f64| -> usize {
            if !(secs.is_finite() && secs > 0.0) {
                errors.push(ConfigError::new(
                    format!("{path}.{field}"),
                    format!("{secs} must be a finite number of seconds above 0"),
                ));
                return 0;
            }
            let n = (secs * fs).round();
            if n < 1.0 {
                errors.push(ConfigError::new(
                    format!("{path}.{field}"),
                    format!("{secs} s is less than one sample at {fs} Hz"),
                ));
                return 0;
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n as usize;
            n
        };
        let window_samples = samples("window_s", self.window_s);
        let hop_samples = samples("hop_s", self.hop_s);
        if errors.is_empty() {
            Ok(WindowShape {
                window_samples,
                hop_samples,
            })
        } else {
            Err(errors)
        }
    }

    /// Preflights and builds the assembler for `input`.
    ///
    /// # Errors
    /// As [`Self::preflight`].
    pub fn build(
        &self,
        input: &StreamSpec,
        path: &str,
    ) -> Result<WindowAssembler, Vec<ConfigError>> {
        let shape = self.preflight(input, path)?;
        WindowAssembler::new(
            input.channel_count(),
            shape.window_samples,
            shape.hop_samples,
        )
        .map_err(|e| vec![ConfigError::new(path, e.to_string())])
    }
}
