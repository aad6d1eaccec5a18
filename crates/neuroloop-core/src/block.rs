//! Sample blocks: channel-interleaved `f32` values with per-sample timestamps.
//!
//! # Shapes
//! A block of `n` samples over `c` channels stores `data[s * c + ch]` for
//! sample `s` and channel `ch` (`data.len() == n * c`), `timestamps[s]` (source
//! time of sample `s`, process clock) and `arrivals[s]` (when that sample
//! reached neuroloop, process clock).

/// An owned, preallocated block. Its capacity is fixed at construction; the
/// pipeline reuses one block for its whole life.
#[derive(Debug, Clone)]
pub struct SampleBlock {
    channels: usize,
    len: usize,
    data: Vec<f32>,
    timestamps: Vec<f64>,
    arrivals: Vec<f64>,
}

impl SampleBlock {
    /// Allocates a block for up to `capacity` samples of `channels` channels.
    #[must_use]
    pub fn with_capacity(channels: usize, capacity: usize) -> Self {
        Self {
            channels,
            len: 0,
            data: vec![0.0; channels * capacity],
            timestamps: vec![0.0; capacity],
            arrivals: vec![0.0; capacity],
        }
    }

    /// Number of channels.
    #[must_use]
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Number of valid samples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the block holds no samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Maximum number of samples.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.timestamps.len()
    }

    /// Sets the number of valid samples (clamped to the capacity).
    pub fn set_len(&mut self, len: usize) {
        self.len = len.min(self.capacity());
    }

    /// The valid interleaved values.
    #[must_use]
    pub fn data(&self) -> &[f32] {
        &self.data[..self.len * self.channels]
    }

    /// Source timestamps of the valid samples.
    #[must_use]
    pub fn timestamps(&self) -> &[f64] {
        &self.timestamps[..self.len]
    }

    /// Arrival times of the valid samples.
    #[must_use]
    pub fn arrivals(&self) -> &[f64] {
        &self.arrivals[..self.len]
    }

    /// Whole buffers (full capacity) for filling; call [`Self::set_len`] after.
    pub fn buffers_mut(&mut self) -> (&mut [f32], &mut [f64], &mut [f64]) {
        (&mut self.data, &mut self.timestamps, &mut self.arrivals)
    }

    /// A mutable view of the valid samples for in-place processing.
    pub fn as_mut(&mut self) -> BlockMut<'_> {
        BlockMut {
            channels: self.channels,
            data: &mut self.data[..self.len * self.channels],
            timestamps: &self.timestamps[..self.len],
        }
    }
}

/// A mutable view of interleaved samples with their timestamps; what a
/// [`crate::Stage`] processes in place.
#[derive(Debug)]
pub struct BlockMut<'a> {
    /// Number of channels.
    pub channels: usize,
    /// Interleaved values, `len() * channels` long.
    pub data: &'a mut [f32],
    /// Source timestamp per sample.
    pub timestamps: &'a [f64],
}

impl BlockMut<'_> {
    /// Number of samples in the view.
    #[must_use]
    pub fn len(&self) -> usize {
        self.timestamps.len()
    }

    /// Whether the view is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.timestamps.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_cover_only_valid_samples() {
        let mut b = SampleBlock::with_capacity(3, 8);
        {
            let (d, t, a) = b.buffers_mut();
            d[..6].copy_from_slice(&[1., 2., 3., 4., 5., 6.]);
            t[..2].copy_from_slice(&[0.5, 0.6]);
            a[..2].copy_from_slice(&[0.7, 0.8]);
        }
        b.set_len(2);
        assert_eq!(b.data(), &[1., 2., 3., 4., 5., 6.]);
        let v = b.as_mut();
        assert_eq!(v.len(), 2);
        assert_eq!(v.data.len(), 6);
        b.set_len(100);
        assert_eq!(b.len(), 8, "length is clamped to capacity");
    }
}
