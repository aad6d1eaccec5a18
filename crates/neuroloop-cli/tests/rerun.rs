//! `neuroloop replay FILE --config SESSION`: sessions recorded by `neuroloop
//! run` (a simulated headset, not real time) are rerun from their XDF
//! files. A calibrating session and a session decoding with the bundle the
//! first one saved both decide every window again exactly as recorded
//! (class, hold reason, probabilities and sample time, bit for bit; the
//! test reads the recorded intents itself). A different decoder (the
//! bundle in place of calibration) and a recording whose one intent was
//! altered are reported as different with exit status 1; a file that is
//! no recording with exit status 2. A recording cut off (a session killed)
//! and rerun from the file alone agrees up to the cut.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::{repo, run_for};
use neuroloop_formats::xdf::{XdfOptions, read_xdf};
use serde_json::json;

/// The demo session, not real time, for `seconds` of signal, recording
/// to `record` beside the config, with `decoder` as its `[decoder]`.
fn session(dir: &Path, name: &str, seed: u64, seconds: f64, decoder: &str) -> PathBuf {
    let demo = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    let demo = &demo[..demo.find("[decoder]").unwrap()];
    let text = demo
        .replace(
            "seed = 7",
            &format!("seed = {seed}\nduration_s = {seconds}"),
        )
        .replace("realtime = true", "realtime = false");
    let text = format!(
        "{text}{decoder}\n[policy]\nsmoothing = 5\nthreshold = 0.7\ndwell_s = 0.3\n\n\
         [publish]\ntcp = \"127.0.0.1:0\"\nqueue = 64\n\n[record]\npath = \"{name}.xdf\"\n"
    );
    let path = dir.join("configs").join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn run_session(config: &Path) {
    let out = run_for(&["run", config.to_str().unwrap()], Duration::from_secs(300));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `neuroloop replay` with `--config` if given and `extra` flags; the
/// output and the JSON.
fn replay(file: &Path, config: Option<&Path>, extra: &[&str]) -> (Output, serde_json::Value) {
    let json = file.with_extension(format!("{}-{}.json", extra.len(), config.is_some()));
    let mut args = vec![
        "replay",
        file.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ];
    if let Some(config) = config {
        args.extend_from_slice(&["--config", config.to_str().unwrap()]);
    }
    args.extend_from_slice(extra);
    let out = run_for(&args, Duration::from_secs(300));
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let value = serde_json::from_str(&text).unwrap();
    (out, value)
}

/// The recorded intents, as the test reads them: each window's class name
/// or `hold (reason)`, in window order.
fn recorded_labels(file: &Path) -> Vec<(u64, String)> {
    let xdf = read_xdf(file, &XdfOptions::raw()).unwrap();
    let intents = xdf
        .streams
        .iter()
        .find(|s| s.info.name == "neuroloop intents")
        .unwrap();
    let mut labels: Vec<(u64, String)> = intents
        .samples
        .strings
        .iter()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let label = match v["type"].as_str().unwrap() {
                "intent" => v["class"].as_str().unwrap().to_string(),
                _ => format!("hold ({})", v["hold_reason"].as_str().unwrap()),
            };
            (v["window"].as_u64().unwrap(), label)
        })
        .collect();
    labels.sort_by_key(|l| l.0);
    labels
}

/// The comparison's rows as `(window, recorded, replayed)`.
fn rows(json: &serde_json::Value) -> Vec<(u64, String, String)> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("(none)").to_string();
    json["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["window"].as_u64().unwrap(),
                text(&r["recorded"]),
                text(&r["replayed"]),
            )
        })
        .collect()
}

/// The same decisions, non-trivially: every window compared and alike, the
/// recorded column as the file holds it, and many intents of each class.
fn assert_identical(file: &Path, out: &Output, json: &serde_json::Value, at_least: (usize, usize)) {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = rows(json);
    let recorded: Vec<(u64, String)> = rows.iter().map(|r| (r.0, r.1.clone())).collect();
    let replayed: Vec<(u64, String)> = rows.iter().map(|r| (r.0, r.2.clone())).collect();
    assert_eq!(recorded, recorded_labels(file), "the file's own intents");
    assert_eq!(replayed, recorded, "the replay decides as recorded");
    assert!(rows.len() >= at_least.0, "{} windows", rows.len());
    assert_eq!(json["compared"].as_u64().unwrap() as usize, rows.len());
    assert_eq!(json["same"], json["compared"]);
    assert_eq!(json["identical"], true);
    for class in ["left", "right"] {
        let n = rows.iter().filter(|r| r.1 == class).count();
        assert!(
            n >= at_least.1,
            "{n} {class} intents: {}",
            json["class_intents"]
        );
    }
}

#[test]
fn recorded_sessions_rerun_bit_for_bit_and_changes_are_reported() {
    let dir = common::scratch("rerun");
    let calibrating = session(
        &dir,
        "calibrating",
        7,
        90.0,
        "[decoder]\ntype = \"bandpower\"\nbands_hz = [[8.0, 13.0], [13.0, 30.0]]\n\
         hyperparameters = { c = 0.01 }\ncalibration_s = 60.0\nlabel_delay_s = 0.5\nseed = 1\n\
         save_bundle = \"bundle\"\n",
    );
    run_session(&calibrating);
    let bundle = dir.join("configs/bundle");
    let calibrated_file = dir.join("configs/calibrating.xdf");
    let (out, json) = replay(&calibrated_file, Some(&calibrating), &[]);
    assert_identical(&calibrated_file, &out, &json, (800, 10));

    // The saved bundle, decoding the same simulated subject from the start
    // (a bundle fitted on one seed's subject hardly tells another's classes
    // apart).
    let decoding = session(
        &dir,
        "decoding",
        7,
        120.0,
        "[decoder]\ntype = \"bundle\"\npath = \"bundle\"\nlabel_delay_s = 0.5\n",
    );
    let text = std::fs::read_to_string(&decoding).unwrap();
    std::fs::write(
        &decoding,
        text.replace(
            "queue = 64",
            "queue = 64\ntoken = \"s3cret-token-0123456789\"",
        ),
    )
    .unwrap();
    run_session(&decoding);
    let decoded_file = dir.join("configs/decoding.xdf");
    let (out, json) = replay(&decoded_file, Some(&decoding), &[]);
    assert_identical(&decoded_file, &out, &json, (1000, 10));
    // The file alone: its header stores the config, without the token.
    let (out, json) = replay(&decoded_file, None, &[]);
    assert_identical(&decoded_file, &out, &json, (1000, 10));
    let header = read_xdf(&decoded_file, &XdfOptions::raw()).unwrap();
    let stored = header.header_field("session_config").unwrap();
    assert!(stored.contains("path = \"bundle\""), "{stored}");
    let bytes = std::fs::read(&decoded_file).unwrap();
    assert!(
        !bytes.windows(6).any(|w| w == b"s3cret"),
        "the token is not stored"
    );

    let full = json["compared"].as_u64().unwrap();
    // Cut off at 60 % of its bytes (a session killed): the windows both
    // the file and the rerun decided agree.
    let bytes = std::fs::read(&decoded_file).unwrap();
    let cut = dir.join("configs/cut.xdf");
    std::fs::write(&cut, &bytes[..bytes.len() * 6 / 10]).unwrap();
    let (out, json) = replay(&cut, None, &[]);
    assert!(out.status.success(), "{json}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut off"));
    assert_eq!(
        (&json["identical"], &json["same"]),
        (&json!(true), &json["compared"])
    );
    let compared = json["compared"].as_u64().unwrap();
    assert!(
        (300..full * 7 / 10).contains(&compared),
        "{compared} of {full}"
    );

    // The bundle in place of calibration decides the calibration windows.
    let (out, json) = replay(
        &calibrated_file,
        Some(&calibrating),
        &["--bundle", bundle.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{json}");
    assert!(json["differing"].as_u64().unwrap() > 100, "{json}");
    let first = &json["differences"][0];
    assert_eq!(first["recorded"]["hold_reason"], "calibrating", "{first}");
    assert_ne!(first["replayed"]["hold_reason"], "calibrating", "{first}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("DIFFERENT"));

    // One intent's probabilities swapped in the file (same length, still a
    // distribution): exactly that window differs, in its probabilities.
    let tampered = dir.join("configs/tampered.xdf");
    let window = swap_probabilities(&decoded_file, &tampered, 100);
    let (out, json) = replay(&tampered, None, &[]);
    assert_eq!(out.status.code(), Some(1), "{json}");
    assert_eq!(json["differing"], 1, "{json}");
    assert_eq!(json["differences"][0]["window"], window);
    assert_eq!(
        json["differences"][0]["differs_in"],
        serde_json::json!(["probabilities"])
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("window {window} ")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Not a recording at all.
    let notes = dir.join("configs/notes.xdf");
    std::fs::write(&notes, "notes\n").unwrap();
    let out = run_for(
        &[
            "replay",
            notes.to_str().unwrap(),
            "--config",
            decoding.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("notes.xdf") && err.contains("not a readable XDF file"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// Copies `from` to `to` with the two probabilities of the `n`-th decoded
/// intent line swapped (they differ); returns its window.
fn swap_probabilities(from: &Path, to: &Path, n: usize) -> u64 {
    let mut bytes = std::fs::read(from).unwrap();
    let key = b"\"probabilities\":[";
    let mut found = 0;
    let mut at = 0;
    loop {
        let start = at
            + bytes[at..]
                .windows(key.len())
                .position(|w| w == key)
                .unwrap()
            + key.len();
        let end = start + bytes[start..].iter().position(|&b| b == b']').unwrap();
        let text = String::from_utf8(bytes[start..end].to_vec()).unwrap();
        let (a, b) = text.split_once(',').unwrap();
        at = end;
        if a == b {
            continue;
        }
        found += 1;
        if found < n {
            continue;
        }
        bytes[start..end].copy_from_slice(format!("{b},{a}").as_bytes());
        // `window` follows `probabilities` in an intent line.
        let window_key = b"\"window\":";
        let w = end
            + bytes[end..]
                .windows(window_key.len())
                .position(|w| w == window_key)
                .unwrap()
            + window_key.len();
        let digits: String = bytes[w..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .map(|&b| b as char)
            .collect();
        std::fs::write(to, &bytes).unwrap();
        return digits.parse().unwrap();
    }
}
