//! Labels for calibration windows from the marker stream.
//!
//! Markers mark task onsets (code = class index) and ends
//! ([`Marker::REST`]). A window is labelled with class `c` when the latest
//! marker before its newest sample is the onset of `c` and that onset lies at
//! least `delay_s` before the window's oldest sample: the whole window lies
//! inside the task, past its ramp-up. Fixed capacity; no allocation after
//! construction.

use neuroloop_core::Marker;

/// The recent markers, oldest first, in a fixed-size ring.
#[derive(Debug, Clone)]
pub struct LabelTimeline {
    markers: Vec<Marker>,
    start: usize,
    len: usize,
    delay_s: f64,
}

impl LabelTimeline {
    /// Keeps up to `capacity` markers.
    #[must_use]
    pub fn new(capacity: usize, delay_s: f64) -> Self {
        Self {
            markers: vec![
                Marker {
                    time: 0.0,
                    code: Marker::REST
                };
                capacity.max(2)
            ],
            start: 0,
            len: 0,
            delay_s,
        }
    }

    /// Adds a marker (markers arrive in time order); the oldest is forgotten
    /// when full.
    pub fn push(&mut self, marker: Marker) {
        let cap = self.markers.len();
        if self.len == cap {
            self.start = (self.start + 1) % cap;
            self.len -= 1;
        }
        self.markers[(self.start + self.len) % cap] = marker;
        self.len += 1;
    }

    /// The class the window `[oldest, newest]` belongs to, if any.
    #[must_use]
    pub fn label(&self, oldest: f64, newest: f64) -> Option<usize> {
        let cap = self.markers.len();
        let latest = (0..self.len)
            .rev()
            .map(|i| self.markers[(self.start + i) % cap])
            .find(|m| m.time <= newest)?;
        if latest.code >= 0 && latest.time + self.delay_s <= oldest {
            Some(latest.code as usize)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_windows_inside_a_task() {
        let mut t = LabelTimeline::new(8, 0.5);
        t.push(Marker {
            time: 10.0,
            code: 1,
        });
        t.push(Marker {
            time: 14.0,
            code: Marker::REST,
        });
        assert_eq!(t.label(10.5, 11.5), Some(1));
        assert_eq!(t.label(10.2, 11.2), None, "inside the ramp-up");
        assert_eq!(t.label(13.5, 14.5), None, "crosses the task end");
        assert_eq!(t.label(9.0, 9.9), None, "before any task");
    }

    #[test]
    fn forgets_the_oldest_when_full() {
        let mut t = LabelTimeline::new(2, 0.0);
        for (i, time) in [1.0, 2.0, 3.0].into_iter().enumerate() {
            t.push(Marker {
                time,
                code: i as i32,
            });
        }
        assert_eq!(t.label(3.0, 3.5), Some(2));
        assert_eq!(t.label(1.0, 1.5), None, "the first marker is gone");
    }
}
