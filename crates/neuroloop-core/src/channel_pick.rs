//! Which channels of a source's samples a ring keeps.
//!
//! Many amplifiers' LSL applications put counters, triggers, timestamps or
//! motion channels in the same stream as the EEG (BioSemi's first channel
//! is its trigger word, EmotivPRO's are a timestamp and a counter). A
//! [`ChannelPick`] given to the ring's writer
//! ([`crate::ring::sample_ring_picking`]) stores only the channels the
//! pipeline decodes, in the order it reads them, as the values are
//! pushed: no extra copy, no allocation, one index lookup per kept value.
//!
//! ```
//! use neuroloop_core::channel_pick::ChannelPick;
//! // A 4-channel stream: counter, C3, Cz, C4. The pipeline reads C3, Cz, C4.
//! let pick = ChannelPick::new(4, vec![1, 2, 3]).unwrap();
//! assert_eq!(pick.kept(), &[1, 2, 3]);
//! assert!(!pick.is_all());
//! assert!(ChannelPick::new(4, vec![4]).is_err());
//! ```

/// The channels of a `source_channels`-wide sample that are kept, in the
/// order they are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelPick {
    source_channels: usize,
    keep: Box<[usize]>,
}

impl ChannelPick {
    /// Keeps the channels `keep` (indices into a `source_channels`-wide
    /// sample), stored in the order given.
    ///
    /// # Errors
    /// A message saying what is wrong: no channel kept, an index beyond
    /// the sample, or an index kept twice.
    pub fn new(source_channels: usize, keep: Vec<usize>) -> Result<Self, String> {
        if keep.is_empty() {
            return Err("at least one channel must be kept".into());
        }
        for (i, &channel) in keep.iter().enumerate() {
            if channel >= source_channels {
                return Err(format!(
                    "channel index {channel} is beyond the {source_channels} channels of a sample"
                ));
            }
            if keep[..i].contains(&channel) {
                return Err(format!("channel index {channel} is kept twice"));
            }
        }
        Ok(Self {
            source_channels,
            keep: keep.into_boxed_slice(),
        })
    }

    /// Keeps every channel of a `channels`-wide sample, in order.
    ///
    /// # Panics
    /// If `channels` is zero.
    #[must_use]
    pub fn all(channels: usize) -> Self {
        assert!(channels > 0, "a sample has at least one channel");
        Self {
            source_channels: channels,
            keep: (0..channels).collect(),
        }
    }

    /// Channels of a sample as the source pushes it.
    #[must_use]
    pub fn source_channels(&self) -> usize {
        self.source_channels
    }

    /// Indices of the kept channels, in stored order.
    #[must_use]
    pub fn kept(&self) -> &[usize] {
        &self.keep
    }

    /// Whether every channel is kept in its own place (nothing to pick).
    #[must_use]
    pub fn is_all(&self) -> bool {
        self.keep.len() == self.source_channels
            && self.keep.iter().enumerate().all(|(i, &c)| i == c)
    }

    /// The kept values of one sample (`sample.len()` is the source's
    /// channel count), in stored order.
    pub fn values<'a>(&'a self, sample: &'a [f32]) -> impl Iterator<Item = f32> + 'a {
        self.keep.iter().map(move |&c| sample[c])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_it_cannot_pick() {
        assert!(
            ChannelPick::new(3, vec![])
                .unwrap_err()
                .contains("at least one")
        );
        assert!(
            ChannelPick::new(3, vec![0, 3])
                .unwrap_err()
                .contains("beyond the 3")
        );
        assert!(
            ChannelPick::new(3, vec![1, 1])
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn picks_in_the_order_given() {
        let pick = ChannelPick::new(4, vec![3, 0]).unwrap();
        let sample = [10.0, 11.0, 12.0, 13.0];
        assert_eq!(pick.values(&sample).collect::<Vec<_>>(), [13.0, 10.0]);
        assert!(!pick.is_all());
        assert!(ChannelPick::all(4).is_all());
        assert!(!ChannelPick::new(4, vec![0, 1, 3, 2]).unwrap().is_all());
    }
}
