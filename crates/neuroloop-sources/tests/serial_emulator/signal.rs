//! The emulated board's in-range class signal (see [`Signal`]).

/// An in-range signal whose class is decodable, in place of the
/// full-range counts: trials of `trial_s` seconds alternate between
/// class 0 and class 1 from the first sample. Each channel carries a
/// 10 Hz sinusoid (its phase 0.7 rad × its channel index) and uniform
/// noise of ±8 µV from a hash of packet and channel; the sinusoid is
/// 20 µV on the channels of the trial's class and 3 µV on the others.
/// Class 0's channels are 1–4 (and 9–12 on a Daisy), class 1's 5–8 (and
/// 13–16). `tools/serial/cyton_emulator.py --signal` sends the same
/// counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signal {
    /// Two packets a sample (channels 9–16 in the even one).
    pub daisy: bool,
    /// Seconds of each trial.
    pub trial_s: f64,
}

impl Signal {
    /// Samples per second.
    pub fn rate(&self) -> f64 {
        if self.daisy { 125.0 } else { 250.0 }
    }

    /// Samples in each trial (halves rounded up, as in the Python
    /// emulator).
    pub fn trial_samples(&self) -> u64 {
        (self.trial_s * self.rate() + 0.5).floor() as u64
    }

    /// The class of sample `i`.
    pub fn class(&self, i: u64) -> usize {
        ((i / self.trial_samples()) % 2) as usize
    }

    /// The sample packet `k` belongs to and the channel (0-based, in the
    /// sample) of its channel `c`.
    fn place(&self, k: u64, c: usize) -> (u64, usize) {
        if self.daisy {
            (k / 2, if k.is_multiple_of(2) { 8 + c } else { c })
        } else {
            (k, c)
        }
    }

    /// Microvolts of packet `k`, channel `c`, before quantisation.
    pub fn uv(&self, k: u64, c: usize) -> f64 {
        let (i, ch) = self.place(k, c);
        let t = i as f64 / self.rate();
        let group = (ch % 8) / 4;
        let amplitude = if group == self.class(i) { 20.0 } else { 3.0 };
        let hash = (k * 2_654_435_761 + ch as u64 * 40_503 + 12_345) % 1_000_003;
        let noise = (hash as f64 / 1_000_003.0 - 0.5) * 16.0;
        amplitude * (2.0 * std::f64::consts::PI * 10.0 * t + 0.7 * ch as f64).sin() + noise
    }

    /// Sample `i` as the source makes it: every channel's counts times the
    /// gain-24 scale, as `f32` (a Daisy sample: channels 1–8 from packet
    /// `2i + 1`, 9–16 from packet `2i`).
    pub fn sample(&self, i: u64) -> Vec<f32> {
        let scale = neuroloop_sources::serial::scale::uv_per_count(24);
        let uv = |k: u64, c: usize| (f64::from(self.count(k, c)) * scale) as f32;
        if self.daisy {
            (0..16)
                .map(|ch| {
                    if ch < 8 {
                        uv(2 * i + 1, ch)
                    } else {
                        uv(2 * i, ch - 8)
                    }
                })
                .collect()
        } else {
            (0..8).map(|c| uv(i, c)).collect()
        }
    }

    /// The counts the board sends for packet `k`, channel `c` (gain 24):
    /// the nearest, halves rounded up (`floor(x + 0.5)`, as the Python
    /// emulator computes it).
    pub fn count(&self, k: u64, c: usize) -> i32 {
        (self.uv(k, c) / neuroloop_sources::serial::scale::uv_per_count(24) + 0.5).floor() as i32
    }
}
