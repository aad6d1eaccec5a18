//! The real pipeline step: windows touching an artifact are held and never
//! collected for calibration (a labelled signal with 10 railed samples), and
//! a decoder output that is not a probability distribution is a
//! `decoder_error` hold, counted, as is a decoder that returns an error; an
//! intent that finds the publisher's queue full is dropped and counted.

use neuroloop_core::markers::marker_ring;
use neuroloop_core::ring::sample_ring;
use neuroloop_core::{ChannelSpec, HoldReason, Marker, SampleBlock, StreamSpec, clock};
use neuroloop_dsp::{ArtifactConfig, FilterChain, WindowAssembler};
use neuroloop_runtime::decoding::{CalibrationSet, DecoderSlot};
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::pipeline::{Pipeline, Step};
use neuroloop_runtime::policy::IntentPolicy;
use neuroloop_runtime::stats::PipelineStats;
use neuroloop_runtime::windowing::Windowing;

const CH: usize = 2;
const FS: f64 = 250.0;

#[test]
fn artifact_windows_are_held_and_never_collected() {
    let spec = StreamSpec {
        name: "t".into(),
        channels: ["C3", "C4"].map(ChannelSpec::eeg).to_vec(),
        sample_rate: FS,
        block_size: 10,
    };
    let (mut writer, reader) = sample_ring(CH, 1024);
    let (mut markers, marker_reader) = marker_ring(16);
    let (intent_tx, intents) = crossbeam_channel::bounded(1024);
    let (calib_tx, _calib_rx) = crossbeam_channel::bounded(1);
    let (_decoder_tx, decoder_rx) = crossbeam_channel::bounded(1);
    let mut pipeline = Pipeline {
        reader,
        markers: Some(marker_reader),
        block: SampleBlock::with_capacity(CH, 256),
        artifacts: ArtifactConfig {
            settle_s: 0.1,
            ..ArtifactConfig::default()
        }
        .with_physical_range(Some((-1000.0, 1000.0)))
        .build(&spec, 256)
        .unwrap(),
        chain: FilterChain::new(Vec::new()),
        windows: Windowing::Hop(WindowAssembler::new(CH, 50, 10).unwrap()),
        labels: LabelTimeline::new(16, 0.0),
        decoder: DecoderSlot::calibrating(
            CalibrationSet::with_capacity(64, CH * 50),
            1000.0,
            calib_tx,
            decoder_rx,
            false,
        ),
        policy: IntentPolicy::new(2, 1, 0.5, 0.0),
        intents: intent_tx,
        stats: PipelineStats::default().into(),
        n_classes: 2,
        filtered: None,
        record: None,
        offload: None,
        stage_timing: true,
    };
    // Class 1 from the start; samples 100..110 of C3 railed.
    markers.push(Marker { time: 0.0, code: 1 });
    let mut data = Vec::new();
    let mut times = Vec::new();
    for s in 0..300 {
        let x = 20.0 * (s as f32 * 0.3).sin();
        let c3 = if (100..110).contains(&s) { -1e30 } else { x };
        data.extend([c3, x * 0.5]);
        times.push(s as f64 / FS);
    }
    assert_eq!(writer.push(&data, &times, clock::now()), 0);
    while let Step::Worked(_) = pipeline.step() {}

    // Windows k cover samples 10k..10k+49: 6..=10 touch 100..110, and
    // 11..=13 begin within the 0.1 s (25 samples) of settling after it.
    let holds: Vec<(u64, HoldReason)> = intents
        .try_iter()
        .map(|i| (i.window, i.hold_reason))
        .collect();
    assert_eq!(holds.len(), 26);
    for (k, reason) in &holds {
        let expected = if (6..=13).contains(k) {
            HoldReason::Artifact
        } else {
            HoldReason::Calibrating
        };
        assert_eq!(*reason, expected, "window {k}");
    }
    let stats = pipeline.stats.snapshot();
    assert_eq!(stats.calibration_windows, 18, "{stats:?}");
    let artifacts = pipeline.stats.artifact.snapshot();
    assert_eq!((artifacts.samples.rail, artifacts.held_windows), (10, 8));
    let DecoderSlot::Calibrating { set, .. } = &pipeline.decoder else {
        panic!("still calibrating");
    };
    assert_eq!(set.len(), 18);
    assert!(set.labels.iter().all(|&l| l == 1));
    assert!(
        set.windows.iter().all(|v| v.abs() <= 20.0),
        "no railed value"
    );
}

/// A decoder that answers with the next of a fixed list of outputs.
struct Scripted {
    classes: Vec<String>,
    outputs: Vec<[f32; 2]>,
    next: usize,
}

impl neuroloop_decode::Decoder for Scripted {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        (CH, 50)
    }

    fn decode(
        &mut self,
        _window: &neuroloop_core::Window<'_>,
        probabilities: &mut [f32],
    ) -> Result<(), neuroloop_decode::DecodeError> {
        probabilities.copy_from_slice(&self.outputs[self.next % self.outputs.len()]);
        self.next += 1;
        Ok(())
    }
}

#[test]
fn a_decoder_output_that_is_not_a_distribution_is_a_decoder_error_hold() {
    let spec = StreamSpec {
        name: "t".into(),
        channels: ["C3", "C4"].map(ChannelSpec::eeg).to_vec(),
        sample_rate: FS,
        block_size: 10,
    };
    let (mut writer, reader) = sample_ring(CH, 1024);
    let (intent_tx, intents) = crossbeam_channel::bounded(1024);
    let decoder = Scripted {
        classes: vec!["left".into(), "right".into()],
        outputs: vec![
            [0.9, 0.1],
            [f32::NAN, 0.5],
            [0.6, 0.6],
            [1e30, -1e30],
            [f32::INFINITY, 0.0],
            [0.2, 0.8],
        ],
        next: 0,
    };
    let mut pipeline = Pipeline {
        reader,
        markers: None,
        block: SampleBlock::with_capacity(CH, 256),
        artifacts: ArtifactConfig::default().build(&spec, 256).unwrap(),
        chain: FilterChain::new(Vec::new()),
        windows: Windowing::Hop(WindowAssembler::new(CH, 50, 10).unwrap()),
        labels: LabelTimeline::new(16, 0.0),
        decoder: DecoderSlot::Ready(Box::new(decoder)),
        policy: IntentPolicy::new(2, 1, 0.5, 0.0),
        intents: intent_tx,
        stats: PipelineStats::default().into(),
        n_classes: 2,
        filtered: None,
        record: None,
        offload: None,
        stage_timing: true,
    };
    let data: Vec<f32> = (0..200).map(|v| (v as f32 * 0.7).sin()).collect();
    let times: Vec<f64> = (0..100).map(|s| s as f64 / FS).collect();
    assert_eq!(writer.push(&data, &times, clock::now()), 0);
    while let Step::Worked(_) = pipeline.step() {}

    let got: Vec<_> = intents.try_iter().collect();
    let reasons: Vec<HoldReason> = got.iter().map(|i| i.hold_reason).collect();
    assert_eq!(
        reasons,
        [
            HoldReason::None,
            HoldReason::DecoderError,
            HoldReason::DecoderError,
            HoldReason::DecoderError,
            HoldReason::DecoderError,
            HoldReason::None,
        ]
    );
    assert_eq!(got[5].class, 1, "decoding goes on after the bad outputs");
    assert!(
        got.iter().all(|i| i.confidence.is_finite()
            && (0.0..=1.0).contains(&i.confidence)
            && i.probabilities().iter().all(|p| (0.0..=1.0).contains(p))),
        "{got:?}"
    );
    let artifacts = pipeline.stats.artifact.snapshot();
    assert_eq!(artifacts.decoder_rejections, 4);
    assert_eq!(pipeline.stats.snapshot().decoded, 2);
}

/// A pipeline over a fresh ring with `decoder` ready and an intent queue
/// of `queue`, fed 100 samples of 2 channels (6 windows of 50, hop 10)
/// and stepped until idle; returns it with the intent receiver.
fn run_ready(
    decoder: impl neuroloop_decode::Decoder + 'static,
    queue: usize,
) -> (
    Pipeline,
    crossbeam_channel::Receiver<neuroloop_core::Intent>,
) {
    let spec = StreamSpec {
        name: "t".into(),
        channels: ["C3", "C4"].map(ChannelSpec::eeg).to_vec(),
        sample_rate: FS,
        block_size: 10,
    };
    let (mut writer, reader) = sample_ring(CH, 1024);
    let (intent_tx, intents) = crossbeam_channel::bounded(queue);
    let mut pipeline = Pipeline {
        reader,
        markers: None,
        block: SampleBlock::with_capacity(CH, 256),
        artifacts: ArtifactConfig::default().build(&spec, 256).unwrap(),
        chain: FilterChain::new(Vec::new()),
        windows: Windowing::Hop(WindowAssembler::new(CH, 50, 10).unwrap()),
        labels: LabelTimeline::new(16, 0.0),
        decoder: DecoderSlot::Ready(Box::new(decoder)),
        policy: IntentPolicy::new(2, 1, 0.5, 0.0),
        intents: intent_tx,
        stats: PipelineStats::default().into(),
        n_classes: 2,
        filtered: None,
        record: None,
        offload: None,
        stage_timing: true,
    };
    let data: Vec<f32> = (0..200).map(|v| (v as f32 * 0.7).sin()).collect();
    let times: Vec<f64> = (0..100).map(|s| s as f64 / FS).collect();
    assert_eq!(writer.push(&data, &times, clock::now()), 0);
    while let Step::Worked(_) = pipeline.step() {}
    (pipeline, intents)
}

#[test]
fn intents_that_find_the_publisher_queue_full_are_dropped_and_counted() {
    // Room for two intents, and nobody takes them out.
    let decoder = Scripted {
        classes: vec!["left".into(), "right".into()],
        outputs: vec![[0.9, 0.1], [0.2, 0.8]],
        next: 0,
    };
    let (pipeline, intents) = run_ready(decoder, 2);
    let kept: Vec<u64> = intents.try_iter().map(|i| i.window).collect();
    assert_eq!(kept, [0, 1], "the first two fit the queue");
    let stats = pipeline.stats.snapshot();
    assert_eq!(stats.decoded, 6, "every window was decoded: {stats:?}");
    assert_eq!(
        (stats.intents, stats.intents_dropped),
        (2, 4),
        "sent and dropped: {stats:?}"
    );
}

/// A decoder that fails on the windows it is told to (by call number).
struct FailsOn {
    classes: Vec<String>,
    fail: Vec<usize>,
    next: usize,
}

impl neuroloop_decode::Decoder for FailsOn {
    fn classes(&self) -> &[String] {
        &self.classes
    }

    fn input_shape(&self) -> (usize, usize) {
        (CH, 50)
    }

    fn decode(
        &mut self,
        _window: &neuroloop_core::Window<'_>,
        probabilities: &mut [f32],
    ) -> Result<(), neuroloop_decode::DecodeError> {
        let call = self.next;
        self.next += 1;
        if self.fail.contains(&call) {
            return Err(neuroloop_decode::DecodeError::WindowShape {
                expected_channels: CH,
                expected_samples: 50,
                channels: CH,
                samples: 49,
                len: CH * 49,
            });
        }
        probabilities.copy_from_slice(&[0.1, 0.9]);
        Ok(())
    }
}

#[test]
fn a_decode_error_is_a_decoder_error_hold_counted_and_decoding_goes_on() {
    let decoder = FailsOn {
        classes: vec!["left".into(), "right".into()],
        fail: vec![1, 3],
        next: 0,
    };
    let (pipeline, intents) = run_ready(decoder, 1024);
    let reasons: Vec<HoldReason> = intents.try_iter().map(|i| i.hold_reason).collect();
    assert_eq!(
        reasons,
        [
            HoldReason::None,
            HoldReason::DecoderError,
            HoldReason::None,
            HoldReason::DecoderError,
            HoldReason::None,
            HoldReason::None,
        ]
    );
    let stats = pipeline.stats.snapshot();
    assert_eq!((stats.decode_errors, stats.decoded), (2, 4), "{stats:?}");
    assert_eq!(pipeline.stats.artifact.snapshot().decoder_rejections, 0);
}
