//! `[source] type = "replay"` on a real recording (PhysioNet S001R04, EDF+):
//! every sample of the file reaches the pipeline (back-pressure, never an
//! overflow, even through the smallest ring), the session ends by itself
//! when the file ends, and the realtime and fast paces decode the same
//! windows into bit-identical intents. Realtime on the whole 125 s file
//! would be long: the pace comparison replays a cut of its first 12 s
//! (the file's first 12 data records, header rewritten), the loss-free
//! check the whole file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use neuroloop_core::Intent;
use neuroloop_decode::bundle::BundleMeta;
use neuroloop_decode::fit::{FitOptions, ModelSpec, fit};
use neuroloop_offline::{EpochOptions, EventMap, cut_epochs_from_files, parse_filters};
use neuroloop_runtime::{SessionReport, StartOptions, parse, start};

const CHANNELS: &str = r#"["Fc3.", "Fcz.", "Fc4.", "C5..", "C3..", "C1..", "Cz..", "C2..", "C4..", "C6..", "Cp3.", "Cpz.", "Cp4."]"#;

fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/physionet-eegmmidb")
        .join(file)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuroloop-replay-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The first `records` data records of an EDF(+) file, with the header's
/// record count rewritten.
fn cut_edf(from: &Path, records: usize, to: &Path) {
    let bytes = std::fs::read(from).unwrap();
    let field = |at: usize, len: usize| -> usize {
        std::str::from_utf8(&bytes[at..at + len])
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let header = field(184, 8);
    let signals = field(252, 4);
    let spr_at = 256 + signals * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80);
    let record: usize = (0..signals).map(|s| field(spr_at + 8 * s, 8) * 2).sum();
    let mut out = bytes[..header + records * record].to_vec();
    out[236..244].copy_from_slice(format!("{records:<8}").as_bytes());
    std::fs::write(to, out).unwrap();
}

/// A csp_lda bundle fitted on S001R08 (left vs right fist imagery).
fn bundle(dir: &Path) -> PathBuf {
    let channels: Vec<String> = toml::from_str::<toml::Table>(&format!("c = {CHANNELS}")).unwrap()
        ["c"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let options = EpochOptions {
        events: EventMap::parse("T1=left,T2=right").unwrap(),
        tmin: 0.5,
        tmax: 2.5,
        channels: Some(channels.clone()),
    };
    let chain = parse_filters("bandpass 8-30").unwrap();
    let cut = cut_epochs_from_files(&[data("S001R08.edf")], &options, &chain).unwrap();
    let spec = ModelSpec::with_hyperparameters("csp_lda", serde_json::Map::new()).unwrap();
    let model = fit(&spec, &cut.epochs, &FitOptions::default(), &mut |_| {}).unwrap();
    let out = dir.join("bundle");
    let filter =
        serde_json::json!({"type": "bandpass", "low_hz": 8.0, "high_hz": 30.0, "order": 4});
    let meta = BundleMeta {
        channels,
        filters: vec![filter],
        source: Some("S001R08".into()),
        ..BundleMeta::default()
    };
    model.save_bundle(&out, &meta).unwrap();
    out
}

fn config(recording: &Path, pace: &str, bundle: &Path, ring_s: f64) -> String {
    format!(
        r#"
[session]
name = "replay-{pace}"
ring_s = {ring_s:?}

[source]
type = "replay"
path = {path:?}
pace = "{pace}"
channels = {CHANNELS}
classes = ["left", "right"]
events = {{ T1 = "left", T2 = "right" }}

[pipeline]
filters = [{{ type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 }}]
window_s = 2.0
hop_s = 0.25

[decoder]
type = "bundle"
path = {bundle:?}

[policy]
smoothing = 1
threshold = 0.55

[publish]
tcp = "127.0.0.1:0"
"#,
        path = recording.display().to_string(),
        bundle = bundle.display().to_string(),
    )
}

/// Runs the session to the end of its recording; its intents and report.
fn play(text: &str, dir: &Path, limit: Duration) -> (Vec<Intent>, SessionReport) {
    let cfg = parse(text, &dir.join("replay.toml")).unwrap_or_else(|e| panic!("{e:?}"));
    let (tap, intents) = crossbeam_channel::unbounded();
    let options = StartOptions {
        intent_tap: Some(tap),
        ..StartOptions::default()
    };
    let session = start(cfg, options).unwrap();
    let deadline = Instant::now() + limit;
    while !session.source_finished() {
        assert!(
            Instant::now() < deadline,
            "the replay did not end by itself"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let report = session.finish().unwrap();
    (intents.try_iter().collect(), report)
}

#[test]
fn fast_replay_plays_every_sample_of_the_file_through_the_smallest_ring() {
    let dir = scratch("fast");
    let bundle = bundle(&dir);
    let file = data("S001R04.edf");
    let rec = neuroloop_formats::read_recording(&file).unwrap();
    let (intents, report) = play(
        &config(&file, "fast", &bundle, 2.0),
        &dir,
        Duration::from_secs(120),
    );
    assert_eq!(
        report.samples_produced, rec.n_samples as u64,
        "report vs file"
    );
    assert_eq!(
        report.pipeline.samples, rec.n_samples as u64,
        "pipeline vs file"
    );
    assert_eq!(report.ring_overflows, 0);
    assert_eq!(report.ring_dropped, 0);
    assert_eq!(report.source_error, None);
    // 2 s windows every 0.25 s over 20000 samples: (20000 - 320) / 40 + 1.
    assert_eq!(intents.len(), 493);
    assert_eq!(report.pipeline.intents_dropped, 0);
    // The cues reached the pipeline: its windows were labelled and scored.
    let labelled = report.pipeline.labelled;
    assert!(labelled > 50, "{labelled} labelled windows");
    // Each T1/T2 annotation is an onset and an end: 15 of each in R04.
    assert_eq!(report.source.markers, 30);
}

#[test]
fn realtime_and_fast_pace_give_bit_identical_intents() {
    let dir = scratch("paces");
    let bundle = bundle(&dir);
    let cut = dir.join("S001R04-first-12s.edf");
    cut_edf(&data("S001R04.edf"), 12, &cut);
    let started = Instant::now();
    let (realtime, rt_report) = play(
        &config(&cut, "realtime", &bundle, 4.0),
        &dir,
        Duration::from_secs(60),
    );
    let took = started.elapsed().as_secs_f64();
    assert!(took > 11.0, "realtime pace played 12 s in {took:.1} s");
    let (fast, fast_report) = play(
        &config(&cut, "fast", &bundle, 4.0),
        &dir,
        Duration::from_secs(60),
    );
    assert_eq!(rt_report.samples_produced, 12 * 160);
    assert_eq!(fast_report.samples_produced, 12 * 160);
    // (1920 - 320) / 40 + 1 windows, every one decoded.
    assert_eq!(realtime.len(), 41);
    assert_eq!(fast.len(), realtime.len());
    let mut classes = [0usize; 2];
    for (r, f) in realtime.iter().zip(&fast) {
        assert_eq!(r.window, f.window);
        assert_eq!(
            (r.kind, r.hold_reason, r.class),
            (f.kind, f.hold_reason, f.class),
            "window {}",
            r.window
        );
        let bits = |i: &Intent| {
            i.probabilities()
                .iter()
                .map(|p| p.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(r), bits(f), "window {}", r.window);
        assert!(r.confidence > 0.0, "window {} was not decoded", r.window);
        classes[usize::from(r.class)] += 1;
    }
    // Not a constant output: both classes are decoded somewhere.
    assert!(classes[0] > 0 && classes[1] > 0, "{classes:?}");
}
