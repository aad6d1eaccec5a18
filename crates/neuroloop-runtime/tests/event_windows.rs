//! Event-locked windows (`[pipeline] windows = "events"`): each cue of the
//! simulated headset locks one window at its offset, a live session
//! publishes exactly one decision per cue, calibrates on the cue windows,
//! saves a bundle that records the window mode, and a bundle session
//! decodes event-locked from it.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use neuroloop_core::{Marker, SampleBlock};
use neuroloop_decode::bundle::{Bundle, WindowDescription};
use neuroloop_runtime::config::WindowMode;
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_runtime::stats::PipelineStats;
use neuroloop_runtime::windowing::Windowing;
use neuroloop_runtime::{StartOptions, start};
use neuroloop_sources::sim::SimGenerator;
use serde_json::Value;

const FS: f64 = 250.0;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `configs/events-sim.toml`, not real-time, with `edit` applied, written
/// into `dir` as `name.toml`.
fn session(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("configs/events-sim.toml")).unwrap();
    let profile = repo().join("hardware-profiles/simulated.toml");
    let text = text
        .replace(
            r#"hardware_profile = "simulated""#,
            &format!("hardware_profile = {:?}", profile.display().to_string()),
        )
        .replace("realtime = true", "realtime = false");
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, edit(text)).unwrap();
    path
}

/// Runs `config` for `seconds` of samples with one client connected;
/// returns the intent and hold lines it read and the report.
fn run(config: &Path, seconds: f64) -> (Vec<Value>, neuroloop_runtime::SessionReport) {
    let cfg = neuroloop_runtime::load(config).unwrap();
    let session = start(
        cfg,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            sample_limit: Some((seconds * FS) as u64),
            wait_for_clients: 1,
            intent_tap: None,
            ..StartOptions::default()
        },
    )
    .unwrap();
    let stream = TcpStream::connect(session.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stream).lines() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap();
        match v["type"].as_str() {
            Some("bye") => break,
            Some("intent" | "hold") => lines.push(v),
            _ => {}
        }
    }
    (lines, session.finish().unwrap())
}

#[test]
fn each_cue_locks_one_window_at_its_offset() {
    let cfg = neuroloop_runtime::load(&repo().join("configs/events-sim.toml")).unwrap();
    let Some(sim) = cfg
        .source
        .downcast_ref::<neuroloop_sources::sim::SimConfig>()
    else {
        panic!("the event session runs the simulated headset");
    };
    let WindowMode::Events(locking) = &cfg.pipeline.windows.mode else {
        panic!("events-sim.toml cuts event windows");
    };
    let offset = locking.offset_s;
    let labels: Vec<&str> = cfg.pipeline.input.labels().collect();
    let channels = labels.len();
    let mut generator = SimGenerator::new(&labels, FS, sim.line_hz, &sim.paradigm, sim.seed);
    let mut windowing = Windowing::build(&cfg).unwrap();
    let mut timeline = LabelTimeline::new(16, 0.0);
    let stats = PipelineStats::default();
    let mut block = SampleBlock::with_capacity(channels, 50);
    let (mut cues, mut cut) = (Vec::new(), Vec::new());
    for b in 0..(40.0 * FS) as usize / 50 {
        let mut markers = Vec::new();
        let (values, times, arrivals) = block.buffers_mut();
        generator.fill(&mut values[..50 * channels], |index, code| {
            markers.push(Marker {
                time: index as f64 / FS,
                code,
            });
        });
        for i in 0..50 {
            times[i] = (b * 50 + i) as f64 / FS;
            arrivals[i] = times[i];
        }
        block.set_len(50);
        for m in markers {
            if m.code >= 0 {
                cues.push(m);
            }
            windowing.on_marker(m, &mut timeline, &stats);
        }
        windowing.push_block(&block, |w, c| {
            cut.push((w.oldest_time, w.newest_time, w.samples, c.class));
        });
    }
    // Cues at 1 s, 5 s, … 37 s: every window ends before 40 s.
    assert_eq!(cues.len(), 10);
    assert_eq!(cut.len(), cues.len(), "one window per cue, no fixed hop");
    for (m, (oldest, newest, samples, class)) in cues.iter().zip(&cut) {
        assert!(
            (oldest - (m.time + offset)).abs() <= 1.0 / FS,
            "window starts at {oldest}, cue at {} + {offset}",
            m.time
        );
        assert_eq!(*samples, cfg.pipeline.windows.window_samples);
        assert!((newest - oldest - (*samples - 1) as f64 / FS).abs() < 1e-9);
        assert_eq!(*class, usize::try_from(m.code).ok());
    }
    let events = stats.events.snapshot();
    assert_eq!(events.markers, 10);
    assert_eq!(windowing.counts().unwrap().locked, 10);
}

#[test]
fn a_session_decides_once_per_cue_calibrates_on_cue_windows_and_saves_its_windows() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("event-session");
    let _ = std::fs::remove_dir_all(&dir);
    let config = session(&dir, "calibrate", |t| {
        t.replace(
            "calibration_s = 60.0",
            "calibration_s = 40.0\nsave_bundle = \"saved\"",
        )
    });
    // Cues every 4 s from 1 s; 120 s end in the rest after the 30th cue's
    // window, so no cue is left pending.
    let (lines, report) = run(&config, 120.0);
    let events = report.pipeline.events;
    let cues = report.source.markers.div_ceil(2); // each cue, then its rest
    assert_eq!(events.markers, cues, "every cue selected (left and right)");
    assert_eq!((events.missed, events.overflowed), (0, 0));
    assert_eq!(events.locked, events.markers);
    assert_eq!(
        report.pipeline.windows, events.locked,
        "no fixed-hop windows"
    );
    assert_eq!(report.pipeline.intents, events.locked);
    assert_eq!(lines.len() as u64, events.locked, "one decision per cue");
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["pipeline"]["events"]["locked"], events.locked);
    assert_eq!(json["pipeline"]["events"]["missed"], 0);
    assert_eq!(json["pipeline"]["events"]["overflowed"], 0);
    for pair in lines.windows(2) {
        let spacing =
            pair[1]["t"]["sample"].as_f64().unwrap() - pair[0]["t"]["sample"].as_f64().unwrap();
        assert!(
            (spacing - 4.0).abs() <= 1.0 / FS,
            "decisions {spacing} s apart"
        );
    }
    // Calibration: the cue windows of the first 40 s (cues at 1 … 37 s),
    // each labelled with its cue's class.
    let training = report.training.as_ref().unwrap();
    assert!(training.error.is_none(), "{training:?}");
    assert_eq!(training.windows, 10);
    assert_eq!(report.pipeline.calibration_windows, 10);
    let calibrating = lines
        .iter()
        .filter(|v| v["hold_reason"] == "calibrating")
        .count();
    // The 11th cue's window ends calibration; the session is not live, so
    // it waits for the decoder and decodes that window already.
    assert_eq!(calibrating, 10);
    assert_eq!(report.pipeline.decoded, events.locked - 10);
    assert_eq!(report.pipeline.labelled, report.pipeline.decoded);
    let accuracy = report.online_accuracy.unwrap();
    assert!(accuracy >= 0.75, "online accuracy {accuracy} on 20 cues");

    let bundle = Bundle::load(dir.join("saved")).unwrap();
    assert_eq!(
        bundle.manifest().windows,
        WindowDescription::Events { offset_s: 0.5 }
    );
    assert_eq!(bundle.manifest().window_samples, 500);

    // A bundle session takes offset and length from the bundle.
    let loading = session(&dir, "load", |t| {
        let t = t
            .replace("event_offset_s = 0.5\n", "")
            .replace("event_length_s = 2.0\n", "")
            .replace("seed = 7", "seed = 29");
        let at = t.find("[decoder]").unwrap();
        let end = t.find("[policy]").unwrap();
        format!(
            "{}[decoder]\ntype = \"bundle\"\npath = \"saved\"\n\n{}",
            &t[..at],
            &t[end..]
        )
    });
    let cfg = neuroloop_runtime::load(&loading).unwrap();
    assert_eq!(cfg.pipeline.windows.window_samples, 500);
    assert!(matches!(&cfg.pipeline.windows.mode, WindowMode::Events(e) if e.offset_s == 0.5));
    // With no window key at all it decodes event-locked too.
    let bare = session(&dir, "bare", |_| {
        std::fs::read_to_string(&loading)
            .unwrap()
            .replace("windows = \"events\"\n", "")
            .replace("event_markers = [\"left\", \"right\"]\n", "")
    });
    let cfg = neuroloop_runtime::load(&bare).unwrap();
    assert_eq!(cfg.pipeline.windows.window_samples, 500);
    assert!(
        matches!(&cfg.pipeline.windows.mode, WindowMode::Events(e) if e.offset_s == 0.5 && e.classes.is_empty())
    );
    let (lines, report) = run(&loading, 40.0);
    assert_eq!(report.pipeline.calibration_windows, 0);
    assert_eq!(report.pipeline.events.locked, 10);
    assert_eq!(report.pipeline.decoded, 10, "decoded from the first cue");
    assert_eq!(lines.len(), 10);

    // A session whose event windows start elsewhere refuses it too.
    let shifted = session(&dir, "shifted", |_| {
        std::fs::read_to_string(&loading).unwrap().replace(
            "windows = \"events\"\n",
            "windows = \"events\"\nevent_offset_s = 0.3\n",
        )
    });
    let errors = neuroloop_runtime::load(&shifted).unwrap_err();
    assert!(
        errors.iter().any(|e| e.path.starts_with("decoder.path")
            && e.message
                .contains("0.5 s after each event, the session's 0.3 s")),
        "{errors:?}"
    );

    // A session at a fixed hop refuses the event-locked bundle.
    let hop = session(&dir, "hop", |t| {
        let t = t
            .replace("windows = \"events\"\n", "window_s = 2.0\nhop_s = 0.1\n")
            .replace("event_offset_s = 0.5\n", "")
            .replace("event_length_s = 2.0\n", "")
            .replace("event_markers = [\"left\", \"right\"]\n", "");
        let at = t.find("[decoder]").unwrap();
        let end = t.find("[policy]").unwrap();
        format!(
            "{}[decoder]\ntype = \"bundle\"\npath = \"saved\"\n\n{}",
            &t[..at],
            &t[end..]
        )
    });
    let errors = neuroloop_runtime::load(&hop).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.path.starts_with("decoder.path")
                && e.message.contains("event-locked windows")),
        "{errors:?}"
    );
}

#[test]
fn event_window_keys_are_checked_with_their_paths() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("event-config");
    let cases: [(&str, &str, &str); 9] = [
        (
            "event_offset_s = 0.5",
            "event_offset_s = 1e9",
            "pipeline.event_offset_s",
        ),
        (
            "event_offset_s = 0.5",
            "event_offset_s = nan",
            "pipeline.event_offset_s",
        ),
        ("event_offset_s = 0.5\n", "", "pipeline.event_offset_s"),
        (
            "event_length_s = 2.0",
            "event_length_s = 0.0",
            "pipeline.event_length_s",
        ),
        (
            "event_length_s = 2.0",
            "event_length_s = 1e300",
            "pipeline.event_length_s",
        ),
        (
            r#"["left", "right"]"#,
            r#"["left", "up"]"#,
            "pipeline.event_markers[1]",
        ),
        (
            r#"["left", "right"]"#,
            r#"["left", "left"]"#,
            "pipeline.event_markers[1]",
        ),
        (
            r#"windows = "events""#,
            r#"windows = "epochs""#,
            "pipeline.windows",
        ),
        (
            r#"windows = "events""#,
            "windows = \"events\"\nhop_s = 0.1",
            "pipeline.hop_s",
        ),
    ];
    for (i, (from, to, path)) in cases.into_iter().enumerate() {
        let config = session(&dir, &format!("case{i}"), |t| {
            assert!(t.contains(from));
            t.replacen(from, to, 1)
        });
        let errors = neuroloop_runtime::load(&config).unwrap_err();
        assert!(
            errors.iter().any(|e| e.path == path),
            "{from:?} -> {to:?}: {errors:?}"
        );
    }
    let hop = session(&dir, "hop-with-offset", |t| {
        t.replace("windows = \"events\"", "window_s = 1.0\nhop_s = 0.1")
    });
    let errors = neuroloop_runtime::load(&hop).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.path == "pipeline.event_offset_s" && e.message.contains("events")),
        "{errors:?}"
    );
}
