//! `neuroloop bench latency` and `bench compare`: a real session on the
//! simulated headset (real time) with the in-process acking actuator; the
//! JSON report is checked against its schema (Python's jsonschema, in the
//! test venv) and its own arithmetic, and the HTML page is rendered by a
//! real headless Chromium and its screenshot read back.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{assert_clear_error, config, repo, run_for, scratch, venv_python, wait_output};
use serde_json::Value;

/// The stage colours of the report's plots (src/bench/svg.rs), in stage
/// order.
const STAGE_COLORS: [[u8; 3]; 6] = [
    [0x4e, 0x79, 0xa7],
    [0xf2, 0x8e, 0x2b],
    [0xe1, 0x57, 0x59],
    [0x76, 0xb7, 0xb2],
    [0x59, 0xa1, 0x4f],
    [0xb0, 0x7a, 0xa1],
];

/// The demo session calibrating for 13 s, on a free port.
fn demo(dir: &Path) -> PathBuf {
    config(
        dir,
        "demo.toml",
        &[("calibration_s = 60.0", "calibration_s = 13.0")],
    )
    .0
}

/// Runs `bench latency` for `seconds` into `dir/out`; the parsed JSON.
fn bench(dir: &Path, seconds: &str) -> Value {
    let cfg = demo(dir);
    let out = dir.join("out");
    let run = run_for(
        &[
            "bench",
            "latency",
            cfg.to_str().unwrap(),
            "--duration",
            seconds,
            "--out",
            out.to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "bench latency failed: {stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("stages (mean)"), "{stdout}");
    serde_json::from_str(&std::fs::read_to_string(out.join("latency.json")).unwrap()).unwrap()
}

/// Whether `doc` passes docs/latency-report.schema.json (the validator's
/// message if not).
fn schema_check(dir: &Path, name: &str, doc: &Value) -> Result<(), String> {
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_string(doc).unwrap()).unwrap();
    let script = "import json, sys, jsonschema\n\
        schema = json.load(open(sys.argv[1]))\n\
        jsonschema.Draft202012Validator.check_schema(schema)\n\
        jsonschema.validate(json.load(open(sys.argv[2])), schema, cls=jsonschema.Draft202012Validator)\n";
    let out = Command::new(venv_python("jsonschema"))
        .args(["-c", script])
        .arg(repo().join("docs/latency-report.schema.json"))
        .arg(&file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn summary_mean(v: &Value) -> f64 {
    v["mean_ms"].as_f64().unwrap()
}

/// The SHA-256 of `path` by coreutils' sha256sum.
fn sha256sum(path: &str) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A headless Chromium on PATH; the test fails with how to install one.
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("no Chromium on PATH: install one (Debian: apt-get install chromium; .ci/run does)");
}

/// A `width × height` screenshot of `page` by headless Chromium, as RGB.
fn screenshot(dir: &Path, page: &Path, width: u32, height: u32) -> Vec<[u8; 3]> {
    let png = dir.join("shot.png");
    let child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chromium").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = wait_output(child, Duration::from_secs(90), "chromium");
    assert!(out.status.success(), "chromium: {:?}", out.status);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (width, height));
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let step = info.color_type.samples();
    assert!(step >= 3, "{:?}", info.color_type);
    buf[..info.buffer_size()]
        .chunks_exact(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

#[test]
fn bench_latency_writes_a_report_that_adds_up_passes_its_schema_and_renders() {
    let dir = scratch("bench-latency");
    let doc = bench(&dir, "20");

    // Its own arithmetic: every decided window in every stage, the stage
    // means adding up to the end-to-end mean within the resolution, one
    // ack per published line from the in-process actuator.
    let decided = doc["counts"]["decided"].as_u64().unwrap();
    assert!(decided > 20, "{}", doc["counts"]);
    assert_eq!(doc["end_to_end"]["count"].as_u64(), Some(decided));
    assert_eq!(
        doc["series"]["t_s"].as_array().unwrap().len() as u64,
        decided
    );
    let stages = doc["stages"].as_array().unwrap();
    let names: Vec<&str> = stages.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["ring", "filter", "window", "decode", "policy", "handoff"]
    );
    let sum: f64 = stages.iter().map(summary_mean).sum();
    let e2e = summary_mean(&doc["end_to_end"]);
    assert!(
        (sum - e2e).abs() <= 6.0 * 0.5e-3 + 1e-3 * e2e,
        "stage means {sum} ms vs end to end {e2e} ms"
    );
    for (s, column) in stages
        .iter()
        .zip(doc["series"]["stage_ms"].as_array().unwrap())
    {
        assert_eq!(s["count"].as_u64(), Some(decided), "{s}");
        let values: Vec<f64> = column
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!(
            (mean - summary_mean(s)).abs() <= 0.5e-3 + 1e-3 * mean,
            "{}: series mean {mean} vs histogram mean {}",
            s["name"],
            summary_mean(s)
        );
    }
    let published = doc["counts"]["published"].as_u64().unwrap();
    assert_eq!(doc["counts"]["acks"].as_u64(), Some(published));
    assert_eq!(doc["ack_rtt"]["count"].as_u64(), Some(published));
    assert_eq!(doc["socket_write"]["count"].as_u64(), Some(published));
    assert_eq!(doc["session"]["source"], "sim");
    assert_eq!(doc["session"]["client"], "in_process");
    let cfg = doc["config"]["path"].as_str().unwrap();
    assert_eq!(
        doc["config"]["sha256"].as_str(),
        Some(sha256sum(cfg).as_str())
    );

    // The schema accepts it, and rejects it without its stages or with a
    // negative percentile (so the check can fail).
    schema_check(&dir, "report", &doc).expect("the report passes its schema");
    let mut broken = doc.clone();
    broken.as_object_mut().unwrap().remove("stages");
    assert!(
        schema_check(&dir, "no-stages", &broken).is_err(),
        "a report without stages passed"
    );
    let mut broken = doc.clone();
    broken["end_to_end"]["p99_ms"] = Value::from(-1.0);
    assert!(
        schema_check(&dir, "negative", &broken).is_err(),
        "a negative p99 passed"
    );

    // Rendered by Chromium: every stage's colour shows (the legend's 12 × 12
    // squares at least), and the decode segment of the stacked bar at
    // least as wide as its share of the end-to-end mean (24 px tall, 570 px
    // for the whole bar).
    let (width, height) = (900, 1900);
    let pixels = screenshot(&dir, &dir.join("out/latency.html"), width, height);
    let white = pixels.iter().filter(|p| **p == [255, 255, 255]).count();
    assert!(white < pixels.len() * 98 / 100, "a blank page");
    for (i, colour) in STAGE_COLORS.iter().enumerate() {
        let n = pixels.iter().filter(|p| *p == colour).count();
        assert!(n >= 144, "stage {} ({colour:?}): {n} pixels", names[i]);
    }
    let decode_share = summary_mean(&stages[3]) / sum;
    let decode_px = pixels.iter().filter(|p| **p == STAGE_COLORS[3]).count() as f64;
    let bar_px = 24.0 * 570.0 * decode_share;
    assert!(
        decode_px >= 144.0 + 0.8 * bar_px - 2.0 * 24.0,
        "decode bar: {decode_px} pixels of colour, its share {decode_share:.3} needs {bar_px:.0}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `neuroloop bench compare ARGS…`.
fn compare(args: &[&str]) -> std::process::Output {
    let mut all = vec!["bench", "compare"];
    all.extend_from_slice(args);
    run_for(&all, Duration::from_secs(30))
}

/// The table row of the comparison page whose first cell is `name`.
fn row<'a>(html: &'a str, name: &str) -> &'a str {
    let first = format!("<td>{name}</td>");
    html.split("<tr>")
        .find(|r| r.starts_with(&first))
        .unwrap_or_else(|| panic!("no {name} row"))
}

#[test]
fn bench_compare_puts_two_reports_side_by_side_and_refuses_what_is_not_one() {
    let dir = scratch("bench-compare");
    let a = bench(&dir, "16");
    // B: the same run with a decoder twice as slow at the median.
    let mut b = a.clone();
    let p50 = b["stages"][3]["p50_ms"].as_f64().unwrap();
    b["stages"][3]["p50_ms"] = Value::from(2.0 * p50);
    let (pa, pb) = (dir.join("a.json"), dir.join("b.json"));
    std::fs::write(&pa, a.to_string()).unwrap();
    std::fs::write(&pb, b.to_string()).unwrap();
    let out = dir.join("cmp");
    let (a_path, b_path) = (pa.to_str().unwrap(), pb.to_str().unwrap());
    let run = compare(&[a_path, b_path, "--out", out.to_str().unwrap()]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap();
    let decode = row(&html, "decode");
    assert!(
        decode.contains("<td>2.00</td>"),
        "B/A of the decode p50: {decode}"
    );
    let end_to_end = row(&html, "end to end");
    assert!(end_to_end.contains("<td>1.00</td>"), "{end_to_end}");
    assert!(!html.contains("<script"), "self-contained, no script");

    // Not a report, another schema version, a missing file.
    let not = dir.join("not.json");
    std::fs::write(&not, "{\"session\": 1}").unwrap();
    let not_path = not.to_str().unwrap();
    assert_clear_error(
        &compare(&[a_path, not_path]),
        &["not.json is not a latency report"],
    );
    let mut v2 = a.clone();
    v2["schema"] = Value::from("neuroloop-latency-report/2");
    std::fs::write(&not, v2.to_string()).unwrap();
    assert_clear_error(
        &compare(&[a_path, not_path]),
        &["schema \"neuroloop-latency-report/2\""],
    );
    assert_clear_error(
        &compare(&["missing.json", a_path]),
        &["cannot read missing.json"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_latency_names_each_bad_input() {
    let dir = scratch("bench-bad");
    let run = run_for(
        &["bench", "latency", "no-such.toml"],
        Duration::from_secs(30),
    );
    assert_clear_error(&run, &["no-such.toml"]);
    let cfg = demo(&dir);
    let run = run_for(
        &["bench", "latency", cfg.to_str().unwrap(), "--duration=-1"],
        Duration::from_secs(30),
    );
    assert_clear_error(&run, &["--duration"]);
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let run = run_for(
        &[
            "bench",
            "latency",
            cfg.to_str().unwrap(),
            "--duration",
            "1",
            "--out",
            file.to_str().unwrap(),
        ],
        Duration::from_secs(60),
    );
    assert_clear_error(&run, &["cannot create", "a-file"]);
    let _ = std::fs::remove_dir_all(&dir);
}
