//! `neuroloop score` end to end on real recordings: a bundle trained on
//! PhysioNet S001R04 (left vs right fist imagery) is scored on S001R08, and
//! the same R08 samples pushed by a real pylsl outlet into a live `neuroloop
//! run` session give bit-identical intents, window by window. Also: the
//! score beats its computed chance bar, and bad input gets clear errors.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{BIN, assert_clear_error, free_port, repo, run_for, signal, venv_python};
use serde_json::Value;

/// The sensorimotor channels of the PhysioNet montage (labels as in the file).
const CHANNELS: [&str; 21] = [
    "Fc5.", "Fc3.", "Fc1.", "Fcz.", "Fc2.", "Fc4.", "Fc6.", "C5..", "C3..", "C1..", "Cz..", "C2..",
    "C4..", "C6..", "Cp5.", "Cp3.", "Cp1.", "Cpz.", "Cp2.", "Cp4.", "Cp6.",
];

fn data(file: &str) -> PathBuf {
    repo().join("../shared/data/physionet-eegmmidb").join(file)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("neuroloop-score-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A profile of the 21 channels over LSL, and a live session config that
/// decodes with `bundle` (trained later) and serves on `port`.
fn live_config(dir: &Path, stream: &str, port: u16) -> PathBuf {
    let labels: Vec<String> = CHANNELS.iter().map(|c| format!("{c:?}")).collect();
    let profile = format!(
        "name = \"physionet-mi-21\"\ndescription = \"PhysioNet eegmmidb, 21 sensorimotor channels\"\n\
         transport = \"lsl\"\nsample_rate = 160.0\nblock_size = 8\nscale_uv_per_count = 1.0\n\
         montage = \"10-10\"\nchannels = [{}]\n",
        labels.join(", ")
    );
    std::fs::write(dir.join("mi21.toml"), profile).unwrap();
    let config = format!(
        r#"[session]
name = "mi-live"
hardware_profile = "mi21.toml"
ring_s = 60.0

[source]
type = "lsl"
name = "{stream}"
classes = ["left", "right"]

[pipeline]
filters = [{{ type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 }}]
window_s = 3.0
hop_s = 0.1

[decoder]
type = "bundle"
path = "bundle"
label_delay_s = 0.0

[publish]
tcp = "127.0.0.1:{port}"
# The stream plays at 4× real time: on a busy machine an intent may wait
# longer than the default age (one hop + 100 ms) for its client, and it
# would be dropped as stale. Every window must reach the client here.
intent_max_age_ms = 10000
max_lag_ms = 60000
"#
    );
    let path = dir.join("live.toml");
    std::fs::write(&path, config).unwrap();
    path
}

fn output_ok(out: &std::process::Output, what: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what} failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The 21 channels of R08 as sample-major f32, as the replay source reads
/// them (the file is in microvolts), written raw for the pylsl peer.
fn write_samples(path: &Path) -> usize {
    let rec = neuroloop_formats::read_recording(data("S001R08.edf")).unwrap();
    let index: Vec<usize> = CHANNELS
        .iter()
        .map(|c| rec.channel_index(c).unwrap())
        .collect();
    assert!(rec.channels.iter().all(|c| c.unit.trim() == "uV"));
    let mut bytes = Vec::with_capacity(rec.n_samples * index.len() * 4);
    for s in 0..rec.n_samples {
        for &c in &index {
            bytes.extend_from_slice(&(rec.channel(c)[s] as f32).to_le_bytes());
        }
    }
    std::fs::write(path, bytes).unwrap();
    rec.n_samples
}

/// Reads `child`'s stdout lines on a thread.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_line(rx: &mpsc::Receiver<String>, want: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.starts_with(want) => return,
            Ok(_) => {}
            Err(_) => panic!("no {want:?} line within {limit:?}"),
        }
    }
}

/// Per window: kind, hold reason, class index and the f32 bits of the
/// probabilities (none for holds without a decode).
type Decoded = (String, String, Option<u64>, Vec<u32>);

fn f32_bits(p: &Value) -> Vec<u32> {
    p.as_array()
        .map(|a| {
            a.iter()
                .map(|v| (v.as_f64().unwrap() as f32).to_bits())
                .collect()
        })
        .unwrap_or_default()
}

/// The live session's intents by window, from `listen --json` lines.
fn live_windows(lines: &[String]) -> std::collections::BTreeMap<u64, Decoded> {
    let mut windows = std::collections::BTreeMap::new();
    for line in lines {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if v.get("window").is_none() {
            continue;
        }
        let reason = v["hold_reason"].as_str().unwrap().to_string();
        assert_ne!(
            reason, "signal_loss",
            "the live stream was interrupted: {line}"
        );
        let decoded = v.get("probabilities").is_some();
        let entry = (
            v["kind"].as_str().unwrap().to_string(),
            reason,
            decoded.then(|| v["class_index"].as_u64().unwrap()),
            f32_bits(&v["probabilities"]),
        );
        let previous = windows.insert(v["window"].as_u64().unwrap(), entry);
        assert!(previous.is_none(), "window published twice: {line}");
    }
    windows
}

/// Score's windows, from its JSON rows.
fn scored_windows(score: &Value) -> std::collections::BTreeMap<u64, Decoded> {
    score["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let entry = (
                r["kind"].as_str().unwrap().to_string(),
                r["hold_reason"].as_str().unwrap().to_string(),
                r["class"].as_u64(),
                f32_bits(&r["probabilities"]),
            );
            (r["window"].as_u64().unwrap(), entry)
        })
        .collect()
}

/// Runs the live session fed by the pylsl peer until `windows` windows
/// were published; the `listen --json` lines and the session's report.
fn live_session(
    dir: &Path,
    config: &Path,
    stream: &str,
    port: u16,
    windows: u64,
) -> (Vec<String>, Value) {
    let python = venv_python("pylsl");
    let samples = dir.join("r08.f32");
    let n = write_samples(&samples);
    assert_eq!(n, 20000);
    let lsl_cfg = dir.join("lsl.cfg");
    std::fs::write(&lsl_cfg, neuroloop_lsl::Settings::default().config_text()).unwrap();
    let mut peer = Command::new(&python)
        .arg(repo().join("crates/neuroloop-cli/tests/peers/samples_outlet.py"))
        .args([
            "--name",
            stream,
            "--labels",
            &CHANNELS.join(","),
            "--rate",
            "160",
        ])
        .arg("--samples-file")
        .arg(&samples)
        .args(["--speed", "4", "--chunk", "16"])
        .env("LSLAPICFG", &lsl_cfg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the pylsl outlet");
    let peer_lines = lines_of(&mut peer);
    wait_line(&peer_lines, "open", Duration::from_secs(20));
    let report = dir.join("live-report.json");
    let run = Command::new(BIN)
        .args([
            "run",
            config.to_str().unwrap(),
            "--duration",
            "240",
            "--report",
        ])
        .arg(&report)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut listen = common::start_listener(port, true);
    let listened = lines_of(&mut listen.child);
    wait_line(&peer_lines, "consumer", Duration::from_secs(20));
    // The intents' client is connected: push.
    writeln!(peer.stdin.as_mut().unwrap(), "go").unwrap();
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut lines = Vec::new();
    let last = format!("\"window\":{}", windows - 1);
    while !lines
        .iter()
        .any(|l: &String| l.contains(&last) && !l.contains("signal_loss"))
    {
        assert!(
            Instant::now() < deadline,
            "the live session did not publish window {}",
            windows - 1
        );
        if let Ok(line) = listened.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
        }
    }
    signal(&run, "INT");
    let status = common::wait_output(run, Duration::from_secs(30), "run").status;
    assert!(status.success(), "run: {status:?}");
    lines.extend(listened.try_iter());
    let _ = listen.child.kill();
    let _ = listen.child.wait();
    let _ = peer.kill();
    let _ = peer.wait();
    (lines, common::read_report(&report))
}

#[test]
fn score_equals_a_live_lsl_session_window_by_window_and_beats_chance() {
    let dir = scratch("live");
    let stream = format!("nl-score-{}", std::process::id());
    let port = free_port();
    let config = live_config(&dir, &stream, port);
    let config_arg = config.to_str().unwrap();
    let (r04, r08) = (data("S001R04.edf"), data("S001R08.edf"));
    let bundle = dir.join("bundle");
    let train = run_for(
        &[
            "train",
            "--recording",
            r04.to_str().unwrap(),
            "--events",
            "T1=left,T2=right",
            "--tmin",
            "0.5",
            "--tmax",
            "3.5",
            "--architecture",
            "csp_lda",
            "--config",
            config_arg,
            "--out",
            bundle.to_str().unwrap(),
            "--quiet",
        ],
        Duration::from_secs(300),
    );
    output_ok(&train, "train");
    let json = dir.join("score.json");
    let score = run_for(
        &[
            "score",
            bundle.to_str().unwrap(),
            "--recording",
            r08.to_str().unwrap(),
            "--events",
            "T1=left,T2=right",
            "--config",
            config_arg,
            "--json",
            json.to_str().unwrap(),
        ],
        Duration::from_secs(300),
    );
    let printed = output_ok(&score, "score");
    assert!(
        printed.contains("per trial") && printed.contains("bits/min"),
        "{printed}"
    );
    let score: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let summary = &score["summary"];
    // Every sample of R08 went through, none lost.
    let session = &score["sessions"][0]["report"];
    assert_eq!(session["samples_produced"], 20000);
    assert_eq!(session["ring_overflows"], 0);
    // 3 s windows every 0.1 s: (20000 - 480) / 16 + 1.
    let scored = scored_windows(&score);
    assert_eq!(scored.len(), 1221);
    // Above the binomial chance bar computed for the windows scored.
    let per_window = &summary["per_window"];
    let accuracy = per_window["accuracy"].as_f64().unwrap();
    let bar = per_window["chance_threshold_p05"].as_f64().unwrap();
    let n = per_window["n"].as_u64().unwrap();
    assert!(n >= 100, "{n} windows scored");
    // Labelled as the live pipeline labels them: its own count of labelled
    // decoded windows is the same (label_delay_s = 0, so the comparison of
    // cue and window times is exact in both).
    assert_eq!(session["pipeline"]["labelled"].as_u64(), Some(n));
    assert!(bar > 0.5 && bar < 0.7, "chance bar {bar} for {n} windows");
    assert!(
        accuracy > bar,
        "per-window accuracy {accuracy} is not above chance ({bar})"
    );
    // One selection per trial, from the cue to the end of the cued task
    // (the annotations last 4.1-4.2 s).
    let trial_s = summary["trial_s"].as_f64().unwrap();
    assert!((4.0..4.3).contains(&trial_s), "{trial_s}");
    let bits = summary["itr_bits_per_trial"].as_f64().unwrap();
    let per_minute = summary["itr_bits_per_minute"].as_f64().unwrap();
    assert!((per_minute - bits * 60.0 / trial_s).abs() < 1e-9);
    assert_eq!(
        summary["per_trial"]["n"].as_u64().unwrap() + summary["undecided_trials"].as_u64().unwrap(),
        15
    );

    let (lines, report) = live_session(&dir, &config, &stream, port, scored.len() as u64);
    assert_eq!(report["ring_overflows"], 0, "the live ring dropped samples");
    assert_eq!(report["pipeline"]["gaps"], 0);
    assert_eq!(report["protocol"]["stale_intents_dropped"], 0);
    assert_eq!(report["lagged_lines"], 0);
    let live = live_windows(&lines);
    assert_eq!(live.len(), scored.len(), "windows published live vs scored");
    let mut differing = Vec::new();
    for (window, decoded) in &scored {
        if live.get(window) != Some(decoded) {
            differing.push((*window, decoded.clone(), live.get(window).cloned()));
        }
    }
    assert!(
        differing.is_empty(),
        "{} windows differ, first: {:?}",
        differing.len(),
        differing.first()
    );
    let decoded = scored.values().filter(|d| d.2.is_some()).count();
    assert!(decoded > 1000, "only {decoded} windows decoded");
}

#[test]
fn score_names_each_bad_input() {
    let dir = scratch("bad");
    let r04 = data("S001R04.edf");
    let r08 = data("S001R08.edf");
    let bundle = dir.join("bundle");
    let channels = CHANNELS[7..14].join(",");
    let train = run_for(
        &[
            "train",
            "--recording",
            r04.to_str().unwrap(),
            "--events",
            "T1=left,T2=right",
            "--tmin",
            "0.5",
            "--tmax",
            "2.5",
            "--architecture",
            "csp_lda",
            "--channels",
            &channels,
            "--out",
            bundle.to_str().unwrap(),
            "--quiet",
        ],
        Duration::from_secs(300),
    );
    output_ok(&train, "train");
    let b = bundle.to_str().unwrap();
    let r08 = r08.to_str().unwrap();
    let ssvep = repo().join("../shared/data/ssvep-kalunga2016/subject01-session1.gdf");
    let ssvep = ssvep.to_str().unwrap();
    let score = |events: &str, extra: &[&str]| {
        let mut args = vec!["score", b, "--events", events];
        args.extend_from_slice(extra);
        run_for(&args, Duration::from_secs(120))
    };
    let missing = dir.join("none.edf");
    let lr = "T1=left,T2=right";
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            lr,
            vec!["--recording", r08, "--recording", r08],
            vec!["given twice"],
        ),
        (
            "T1=up,T2=right",
            vec!["--recording", r08],
            vec!["\"up\"", "bundle's classes"],
        ),
        (
            lr,
            vec!["--recording", missing.to_str().unwrap()],
            vec!["none.edf", "cannot read"],
        ),
        // A recording without the bundle's channels.
        (
            lr,
            vec!["--recording", ssvep],
            vec![
                "subject01-session1.gdf",
                "source.channels:",
                "no channels \"C5..\", \"C3..\"",
                "it has \"Oz\"",
            ],
        ),
        // Another filter chain than the bundle was trained after.
        (
            lr,
            vec!["--recording", r08, "--filters", "bandpass 8-30"],
            vec!["decoder.path", "filter"],
        ),
        (
            lr,
            vec!["--recording", r08, "--tmin", "2", "--tmax", "1"],
            vec!["--tmin"],
        ),
        (
            lr,
            vec!["--recording", r08, "--hop", "0"],
            vec!["--hop", "positive"],
        ),
        (lr, vec![b, "--recording", r08], vec!["unexpected argument"]),
    ];
    for (events, extra, expected) in &cases {
        assert_clear_error(&score(events, extra), expected);
    }
    // The same bundle and recording without the fault score.
    let out = score(lr, &["--recording", r08]);
    let printed = output_ok(&out, "score");
    assert!(printed.contains("per window"), "{printed}");
}

/// GDF events carry no duration: `--events ...,32780=rest` ends each trial
/// at the trial-stop code (SSVEP, Kalunga 2016, subject 03).
#[test]
fn score_ends_gdf_trials_at_rest_events() {
    let dir = scratch("gdf");
    let ssvep = repo().join("../shared/data/ssvep-kalunga2016");
    let config = dir.join("ssvep.toml");
    std::fs::write(
        &config,
        "[pipeline]\nfilters = [{ type = \"bandpass\", low_hz = 5.0, high_hz = 40.0, order = 4 }]\nwindow_s = 2.0\nhop_s = 0.25\n",
    )
    .unwrap();
    let bundle = dir.join("bundle");
    let classes = "33025=13Hz,33026=21Hz,33027=17Hz";
    let train = run_for(
        &[
            "train",
            "--recording",
            ssvep.join("subject03-session1.gdf").to_str().unwrap(),
            "--events",
            classes,
            "--tmin",
            "1",
            "--tmax",
            "3",
            "--architecture",
            "mdm",
            "--config",
            config.to_str().unwrap(),
            "--out",
            bundle.to_str().unwrap(),
            "--quiet",
        ],
        Duration::from_secs(300),
    );
    output_ok(&train, "train");
    let json = dir.join("score.json");
    let recording = ssvep.join("subject03-session2.gdf");
    let score = |events: &str| {
        run_for(
            &[
                "score",
                bundle.to_str().unwrap(),
                "--recording",
                recording.to_str().unwrap(),
                "--events",
                events,
                "--config",
                config.to_str().unwrap(),
                "--json",
                json.to_str().unwrap(),
            ],
            Duration::from_secs(120),
        )
    };
    let spans = |out: &std::process::Output| -> Vec<f64> {
        output_ok(out, "score");
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        v["trials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["span_s"][1].as_f64().unwrap() - t["onset_s"].as_f64().unwrap())
            .collect()
    };
    let with_rest = spans(&score(&format!("{classes},32780=rest")));
    assert_eq!(with_rest.len(), 24, "8 trials of each class");
    // The class code comes 0.5 s before a 5 s trial: the span ends 5.5 s
    // after it, at the trial stop.
    for s in &with_rest {
        assert!((s - 5.5).abs() < 0.05, "{with_rest:?}");
    }
    // Without the rest event a trial runs to the next class code.
    let without = spans(&score(classes));
    assert!(without.iter().take(23).all(|s| *s > 6.0), "{without:?}");
}
