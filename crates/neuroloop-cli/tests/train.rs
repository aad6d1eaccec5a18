//! `neuroloop train` on a real recording (PhysioNet eegmmidb S001, imagined
//! hands vs feet), then `neuroloop check` of a session that loads the
//! bundle: accepted against the profile it was trained for, refused with
//! the specific difference against another.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use neuroloop_core::Window;
use neuroloop_decode::bundle::Bundle;
use neuroloop_decode::fit::EpochSet;

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn data(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/physionet-eegmmidb")
        .join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

/// `n` deterministic values in about ±50 (µV, like the recording).
fn pseudo_random_window(n: usize) -> Vec<f32> {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 * 100.0 - 50.0
        })
        .collect()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("neuroloop runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// An LSL profile at 160 Hz with `channels`, in `dir`.
fn profile(dir: &Path, name: &str, channels: &[&str]) {
    let list: Vec<String> = channels.iter().map(|c| format!("{c:?}")).collect();
    std::fs::write(
        dir.join(format!("{name}.toml")),
        format!(
            "name = {name:?}\ndescription = \"eegmmidb montage subset\"\ntransport = \"lsl\"\n\
             sample_rate = 160.0\nblock_size = 8\nscale_uv_per_count = 1.0\nmontage = \"10-10\"\n\
             channels = [{}]\n",
            list.join(", ")
        ),
    )
    .unwrap();
}

/// A session on `profile` that loads the bundle in `bundle/`.
fn session(dir: &Path, name: &str, profile: &str, filters: &str) -> PathBuf {
    let path = dir.join(format!("{name}-session.toml"));
    std::fs::write(
        &path,
        format!(
            r#"[session]
name = "{name}"
hardware_profile = "{profile}.toml"

[source]
type = "lsl"
name = "eegmmidb"
classes = ["hands", "feet"]

[pipeline]
filters = [{filters}]
window_s = 2.0
hop_s = 0.1

[decoder]
type = "bundle"
path = "bundle"
"#
        ),
    )
    .unwrap();
    path
}

#[test]
fn trained_bundle_loads_and_sessions_are_checked_against_it() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("train-cli");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    profile(&dir, "motor", &["C3..", "Cz..", "C4.."]);
    profile(&dir, "swapped", &["C3..", "C4..", "Cz.."]);
    let bandpass = r#"{ type = "bandpass", low_hz = 4.0, high_hz = 40.0, order = 4 }"#;
    let config = session(&dir, "motor", "motor", bandpass);
    let bundle = dir.join("bundle");

    let (r06, r10) = (data("S001R06.edf"), data("S001R10.edf"));
    let train = |out: &Path| {
        run(&[
            "train",
            "--recording",
            r06.to_str().unwrap(),
            "--recording",
            r10.to_str().unwrap(),
            "--events",
            "T1=hands,T2=feet",
            "--tmin",
            "0.5",
            "--tmax",
            "2.5",
            "--architecture",
            "eegnet",
            "--hyperparameters",
            r#"{"f1": 4, "kernel_length": 32}"#,
            "--config",
            config.to_str().unwrap(),
            "--max-epochs",
            "8",
            "--seed",
            "3",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let out = train(&bundle);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("30 epochs (hands 14, feet 16)"), "{stderr}");
    assert!(stderr.contains("epoch    8/8"), "{stderr}");

    let loaded = Bundle::load(&bundle).unwrap();
    let m = loaded.manifest().clone();
    assert_eq!(m.channels, ["C3..", "Cz..", "C4.."]);
    assert_eq!((m.sample_rate, m.window_samples), (160.0, 320));
    assert_eq!(m.classes, ["hands", "feet"]);
    assert_eq!(m.training.seed, 3);
    assert_eq!(m.training.architecture, "eegnet");
    // 8 passes asked for; 20 % of the 30 epochs held out for validation.
    assert_eq!(m.training.epochs, 8);
    assert_eq!((m.training.n_train, m.training.n_validation), (24, 6));
    assert_eq!(m.preprocessing.filters.len(), 1);
    assert_eq!(m.preprocessing.filters[0]["type"], "bandpass");
    // The real-time decoder computes the loaded model's batch prediction.
    let window = pseudo_random_window(3 * 320);
    let set = EpochSet::new(3, 320, 160.0, m.classes.clone(), window.clone(), vec![0]).unwrap();
    let want = loaded.model().predict(&set).unwrap();
    let mut decoder = loaded.into_decoder().unwrap();
    assert_eq!(decoder.classes(), m.classes.as_slice());
    assert_eq!(decoder.input_shape(), (3, 320));
    let mut got = [0.0_f32; 2];
    let w = Window {
        index: 0,
        channels: 3,
        samples: 320,
        data: &window,
        oldest_time: 0.0,
        newest_time: 0.0,
        newest_arrival: 0.0,
    };
    decoder.decode(&w, &mut got).unwrap();
    eprintln!("decoder {got:?}, batch {want:?}");
    assert!(
        got.iter().zip(&want).all(|(a, b)| (a - b).abs() <= 2e-6),
        "decoder {got:?}, batch prediction {want:?}"
    );

    // The same seed trains the same model: identical losses and accuracies.
    let again = dir.join("again");
    assert!(train(&again).status.success());
    assert_eq!(
        Bundle::load(&again).unwrap().manifest().training,
        m.training
    );

    let out = run(&["check", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));

    let swapped = session(&dir, "swapped", "swapped", bandpass);
    let out = run(&["check", swapped.to_str().unwrap()]);
    assert!(!out.status.success());
    let report = text(&out);
    assert!(
        report.contains("channel 1 is Cz.. in the bundle but C4.. in the stream"),
        "{report}"
    );
    assert!(
        report.contains("channel 2 is C4.. in the bundle but Cz.. in the stream"),
        "{report}"
    );

    let narrow = r#"{ type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 }"#;
    let refiltered = session(&dir, "refiltered", "motor", narrow);
    let out = run(&["check", refiltered.to_str().unwrap()]);
    assert!(!out.status.success());
    let report = text(&out);
    assert!(report.contains("filter 0 is {"), "{report}");
    assert!(report.contains("in the bundle but"), "{report}");
    assert!(!report.contains("channel"), "{report}");
}

#[test]
fn bad_training_requests_fail_with_the_reason() {
    let r06 = data("S001R06.edf");
    let base = [
        "train",
        "--recording",
        r06.to_str().unwrap(),
        "--events",
        "T1=hands,T2=feet",
        "--tmin",
        "0.5",
        "--tmax",
        "2.5",
        "--out",
    ];
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("train-cli-bad");
    let mut args: Vec<&str> = base.to_vec();
    args.extend([out_dir.to_str().unwrap(), "--architecture", "resnet"]);
    let out = run(&args);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("\"resnet\" is not available"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("known: bandpower, cca_lr, csp_lda, eegnet"),
        "the registry's architectures are listed: {}",
        text(&out)
    );

    let mut args: Vec<&str> = base.to_vec();
    args.extend([
        out_dir.to_str().unwrap(),
        "--architecture",
        "eegnet",
        "--hyperparameters",
        r#"{"kernel_lenght": 32}"#,
    ]);
    let out = run(&args);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("eegnet.kernel_lenght"),
        "{}",
        text(&out)
    );

    // This build has no wgpu device (the test suite builds without the
    // `wgpu` feature): refused before any data is read, saying how to get it.
    let mut args: Vec<&str> = base.to_vec();
    args.extend([
        out_dir.to_str().unwrap(),
        "--architecture",
        "eegnet",
        "--device",
        "wgpu",
    ]);
    let out = run(&args);
    assert!(!out.status.success());
    assert!(text(&out).contains("--features wgpu"), "{}", text(&out));
    let mut args: Vec<&str> = base.to_vec();
    args.extend([out_dir.to_str().unwrap(), "--device", "tpu"]);
    assert!(text(&run(&args)).contains("known: cpu, wgpu"));
    assert!(!out_dir.join("decoder.json").exists());
}
