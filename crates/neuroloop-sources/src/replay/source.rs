//! The replay as a [`Source`] running on its own thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use neuroloop_core::{Marker, StreamSpec, clock};

use super::{Pace, ReplayRecording};
use crate::{Source, SourceError, SourceIo, SourceReport};

/// A recording, opened and ready to play.
pub struct ReplaySource {
    recording: Arc<ReplayRecording>,
    spec: StreamSpec,
    labels: Vec<String>,
    pace: Pace,
    times: Vec<f64>,
}

impl ReplaySource {
    /// Opens the replay of `recording` as the stream `spec` (the session's:
    /// the same channels and rate; its block size is the replay's block).
    /// `classes` are the labels of the cue codes.
    ///
    /// # Errors
    /// [`SourceError::Config`] if `spec` is not the recording's stream.
    pub fn open(
        recording: Arc<ReplayRecording>,
        spec: StreamSpec,
        classes: Vec<String>,
        pace: Pace,
    ) -> Result<Self, SourceError> {
        let ours = &recording.spec;
        let same_labels = spec.channel_count() == ours.channel_count()
            && spec
                .labels()
                .zip(ours.labels())
                .all(|(a, b)| a.eq_ignore_ascii_case(b));
        if !same_labels || spec.sample_rate != ours.sample_rate {
            return Err(SourceError::Config(format!(
                "{} has {} channels at {} Hz, the session expects {} at {} Hz",
                recording.path.display(),
                ours.channel_count(),
                ours.sample_rate,
                spec.channel_count(),
                spec.sample_rate
            )));
        }
        let block = spec.block_size.max(1);
        Ok(Self {
            times: vec![0.0; block],
            recording,
            spec,
            labels: classes,
            pace,
        })
    }
}

impl Source for ReplaySource {
    fn spec(&self) -> &StreamSpec {
        &self.spec
    }

    fn marker_labels(&self) -> &[String] {
        &self.labels
    }

    /// Plays the recording once, then returns (the session ends when its
    /// pipeline has drained the ring). Every sample enters the ring: the
    /// source waits for room instead of dropping, at either pace. A
    /// recording with timestamps (XDF) is played with them, so its samples
    /// and cues keep the times they were recorded with.
    fn run(&mut self, mut io: SourceIo, stop: &AtomicBool) -> Result<SourceReport, SourceError> {
        let rec = Arc::clone(&self.recording);
        let fs = self.spec.sample_rate;
        let channels = self.spec.channel_count();
        let block = self.times.len() as u64;
        let timeline = PlayClock {
            start: clock::now(),
            rate: fs,
            recorded: rec.times.as_deref(),
        };
        let mut report = SourceReport::default();
        let mut cues = rec.cues.iter().peekable();
        let mut first = 0u64;
        while first < rec.samples && !stop.load(Ordering::Relaxed) {
            let end = (first + block).min(rec.samples);
            let n = (end - first) as usize;
            for (i, t) in self.times[..n].iter_mut().enumerate() {
                *t = timeline.time(first + i as u64);
            }
            while let Some(cue) = cues.next_if(|c| c.sample < end) {
                report.markers += 1;
                if let Some(m) = io.markers.as_mut() {
                    m.push(Marker {
                        time: timeline.time(cue.sample),
                        code: cue.code,
                    });
                }
            }
            if self.pace == Pace::Realtime {
                clock::sleep_until(timeline.due(end - 1));
            }
            while io.samples.room() < n && !stop.load(Ordering::Relaxed) {
                io.wake();
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let values = &rec.data[first as usize * channels..end as usize * channels];
            io.samples.push(values, &self.times[..n], clock::now());
            io.wake();
            report.samples += n as u64;
            first = end;
        }
        Ok(report)
    }
}

/// When each sample is played and the time it carries.
struct PlayClock<'a> {
    /// When play began.
    start: f64,
    /// Samples per second.
    rate: f64,
    /// The recording's own timestamps (XDF), if it has them.
    recorded: Option<&'a [f64]>,
}

impl PlayClock<'_> {
    /// The timestamp sample `i` carries: its recorded one, else `i / rate`
    /// after the start.
    fn time(&self, i: u64) -> f64 {
        match self.recorded {
            Some(times) => times[i as usize],
            None => self.start + i as f64 / self.rate,
        }
    }

    /// When sample `i` is due at the recording's pace.
    fn due(&self, i: u64) -> f64 {
        match self.recorded {
            Some(times) => self.start + (times[i as usize] - times[0]),
            None => self.start + i as f64 / self.rate,
        }
    }
}
