//! Analysis windows handed from the window assembler to the decoder.
//!
//! # Shapes
//! `data` is channel-major: `data[ch * samples + t]` for channel `ch` and
//! sample `t` (oldest first), `data.len() == channels * samples`. This is the
//! `[channels, time]` layout deep EEG models take per batch item.

/// A borrowed, complete analysis window.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Running index of this window in the session.
    pub index: u64,
    /// Number of channels.
    pub channels: usize,
    /// Number of samples per channel.
    pub samples: usize,
    /// Channel-major values (see the module's `# Shapes`).
    pub data: &'a [f32],
    /// Source timestamp of the oldest sample.
    pub oldest_time: f64,
    /// Source timestamp of the newest sample.
    pub newest_time: f64,
    /// Arrival time of the newest sample.
    pub newest_arrival: f64,
}

impl Window<'_> {
    /// The samples of channel `ch`, oldest first.
    ///
    /// # Panics
    /// If `ch >= channels`.
    #[must_use]
    pub fn channel(&self, ch: usize) -> &[f32] {
        &self.data[ch * self.samples..(ch + 1) * self.samples]
    }
}

/// An event on a marker stream (cue, label, annotation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker {
    /// Timestamp on the process clock.
    pub time: f64,
    /// Numeric event code; what it means is stated by the source's spec
    /// (for paradigm labels: the class index, or [`Marker::REST`]).
    pub code: i32,
}

impl Marker {
    /// Code of a marker that ends a labelled period.
    pub const REST: i32 = -1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_slices_are_channel_major() {
        let data = [0.0, 1.0, 2.0, 10.0, 11.0, 12.0];
        let w = Window {
            index: 0,
            channels: 2,
            samples: 3,
            data: &data,
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        assert_eq!(w.channel(1), &[10.0, 11.0, 12.0]);
    }
}
