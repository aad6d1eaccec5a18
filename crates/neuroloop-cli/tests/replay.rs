//! A replay session from the command line: `neuroloop run` plays a whole
//! real recording at fast pace and ends by itself with its report; played
//! at realtime pace (a 12 s cut of the file) it publishes the same intents,
//! bit for bit, as `neuroloop score` replaying it at fast pace; `check` and
//! `run` name what is wrong with a missing, unreadable or channel-less
//! recording, or one that does not match the hardware profile.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{BIN, assert_clear_error, free_port, repo, run_for};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "neuroloop-replay-cli-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn r04() -> String {
    let path = repo().join("../shared/data/physionet-eegmmidb/S001R04.edf");
    std::fs::canonicalize(path).unwrap().display().to_string()
}

/// A replay session of `recording` (calibrating csp_lda for 40 s), with
/// `session_extra` added to `[session]`.
fn config(dir: &Path, name: &str, recording: &str, session_extra: &str) -> PathBuf {
    let text = format!(
        r#"[session]
name = "replay"
{session_extra}

[source]
type = "replay"
path = {recording:?}
pace = "fast"
channels = ["Fc3.", "Fcz.", "Fc4.", "C3..", "Cz..", "C4..", "Cp3.", "Cpz.", "Cp4."]
classes = ["left", "right"]
events = {{ T1 = "left", T2 = "right" }}

[pipeline]
filters = [{{ type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 }}]
window_s = 2.0
hop_s = 0.5

[decoder]
type = "csp_lda"
calibration_s = 40.0

[publish]
tcp = "127.0.0.1:0"
"#
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// An EDF+ file whose only signal is the annotation channel.
fn annotations_only_edf(path: &Path) {
    let mut h = String::new();
    let mut field = |text: &str, width: usize| h.push_str(&format!("{text:<width$}"));
    field("0", 8);
    field("X X X X", 80);
    field("Startdate 01-JAN-2001 X X X", 80);
    field("01.01.01", 8);
    field("00.00.00", 8);
    field("512", 8);
    field("EDF+C", 44);
    field("1", 8);
    field("1", 8);
    field("1", 4);
    field("EDF Annotations", 16);
    field("", 80);
    field("", 8);
    field("-1", 8);
    field("1", 8);
    field("-32768", 8);
    field("32767", 8);
    field("", 80);
    field("30", 8);
    field("", 32);
    let mut bytes = h.into_bytes();
    assert_eq!(bytes.len(), 512);
    let mut record = b"+0\x14\x14\x00".to_vec();
    record.resize(60, 0);
    bytes.extend(record);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn run_plays_the_whole_recording_and_ends_by_itself() {
    let dir = scratch("run");
    let cfg = config(&dir, "fast", &r04(), "");
    let report = dir.join("report.json");
    let out = run_for(
        &[
            "run",
            cfg.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        Duration::from_secs(180),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = common::read_report(&report);
    // Every one of the file's 125 x 160 samples, none dropped.
    assert_eq!(report["samples_produced"], 20000);
    assert_eq!(report["pipeline"]["samples"], 20000);
    assert_eq!(report["ring_overflows"], 0);
    assert_eq!(report["source"]["markers"], 30);
    // Calibrated on the cues of the first 40 s, then decoded.
    assert!(
        report["training"]["windows"].as_u64().unwrap() > 10,
        "{report}"
    );
    assert!(
        report["pipeline"]["decoded"].as_u64().unwrap() > 100,
        "{report}"
    );
}

#[test]
fn check_and_run_name_each_bad_recording() {
    let dir = scratch("bad");
    let missing = dir.join("no-such.edf");
    let text = dir.join("notes.edf");
    std::fs::write(&text, "these are notes, not a recording\n").unwrap();
    let empty = dir.join("annotations-only.edf");
    annotations_only_edf(&empty);
    let cases = [
        (
            missing.display().to_string(),
            vec!["source.path", "cannot read", "no-such.edf"],
        ),
        (
            text.display().to_string(),
            vec!["source.path", "not a readable recording", "notes.edf"],
        ),
        (
            empty.display().to_string(),
            vec!["source.path", "no data signal (annotations only)"],
        ),
    ];
    for (i, (recording, expected)) in cases.iter().enumerate() {
        let cfg = config(&dir, &format!("bad{i}"), recording, "");
        for command in ["check", "run"] {
            let out = run_for(&[command, cfg.to_str().unwrap()], Duration::from_secs(60));
            assert_clear_error(&out, expected);
        }
    }
    // A channel the file lacks, and a mapping that matches none of its events.
    let cfg = config(&dir, "mapping", &r04(), "");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("\"Fc3.\", \"Fcz.\"", "\"Fc3.\", \"Zz\"")
        .replace("T1 = \"left\", T2", "X1 = \"left\", X2");
    std::fs::write(&cfg, text).unwrap();
    let out = run_for(&["check", cfg.to_str().unwrap()], Duration::from_secs(60));
    assert_clear_error(
        &out,
        &["source.channels[1]", "no channel \"Zz\"", "\"Fcz.\""],
    );
    let cfg = config(&dir, "events", &r04(), "");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("T1 = \"left\", T2", "X1 = \"left\", X2");
    std::fs::write(&cfg, text).unwrap();
    let out = run_for(&["check", cfg.to_str().unwrap()], Duration::from_secs(60));
    assert_clear_error(&out, &["source.events", "no event", "\"X1\"", "T0, T1, T2"]);
    // A named profile that is not the recording's stream.
    let profile = repo().join("hardware-profiles/lsl-eeg-8.toml");
    let extra = format!("hardware_profile = {:?}", profile.display().to_string());
    let cfg = config(&dir, "profile", &r04(), &extra);
    let out = run_for(&["check", cfg.to_str().unwrap()], Duration::from_secs(60));
    assert_clear_error(
        &out,
        &[
            "source.path",
            "gives 9 channels",
            "\"lsl-eeg-8\" has 8",
            "160 Hz",
            "250 Hz",
        ],
    );
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

#[test]
fn run_at_realtime_pace_publishes_what_score_decodes_at_fast_pace() {
    let dir = scratch("paces");
    let cut = dir.join("S001R04-first-12s.edf");
    cut_edf(Path::new(&r04()), 12, &cut);
    let port = free_port();
    let text = std::fs::read_to_string(config(&dir, "base", &cut.display().to_string(), ""))
        .unwrap()
        .replace("pace = \"fast\"", "pace = \"realtime\"")
        .replace(
            "type = \"csp_lda\"\ncalibration_s = 40.0",
            "type = \"bundle\"\npath = \"bundle\"",
        )
        .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let cfg = dir.join("realtime.toml");
    std::fs::write(&cfg, text).unwrap();
    let channels = "Fc3.,Fcz.,Fc4.,C3..,Cz..,C4..,Cp3.,Cpz.,Cp4.";
    let r08 = repo().join("../shared/data/physionet-eegmmidb/S001R08.edf");
    let train = run_for(
        &[
            "train",
            "--recording",
            r08.to_str().unwrap(),
            "--events",
            "T1=left,T2=right",
            "--tmin",
            "0.5",
            "--tmax",
            "2.5",
            "--architecture",
            "csp_lda",
            "--config",
            cfg.to_str().unwrap(),
            "--channels",
            channels,
            "--out",
            dir.join("bundle").to_str().unwrap(),
            "--quiet",
        ],
        Duration::from_secs(300),
    );
    assert!(
        train.status.success(),
        "{}",
        String::from_utf8_lossy(&train.stderr)
    );
    let started = std::time::Instant::now();
    let run = Command::new(BIN)
        .args(["run", cfg.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut listen = common::start_listener(port, true);
    let stdout = listen.child.stdout.take().unwrap();
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .collect();
    let status = common::wait_output(run, Duration::from_secs(60), "run").status;
    assert!(status.success(), "run: {status:?}");
    let _ = listen.child.wait();
    let took = started.elapsed().as_secs_f64();
    assert!(took > 11.0, "12 s played at realtime pace in {took:.1} s");
    let json = dir.join("score.json");
    let score = run_for(
        &[
            "score",
            dir.join("bundle").to_str().unwrap(),
            "--recording",
            cut.to_str().unwrap(),
            "--events",
            "T1=left,T2=right",
            "--config",
            cfg.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    assert!(
        score.status.success(),
        "{}",
        String::from_utf8_lossy(&score.stderr)
    );
    let score: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let bits = |p: &serde_json::Value| -> Vec<u32> {
        p.as_array()
            .map(|a| {
                a.iter()
                    .map(|v| (v.as_f64().unwrap() as f32).to_bits())
                    .collect()
            })
            .unwrap_or_default()
    };
    let fast: Vec<(u64, String, Vec<u32>)> = score["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let class = r["class"].as_u64();
            let what = format!("{} {} {class:?}", r["kind"], r["hold_reason"]);
            (
                r["window"].as_u64().unwrap(),
                what,
                bits(&r["probabilities"]),
            )
        })
        .collect();
    let realtime: Vec<(u64, String, Vec<u32>)> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("window").is_some())
        .map(|v| {
            let class = v
                .get("probabilities")
                .and_then(|_| v["class_index"].as_u64());
            let what = format!("{} {} {class:?}", v["kind"], v["hold_reason"]);
            (
                v["window"].as_u64().unwrap(),
                what,
                bits(&v["probabilities"]),
            )
        })
        .collect();
    // (1920 - 320) / 80 + 1 windows of 2 s every 0.5 s, each decoded.
    assert_eq!(fast.len(), 21);
    assert_eq!(realtime, fast);
    assert!(fast.iter().all(|w| w.2.len() == 2), "every window decoded");
}
