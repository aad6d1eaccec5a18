//! A bare pipeline step with a network decoder, on the pipeline thread or
//! through the decode worker's hand-off, fed from synthetic motor imagery:
//! shared by `tests/device_handoff.rs` and `benches/handoff_latency.rs`.
//!
//! # Shapes
//! Windows are `channels × samples`; the signal is sample-interleaved, as a
//! source pushes it (`hops × hop × channels` values).
#![allow(dead_code)] // each user takes its own part

use std::path::Path;

use crossbeam_channel::Receiver;
use neuroloop_core::ring::{RingWriter, sample_ring};
use neuroloop_core::{ChannelSpec, Intent, SampleBlock, StreamSpec, Window, clock};
use neuroloop_decode::bundle::{Bundle, BundleMeta};
use neuroloop_decode::fit::{EpochSet, FitOptions, Hyperparameters, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;
use neuroloop_decode::{DecodeError, Decoder};
use neuroloop_dsp::{ArtifactConfig, FilterChain, WindowAssembler};
use neuroloop_runtime::decoding::DecoderSlot;
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::offload::DeviceOffload;
use neuroloop_runtime::pipeline::Pipeline;
use neuroloop_runtime::policy::IntentPolicy;
use neuroloop_runtime::stats::PipelineStats;
use neuroloop_runtime::windowing::Windowing;

/// The stream and window geometry.
#[derive(Debug, Clone, Copy)]
pub struct Rig {
    pub channels: usize,
    /// Window length in samples.
    pub samples: usize,
    /// Samples per pushed block and per window step.
    pub hop: usize,
    pub fs: f64,
}

impl Rig {
    /// A small ShallowConvNet (`filters` temporal and spatial filters)
    /// trained briefly on synthetic motor imagery, saved as a bundle in
    /// `dir` and loaded back.
    pub fn bundle(&self, dir: &Path, filters: usize) -> Bundle {
        let (x, y) = MotorImagery::new(self.channels, self.samples, self.fs).generate(48, 3);
        let classes = vec!["left".to_string(), "right".to_string()];
        let epochs = EpochSet::new(self.channels, self.samples, self.fs, classes, x, y).unwrap();
        let spec = ModelSpec::with_spec(
            "shallow_convnet",
            &Hyperparameters::default()
                .with("n_filters_time", filters)
                .with("n_filters_spat", filters),
        )
        .unwrap();
        let options = FitOptions {
            seed: 1,
            max_epochs: 3,
            batch_size: 16,
            ..FitOptions::default()
        };
        let model = fit(&spec, &epochs, &options, &mut |_| {}).unwrap();
        let _ = std::fs::remove_dir_all(dir);
        let meta = BundleMeta {
            channels: (0..self.channels).map(|c| format!("C{c}")).collect(),
            ..BundleMeta::default()
        };
        model.save_bundle(dir, &meta).unwrap();
        Bundle::load(dir).unwrap()
    }

    /// A bare pipeline (no filters) decoding with `decoder`, on the device
    /// through `offload` if given; smoothing 1, so each intent is one
    /// window's.
    pub fn pipeline(
        &self,
        decoder: Box<dyn Decoder>,
        offload: Option<DeviceOffload>,
    ) -> (Pipeline, RingWriter, Receiver<Intent>) {
        let (writer, reader) = sample_ring(self.channels, 16 * self.samples.max(256));
        let (intent_tx, intents) = crossbeam_channel::bounded(4096);
        let spec = StreamSpec {
            name: "t".into(),
            channels: (0..self.channels)
                .map(|c| ChannelSpec::eeg(format!("C{c}")))
                .collect(),
            sample_rate: self.fs,
            block_size: self.hop,
        };
        let block = self.hop.max(256);
        let pipeline = Pipeline {
            reader,
            markers: None,
            block: SampleBlock::with_capacity(self.channels, block),
            artifacts: ArtifactConfig::default().build(&spec, block).unwrap(),
            chain: FilterChain::new(Vec::new()),
            windows: Windowing::Hop(
                WindowAssembler::new(self.channels, self.samples, self.hop).unwrap(),
            ),
            labels: LabelTimeline::new(16, 0.0),
            decoder: DecoderSlot::Ready(decoder),
            policy: IntentPolicy::new(2, 1, 0.55, 0.0),
            intents: intent_tx,
            stats: PipelineStats::default().into(),
            n_classes: 2,
            filtered: None,
            record: None,
            offload,
            stage_timing: true,
        };
        (pipeline, writer, intents)
    }

    /// A continuous signal: `trials` new synthetic motor-imagery trials
    /// (seed `seed`, not the training one) back to back, interleaved.
    pub fn signal(&self, trials: usize, seed: u64) -> Vec<f32> {
        let (ch, n) = (self.channels, self.samples);
        let (x, _) = MotorImagery::new(ch, n, self.fs).generate(trials, seed);
        let mut out = vec![0f32; trials * n * ch];
        for (t, trial) in x.chunks_exact(ch * n).enumerate() {
            for c in 0..ch {
                for s in 0..n {
                    out[(t * n + s) * ch + c] = trial[c * n + s];
                }
            }
        }
        out
    }

    /// How many whole hops `signal` holds.
    pub fn hops(&self, signal: &[f32]) -> usize {
        signal.len() / (self.hop * self.channels)
    }

    /// Pushes hop `h` of `signal` (sample times from 0 at `fs`).
    pub fn push_hop(&self, writer: &mut RingWriter, signal: &[f32], h: usize) {
        let (hop, ch) = (self.hop, self.channels);
        let data = &signal[h * hop * ch..(h + 1) * hop * ch];
        let times: Vec<f64> = (h * hop..(h + 1) * hop)
            .map(|n| n as f64 / self.fs)
            .collect();
        assert_eq!(writer.push(data, &times, clock::now()), 0, "ring full");
    }
}

impl Rig {
    /// A decoder that costs nothing (equal probabilities for two classes):
    /// what the pipeline's own work costs.
    pub fn constant(&self) -> Box<dyn Decoder> {
        Box::new(Constant {
            classes: vec!["left".into(), "right".into()],
            shape: (self.channels, self.samples),
        })
    }
}

/// Decodes nothing: equal probabilities.
struct Constant {
    classes: Vec<String>,
    shape: (usize, usize),
}

impl Decoder for Constant {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        self.shape
    }

    fn decode(&mut self, _: &Window<'_>, probabilities: &mut [f32]) -> Result<(), DecodeError> {
        probabilities.fill(0.5);
        Ok(())
    }
}

/// The calling thread's CPU time in nanoseconds: a step's CPU time leaves
/// out the time the thread was preempted.
pub fn thread_cpu_ns() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}
