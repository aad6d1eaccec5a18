//! [`Voice`]: the sound inside the audio callback, and [`CueSender`], the
//! actuator's end of its queue.
//!
//! # Sounds
//! * [`Cue::Class`] `i`: a steady sine at [`class_hz`]`(i)` (440 Hz, then
//!   major-third steps: 554, 698, 880 Hz …), distinct by ear and by
//!   frequency analysis;
//! * [`Cue::Silence`] on every hold;
//! * [`Cue::Estop`]: a siren alternating 880 and 660 Hz every 125 ms;
//! * [`Cue::Deadman`]: 1 kHz beeps, 100 ms on, 100 ms off.
//!
//! Sound starts and stops with a fade over [`FADE_S`]; from one sound to
//! another the phase runs on (the frequency changes, the waveform does
//! not jump), so nothing clicks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use neuroloop_core::clock;
use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

/// Seconds of every fade in or out.
pub const FADE_S: f64 = 0.005;
/// Peak amplitude of every sound (full scale is 1).
pub const AMPLITUDE: f32 = 0.5;
/// The siren's two frequencies and its period of alternation.
pub const ESTOP_HZ: [f64; 2] = [880.0, 660.0];
/// Seconds each siren frequency lasts.
pub const ESTOP_STEP_S: f64 = 0.125;
/// The deadman beep's frequency.
pub const DEADMAN_HZ: f64 = 1000.0;
/// Seconds a deadman beep is on, then off.
pub const DEADMAN_BEEP_S: f64 = 0.1;

/// What to sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    /// Nothing (a hold).
    Silence,
    /// The tone of intent class `i`.
    Class(u8),
    /// The e-stop siren.
    Estop,
    /// The deadman beeps.
    Deadman,
}

/// The tone frequency of class `i`: 440 Hz · 2^(i/3).
#[must_use]
pub fn class_hz(i: u8) -> f64 {
    440.0 * 2f64.powf(f64::from(i) / 3.0)
}

struct Command {
    cue: Cue,
    seq: u64,
    sent_at: f64,
}

/// A cue as it took effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Applied {
    /// The number [`CueSender::send`] returned.
    pub seq: u64,
    /// The cue.
    pub cue: Cue,
    /// When it was sent (process clock, seconds).
    pub sent_at: f64,
    /// When the audio callback that sounds it began.
    pub applied_at: f64,
}

/// The actuator's end: sends cues, reads back when they took effect.
pub struct CueSender {
    tx: HeapProd<Command>,
    applied: HeapCons<Applied>,
    next_seq: u64,
    dropped: u64,
    frames: Arc<AtomicU64>,
}

impl CueSender {
    /// Frames the voice has rendered so far: the audio clock, which runs
    /// at the device's pace whatever the scheduling of this thread.
    #[must_use]
    pub fn frames(&self) -> u64 {
        self.frames.load(Ordering::Acquire)
    }

    /// Queues `cue`; returns its number. Never blocks: with the queue full
    /// (the callback stopped running) the cue is dropped and counted.
    pub fn send(&mut self, cue: Cue) -> u64 {
        self.next_seq += 1;
        let command = Command {
            cue,
            seq: self.next_seq,
            sent_at: clock::now(),
        };
        if self.tx.try_push(command).is_err() {
            self.dropped += 1;
        }
        self.next_seq
    }

    /// The cues that took effect since the last call, in order.
    pub fn applied(&mut self) -> impl Iterator<Item = Applied> + '_ {
        self.applied.pop_iter()
    }

    /// Cues dropped on a full queue.
    #[must_use]
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// The callback's end: renders the current cue.
pub struct Voice {
    rx: HeapCons<Command>,
    applied: HeapProd<Applied>,
    sample_rate: f64,
    cue: Cue,
    /// Samples since the current cue began (alarm patterns).
    elapsed: u64,
    /// Phase of the sine, in turns.
    phase: f64,
    /// The fade's current gain, 0..1.
    gain: f64,
    /// The frequency sounding (kept through a fade out).
    hz: f64,
    fade_step: f64,
    frames: Arc<AtomicU64>,
}

/// A queue of `capacity` cues between an actuator and the voice of a
/// stream at `sample_rate`.
#[must_use]
pub fn cue_channel(capacity: usize, sample_rate: f64) -> (CueSender, Voice) {
    let (tx, rx) = HeapRb::<Command>::new(capacity.max(1)).split();
    let (applied_tx, applied_rx) = HeapRb::<Applied>::new(capacity.max(1)).split();
    let sample_rate = sample_rate.max(1.0);
    let frames = Arc::new(AtomicU64::new(0));
    (
        CueSender {
            tx,
            applied: applied_rx,
            next_seq: 0,
            dropped: 0,
            frames: Arc::clone(&frames),
        },
        Voice {
            rx,
            applied: applied_tx,
            sample_rate,
            cue: Cue::Silence,
            elapsed: 0,
            phase: 0.0,
            gain: 0.0,
            hz: 0.0,
            fade_step: 1.0 / (FADE_S * sample_rate),
            frames,
        },
    )
}

impl Voice {
    /// Fills `out` (interleaved frames of `channels`, every channel the
    /// same) after applying the cues waiting. No allocation, lock or log.
    pub fn render(&mut self, out: &mut [f32], channels: usize) {
        let mut now = None;
        while let Some(c) = self.rx.try_pop() {
            let at = *now.get_or_insert_with(clock::now);
            if c.cue != self.cue {
                self.cue = c.cue;
                self.elapsed = 0;
            }
            // A full return queue only loses the latency figure.
            let _ = self.applied.try_push(Applied {
                seq: c.seq,
                cue: c.cue,
                sent_at: c.sent_at,
                applied_at: at,
            });
        }
        let mut n = 0;
        for frame in out.chunks_mut(channels.max(1)) {
            let value = self.next_sample();
            frame.fill(value);
            n += 1;
        }
        self.frames.fetch_add(n, Ordering::Release);
    }

    /// The current cue.
    #[must_use]
    pub fn cue(&self) -> Cue {
        self.cue
    }

    fn next_sample(&mut self) -> f32 {
        let t = self.elapsed as f64 / self.sample_rate;
        self.elapsed += 1;
        let (hz, on) = match self.cue {
            Cue::Silence => (self.hz, false),
            Cue::Class(i) => (class_hz(i), true),
            Cue::Estop => (ESTOP_HZ[((t / ESTOP_STEP_S) as u64 % 2) as usize], true),
            Cue::Deadman => (DEADMAN_HZ, ((t / DEADMAN_BEEP_S) as u64).is_multiple_of(2)),
        };
        let target = if on { 1.0 } else { 0.0 };
        self.gain = if self.gain < target {
            (self.gain + self.fade_step).min(target)
        } else {
            (self.gain - self.fade_step).max(target)
        };
        self.hz = hz;
        self.phase = (self.phase + hz / self.sample_rate).fract();
        if self.gain == 0.0 {
            return 0.0;
        }
        (self.gain * (std::f64::consts::TAU * self.phase).sin()) as f32 * AMPLITUDE
    }
}

#[cfg(test)]
mod tests;
