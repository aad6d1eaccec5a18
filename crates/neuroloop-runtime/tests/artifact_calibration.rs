//! Windows touching an artifact are never collected for calibration: the
//! real pipeline step over a labelled signal with 10 railed samples.

use neuroloop_core::markers::marker_ring;
use neuroloop_core::ring::sample_ring;
use neuroloop_core::{ChannelSpec, HoldReason, Marker, SampleBlock, StreamSpec, clock};
use neuroloop_dsp::{ArtifactConfig, FilterChain, WindowAssembler};
use neuroloop_runtime::decoding::{CalibrationSet, DecoderSlot};
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::pipeline::{Pipeline, Step};
use neuroloop_runtime::policy::IntentPolicy;
use neuroloop_runtime::stats::PipelineStats;

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
        assembler: WindowAssembler::new(CH, 50, 10).unwrap(),
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
