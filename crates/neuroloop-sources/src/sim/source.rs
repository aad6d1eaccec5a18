//! The simulated headset as a [`Source`] running on its own thread.

use std::sync::atomic::{AtomicBool, Ordering};

use neuroloop_core::{Marker, StreamSpec, clock};

use super::faults::Faults;
use super::{SimConfig, SimGenerator};
use crate::{Source, SourceError, SourceIo, SourceReport};

/// A simulated headset, opened and ready to run.
pub struct SimSource {
    spec: StreamSpec,
    labels: Vec<String>,
    generator: SimGenerator,
    realtime: bool,
    limit: Option<u64>,
    block: Vec<f32>,
    times: Vec<f64>,
    faults: Faults,
}

impl SimSource {
    /// Opens the simulator for `spec` (channels and rate from the hardware
    /// profile). Allocates every buffer the running source needs.
    ///
    /// # Errors
    /// [`SourceError::Config`] listing every preflight problem.
    pub fn open(config: &SimConfig, mut spec: StreamSpec) -> Result<Self, SourceError> {
        config.preflight(&spec, "source").map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            SourceError::Config(list.join("; "))
        })?;
        let block_size = config.block_size.unwrap_or(spec.block_size).max(1);
        spec.block_size = block_size;
        let labels: Vec<&str> = spec.labels().collect();
        let generator = SimGenerator::new(
            &labels,
            spec.sample_rate,
            config.line_hz,
            &config.paradigm,
            config.seed,
        );
        let limit = config
            .duration_s
            .map(|d| (d * spec.sample_rate).round() as u64);
        Ok(Self {
            block: vec![0.0; block_size * spec.channel_count()],
            times: vec![0.0; block_size],
            labels: config.paradigm.classes(),
            faults: Faults::new(&config.faults, &spec),
            generator,
            realtime: config.realtime,
            limit,
            spec,
        })
    }

    /// Limits the session to `samples` samples (overrides `duration_s`).
    #[must_use]
    pub fn with_limit(mut self, samples: u64) -> Self {
        self.limit = Some(samples);
        self
    }
}

impl Source for SimSource {
    fn spec(&self) -> &StreamSpec {
        &self.spec
    }

    fn marker_labels(&self) -> &[String] {
        &self.labels
    }

    fn run(&mut self, mut io: SourceIo, stop: &AtomicBool) -> Result<SourceReport, SourceError> {
        let fs = self.spec.sample_rate;
        let block = self.times.len();
        let start = clock::now();
        let mut report = SourceReport::default();
        while !stop.load(Ordering::Relaxed) {
            let produced = self.generator.position();
            let n = match self.limit {
                Some(limit) if produced >= limit => break,
                Some(limit) => block.min((limit - produced) as usize),
                None => block,
            };
            let channels = self.spec.channel_count();
            let markers = &mut io.markers;
            let mut marker_count = 0;
            self.generator
                .fill(&mut self.block[..n * channels], |index, code| {
                    marker_count += 1;
                    if let Some(m) = markers.as_mut() {
                        m.push(Marker {
                            time: start + index as f64 / fs,
                            code,
                        });
                    }
                });
            report.markers += marker_count;
            self.faults
                .apply(&mut self.block[..n * channels], produced, channels);
            for (i, t) in self.times[..n].iter_mut().enumerate() {
                *t = start + (produced + i as u64) as f64 / fs;
            }
            if self.realtime {
                // A block leaves when its newest sample has been "recorded".
                clock::sleep_until(self.times[n - 1]);
            } else {
                // Not a live amplifier: wait for room instead of dropping.
                while io.samples.room() < n && !stop.load(Ordering::Relaxed) {
                    io.wake();
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            }
            io.samples
                .push(&self.block[..n * channels], &self.times[..n], clock::now());
            io.wake();
            report.samples += n as u64;
        }
        Ok(report)
    }
}
