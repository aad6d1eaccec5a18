//! `[record]`: a session records itself to XDF. A fast simulated session
//! (60 s calibration, 30 s decoding) is read back with the crate's XDF
//! reader and with pyxdf: the input stream holds exactly the samples the
//! simulator makes (regenerated here with the same seed), its cue markers
//! as class names, every published intent and hold as its JSON, one
//! probability sample per decoded window, and footers that count them. A
//! recording to a full disk (/dev/full) fails and says so while the
//! session decides every window as usual; a file that cannot be created
//! stops the start, and the error names it.

use std::path::{Path, PathBuf};

use neuroloop_formats::xdf::{XdfOptions, read_xdf};
use neuroloop_runtime::{SessionReport, StartOptions, start};
use neuroloop_sources::sim::{SimConfig, SimGenerator};

const SAMPLES: u64 = 90 * 250;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo session, not real time, recording to `path`.
fn session(dir: &Path, path: &str, overwrite: bool) -> neuroloop_runtime::ValidatedSession {
    let text = std::fs::read_to_string(repo().join("configs/demo.toml"))
        .unwrap()
        .replace("realtime = true", "realtime = false")
        .replace(
            "hardware_profile = \"simulated\"",
            &format!(
                "hardware_profile = {:?}",
                repo()
                    .join("hardware-profiles/simulated.toml")
                    .display()
                    .to_string()
            ),
        );
    let text = format!("{text}\n[record]\npath = {path:?}\noverwrite = {overwrite}\n");
    neuroloop_runtime::parse(&text, &dir.join("session.toml")).unwrap()
}

fn run(cfg: neuroloop_runtime::ValidatedSession) -> SessionReport {
    let options = StartOptions {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        sample_limit: Some(SAMPLES),
        ..StartOptions::default()
    };
    let running = start(cfg, options).unwrap();
    while !running.source_finished() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    running.finish().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuroloop-record-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_session_records_its_input_markers_intents_and_outputs() {
    let dir = scratch("session");
    let cfg = session(&dir, "demo.xdf", false);
    let sim = cfg.source.downcast_ref::<SimConfig>().unwrap().clone();
    let labels: Vec<String> = cfg.pipeline.input.labels().map(str::to_owned).collect();
    let report = run(cfg);
    let record = report.record.clone().expect("recorded");
    assert_eq!(record.error, None);
    assert_eq!(record.samples, SAMPLES, "{record:?}");
    assert_eq!(
        (
            record.samples_dropped,
            record.markers_dropped,
            record.intents_dropped
        ),
        (0, 0, 0)
    );
    assert_eq!(record.markers, report.source.markers);
    assert_eq!(record.intents, report.pipeline.intents, "{record:?}");

    let file = read_xdf(dir.join("demo.xdf"), &XdfOptions::raw()).unwrap();
    assert!(!file.truncated && file.damaged.is_empty());
    let [input, cues, intents, outputs] = &file.streams[..] else {
        panic!(
            "four streams: {:?}",
            file.streams
                .iter()
                .map(|s| &s.info.name)
                .collect::<Vec<_>>()
        );
    };
    // The input: exactly the simulator's samples, labelled as the profile.
    assert_eq!(input.info.labels, labels);
    assert_eq!(input.info.nominal_srate, 250.0);
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let mut generator = SimGenerator::new(&refs, 250.0, sim.line_hz, &sim.paradigm, sim.seed);
    let mut expected = vec![0f32; SAMPLES as usize * labels.len()];
    let mut events = Vec::new();
    generator.fill(&mut expected, |index, code| events.push((index, code)));
    let expected: Vec<f64> = expected.iter().map(|&v| f64::from(v)).collect();
    assert!(
        input.samples.values == expected,
        "recorded input differs from the simulator's"
    );
    let stamps = &input.samples.time_stamps;
    assert!(
        stamps
            .windows(2)
            .all(|w| ((w[1] - w[0]) * 250.0 - 1.0).abs() < 1e-6)
    );
    // Cues: one per simulator event, as class names or `rest`.
    let names: Vec<&str> = events
        .iter()
        .map(|&(_, code)| match code {
            0 => "left",
            1 => "right",
            _ => "rest",
        })
        .collect();
    assert_eq!(cues.samples.strings, names);
    // Intents: every line, as JSON; outputs: one per decoded window.
    assert_eq!(intents.len() as u64, report.pipeline.intents);
    let decided = intents
        .samples
        .strings
        .iter()
        .filter(|l| l.contains("\"probabilities\""))
        .count();
    assert_eq!(outputs.len(), decided);
    assert_eq!(
        outputs.len() as u64,
        report.pipeline.decoded,
        "{:?}",
        report.pipeline
    );
    assert_eq!(outputs.info.labels, ["left", "right"]);
    assert!(
        outputs
            .samples
            .values
            .chunks(2)
            .all(|p| (p[0] + p[1] - 1.0).abs() < 1e-5)
    );
    for stream in &file.streams {
        let footer = stream
            .footer
            .as_deref()
            .expect("a clean stop writes footers");
        assert!(
            footer.contains(&format!("<sample_count>{}</sample_count>", stream.len())),
            "{footer}"
        );
    }

    // pyxdf reads the same counts.
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/setup-python.sh: pyxdf reads what sessions record"
    );
    let script = "import sys,pyxdf\n\
        streams, _ = pyxdf.load_xdf(sys.argv[1])\n\
        print(' '.join(str(len(s['time_stamps'])) for s in sorted(streams, key=lambda s: s['info']['stream_id'])))";
    let out = std::process::Command::new(python)
        .args(["-c", script, dir.join("demo.xdf").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = format!(
        "{} {} {} {}",
        input.len(),
        cues.len(),
        intents.len(),
        outputs.len()
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), counts);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_recorder_gets_every_intent_where_a_broadcast_receiver_would_lag() {
    // A one-line broadcast: a receiver that is not waiting when the next
    // line is published loses one. The recorder has its own queue.
    let dir = scratch("queue");
    let text = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    assert!(text.contains("queue = 64"), "the demo sets publish.queue");
    let mut cfg = session(&dir, "demo.xdf", false);
    cfg.publish.queue = 1;
    let report = run(cfg);
    let record = report.record.clone().expect("recorded");
    assert_eq!(record.error, None);
    assert!(report.pipeline.intents > 500, "{:?}", report.pipeline);
    assert_eq!(record.intents_dropped, 0, "{record:?}");
    assert_eq!(record.intents, report.pipeline.intents, "{record:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_full_disk_ends_the_recording_not_the_session() {
    let dir = scratch("full");
    let with = run(session(&dir, "/dev/full", true));
    let record = with.record.clone().unwrap();
    let error = record.error.expect("the write fails");
    assert!(
        error.contains("/dev/full") && error.contains("No space left"),
        "{error}"
    );
    // The session decided exactly what it decides without a recording.
    let mut cfg = session(&dir, "unused.xdf", false);
    cfg.record = None;
    let without = run(cfg);
    assert_eq!(with.pipeline.decoded, without.pipeline.decoded);
    assert_eq!(with.pipeline.intents, without.pipeline.intents);
    assert_eq!(with.samples_produced, SAMPLES);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_that_cannot_be_created_stops_the_start_and_is_named() {
    // /proc exists, so validation passes; no file can be created in it.
    let dir = scratch("create");
    let cfg = session(&dir, "/proc/neuroloop-record.xdf", false);
    let options = StartOptions {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        sample_limit: Some(SAMPLES),
        ..StartOptions::default()
    };
    let error = start(cfg, options)
        .err()
        .expect("the file cannot be created");
    assert!(
        error.to_string().contains("/proc/neuroloop-record.xdf"),
        "{error}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn record_keys_are_checked() {
    let dir = scratch("keys");
    std::fs::write(dir.join("taken.xdf"), b"").unwrap();
    let text = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    let check = |record: &str| {
        let text = format!("{text}\n[record]\n{record}\n");
        neuroloop_runtime::parse(&text, &repo().join("configs/demo.toml")).unwrap_err()
    };
    let taken = dir.join("taken.xdf").display().to_string();
    let errors = check(&format!("path = {taken:?}"));
    assert!(
        errors
            .iter()
            .any(|e| e.path == "record.path" && e.message.contains("overwrite")),
        "{errors:?}"
    );
    let errors = check("path = \"no/such/dir/x.xdf\"\nflush_s = 0");
    assert!(
        errors
            .iter()
            .any(|e| e.path == "record.path" && e.message.contains("does not exist")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.path == "record.flush_s"),
        "{errors:?}"
    );
    let errors = check("path = \"x.xdf\"\nformat = \"edf\"");
    assert!(
        errors
            .iter()
            .any(|e| e.path.starts_with("record") && e.message.contains("format")),
        "{errors:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn each_input_sample_is_recorded_without_the_offset_its_source_added_across_gaps() {
    use neuroloop_core::clock_offsets::{ClockOffset, clock_offset_queue};
    use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec};
    use neuroloop_runtime::config::RecordPlan;
    use neuroloop_runtime::recorder::{Recorder, SourceFeeds};

    let dir = scratch("offsets");
    let plan = RecordPlan {
        path: dir.join("offsets.xdf"),
        flush_s: 1.0,
        session: None,
    };
    let spec = StreamSpec {
        name: "eeg".into(),
        channels: vec![ChannelSpec::eeg("C3")],
        sample_rate: 10.0,
        block_size: 4,
    };
    let (mut offsets, reader) = clock_offset_queue(8);
    let mut recorder = Recorder::start(
        &plan,
        &spec,
        &[],
        64,
        true,
        SourceFeeds {
            offsets: Some(reader),
            aux: None,
        },
    )
    .unwrap();
    let mut tap = recorder.tap.take().unwrap();
    // Offset 100 s from sample 0, 200 s from sample 6 (inside the gap
    // 4..10), 300 s from sample 12.
    for (from_index, offset) in [(0, 100.0), (6, 200.0), (12, 300.0)] {
        offsets.push(ClockOffset {
            from_index,
            measured_at: 1000.0,
            offset,
        });
    }
    // Device time of sample i is i; the session saw i + its offset.
    let mut block = SampleBlock::with_capacity(1, 4);
    for (first, offset) in [(0u64, 100.0), (10, 200.0), (14, 300.0)] {
        let (data, times, arrivals) = block.buffers_mut();
        for i in 0..2 {
            let index = first + i as u64;
            data[i] = index as f32;
            times[i] = index as f64 + if index >= 12 { 300.0 } else { offset };
            arrivals[i] = 0.0;
        }
        block.set_len(2);
        tap.push_block(&block, first);
    }
    drop(tap);
    drop(recorder.lines.take());
    let report = recorder.thread.join().unwrap();
    assert_eq!((report.samples, report.clock_offsets), (6, 3), "{report:?}");
    let file = read_xdf(&plan.path, &XdfOptions::raw()).unwrap();
    let input = &file.streams[0];
    // Raw: the device's times, whatever offset each sample had.
    assert_eq!(
        input.samples.time_stamps,
        [0.0, 1.0, 10.0, 11.0, 14.0, 15.0]
    );
    assert_eq!(input.clock_values, [100.0, 200.0, 300.0]);
    assert_eq!(input.clock_times, [900.0, 800.0, 700.0]);
    std::fs::remove_dir_all(dir).unwrap();
}
