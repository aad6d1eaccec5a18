//! A recording survives `kill -9`: `neuroloop run` on the real-time demo
//! session with `[record] flush_s = 0.5` is killed with SIGKILL after a
//! few seconds. The file then reads in the crate's reader and in pyxdf
//! (the repository's `.venv`): its input ends within 1 s of the kill, and
//! every sample in it is the simulator's sample of that index (regenerated
//! here with the same seed) at its place on the 250 Hz grid.

mod common;

use common::*;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use neuroloop_core::clock;
use neuroloop_formats::xdf::{XdfOptions, read_xdf};
use neuroloop_sources::sim::{SimConfig, SimGenerator};

const FS: f64 = 250.0;

#[test]
fn a_recording_killed_with_sigkill_reads_up_to_the_kill() {
    let python = common::venv_python("pyxdf");
    let has_pyxdf = Command::new(&python)
        .args(["-c", "import pyxdf"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_pyxdf,
        "{} with pyxdf is needed to read the recording: run scripts/setup-python.sh",
        python.display()
    );
    let dir = scratch("record-kill");
    let (path, _) = config(&dir, "demo.toml", &[]);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[record]\npath = \"killed.xdf\"\nflush_s = 0.5\n");
    std::fs::write(&path, &text).unwrap();
    let xdf = dir.join("configs/killed.xdf");
    let _ = std::fs::remove_file(&xdf);
    let cfg = neuroloop_runtime::parse(&text, &path).expect("config valid");
    let mut child = Command::new(BIN)
        .args(["run", path.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the file, read as it is being written, holds three
    // seconds of input (the recorder flushes every 0.5 s).
    let recorded = |xdf: &Path| {
        read_xdf(xdf, &XdfOptions::raw())
            .ok()
            .and_then(|f| f.streams.first().map(|s| s.samples.time_stamps.len()))
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while (recorded(&xdf) as f64) < 3.0 * FS {
        assert!(
            Instant::now() < deadline,
            "3 s of input never reached the file"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed_at = clock::now();
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");

    let file = read_xdf(&xdf, &XdfOptions::raw()).expect("a killed recording reads");
    assert!(file.damaged.is_empty(), "{:?}", file.damaged);
    let input = &file.streams[0];
    assert_eq!(input.footer, None, "killed: no footer");
    let stamps = &input.samples.time_stamps;
    let n = stamps.len();
    assert!(n as f64 > 2.0 * FS, "only {n} samples recorded");
    let behind = killed_at - stamps[n - 1];
    assert!(
        (0.0..=1.0).contains(&behind),
        "the last sample is {behind} s before the kill"
    );
    // Each sample at its index on the grid: nothing lost or reordered.
    assert!(
        stamps
            .windows(2)
            .all(|w| ((w[1] - w[0]) * FS - 1.0).abs() < 1e-6),
        "the timestamps leave the 250 Hz grid"
    );
    // Each value is the simulator's for that sample index.
    let sim = cfg.source.downcast_ref::<SimConfig>().unwrap();
    let labels: Vec<&str> = cfg.pipeline.input.labels().collect();
    let mut generator = SimGenerator::new(&labels, FS, sim.line_hz, &sim.paradigm, sim.seed);
    let mut expected = vec![0f32; n * labels.len()];
    generator.fill(&mut expected, |_, _| {});
    let expected_f64: Vec<f64> = expected.iter().map(|&v| f64::from(v)).collect();
    assert!(
        input.samples.values == expected_f64,
        "recorded values differ from the simulator's"
    );
    pyxdf_reads_the_same(&python, &xdf, &dir.join("expected.f32"), &expected, stamps);
    std::fs::remove_dir_all(dir).unwrap();
}

/// pyxdf loads the killed file: the input has the same timestamps and
/// exactly the simulator's values.
fn pyxdf_reads_the_same(python: &Path, xdf: &Path, scratch: &Path, values: &[f32], stamps: &[f64]) {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(scratch, bytes).unwrap();
    let script = "import sys, numpy as np, pyxdf\n\
        streams, _ = pyxdf.load_xdf(sys.argv[1], synchronize_clocks=False, dejitter_timestamps=False)\n\
        s = [s for s in streams if s['info']['stream_id'] == 1][0]\n\
        x = s['time_series']\n\
        want = np.fromfile(sys.argv[2], '<f4').reshape(x.shape)\n\
        print(len(s['time_stamps']), repr(float(s['time_stamps'][0])), repr(float(s['time_stamps'][-1])), bool(np.array_equal(x, want)))";
    let out = Command::new(python)
        .args([
            "-c",
            script,
            xdf.to_str().unwrap(),
            scratch.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyxdf cannot read the killed recording: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = said.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "{said}");
    assert_eq!(fields[0].parse::<usize>().unwrap(), stamps.len(), "{said}");
    let first: f64 = fields[1].parse().unwrap();
    let last: f64 = fields[2].parse().unwrap();
    assert!((first - stamps[0]).abs() < 1e-9 && (last - stamps[stamps.len() - 1]).abs() < 1e-9);
    assert_eq!(
        fields[3], "True",
        "pyxdf's values differ from the simulator's"
    );
}
