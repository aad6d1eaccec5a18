//! The flags `train` and `evaluate` share: a file given twice is refused by
//! both, progress written to a pipe is plain lines (no `\r`), the filter
//! chain used is stated, `--windows events` makes an event-locked bundle;
//! and `neuroloop --help` lists every command of the README.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use neuroloop_decode::bundle::{Bundle, MANIFEST_FILE, WindowDescription};

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn data(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/physionet-eegmmidb")
        .join(name);
    assert!(path.is_file(), "{} is missing", path.display());
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("neuroloop runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `command` on S001 R06 hands vs feet, 0.5–2.5 s, three channels.
fn offline<'a>(command: &'a str, recording: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        command,
        "--recording",
        recording,
        "--events",
        "T1=hands,T2=feet",
        "--tmin",
        "0.5",
        "--tmax",
        "2.5",
        "--channels",
        "C3..,Cz..,C4..",
    ];
    args.extend(extra);
    args
}

#[test]
fn a_recording_given_twice_is_refused_by_train_and_evaluate() {
    let r06 = data("S001R06.edf");
    let r06 = r06.to_str().unwrap();
    // The same file under another spelling.
    let again = format!(
        "{}/../{}/S001R06.edf",
        Path::new(r06).parent().unwrap().display(),
        "physionet-eegmmidb"
    );
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("twice-bundle");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = out_dir.to_str().unwrap();
    for args in [
        offline(
            "train",
            r06,
            &[
                "--recording",
                &again,
                "--architecture",
                "csp_lda",
                "--out",
                out,
            ],
        ),
        offline(
            "evaluate",
            r06,
            &["--recording", r06, "--architecture", "csp_lda"],
        ),
        offline(
            "evaluate",
            r06,
            &["--test-recording", &again, "--architecture", "csp_lda"],
        ),
    ] {
        let result = run(&args);
        assert_eq!(result.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&result).contains("is given twice"),
            "{args:?}: {}",
            stderr(&result)
        );
    }
    assert!(!out_dir.join(MANIFEST_FILE).exists(), "nothing was trained");
}

#[test]
fn progress_into_a_pipe_is_plain_lines_and_the_filters_are_stated() {
    let r06 = data("S001R06.edf");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("progress-bundle");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = run(&offline(
        "train",
        r06.to_str().unwrap(),
        &[
            "--architecture",
            "eegnet",
            "--hyperparameters",
            r#"{"f1": 4, "kernel_length": 32}"#,
            "--max-epochs",
            "3",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains('\r'),
        "stderr is a pipe: no carriage returns: {err:?}"
    );
    for pass in 1..=3 {
        let line = format!("epoch {pass:>4}/3 ");
        assert_eq!(
            err.lines().filter(|l| l.starts_with(&line)).count(),
            1,
            "one line for pass {pass}: {err}"
        );
    }
    assert!(
        err.contains("filters: none (no --filters or --config given"),
        "the default chain is stated: {err}"
    );
    let manifest = std::fs::read_to_string(out_dir.join(MANIFEST_FILE)).unwrap();
    assert!(
        !manifest.contains("\"windows\""),
        "a fixed-hop bundle is written as before: {manifest}"
    );

    let out = run(&offline(
        "evaluate",
        r06.to_str().unwrap(),
        &[
            "--architecture",
            "csp_lda",
            "--hyperparameters",
            r#"{"pairs": 1}"#,
            "--filters",
            "bandpass 8-30",
            "--folds",
            "3",
        ],
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("filters: bandpass 8-30"), "{text}");
    assert!(text.contains("3-fold"), "{text}");
}

#[test]
fn train_with_event_windows_writes_an_event_locked_bundle() {
    let r06 = data("S001R06.edf");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("events-bundle");
    let _ = std::fs::remove_dir_all(&out_dir);
    let out = run(&offline(
        "train",
        r06.to_str().unwrap(),
        &[
            "--architecture",
            "csp_lda",
            "--hyperparameters",
            r#"{"pairs": 1}"#,
            "--filters",
            "bandpass 8-30",
            "--windows",
            "events",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let bundle = Bundle::load(&out_dir).unwrap();
    let m = bundle.manifest();
    assert_eq!(m.windows, WindowDescription::Events { offset_s: 0.5 });
    assert_eq!(m.window_samples, 320, "tmax - tmin at 160 Hz");
    assert_eq!(m.preprocessing.filters[0]["type"], "bandpass");

    // A session for the bundle names no window: `check` finds the bundle's
    // event windows.
    let dir = out_dir.parent().unwrap().join("events-session");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("motor.toml"),
        "name = \"motor\"\ndescription = \"eegmmidb subset\"\ntransport = \"lsl\"\n\
         sample_rate = 160.0\nblock_size = 8\nscale_uv_per_count = 1.0\nmontage = \"10-10\"\n\
         channels = [\"C3..\", \"Cz..\", \"C4..\"]\n",
    )
    .unwrap();
    let config = dir.join("session.toml");
    std::fs::write(
        &config,
        format!(
            "[session]\nname = \"events\"\nhardware_profile = \"motor.toml\"\n\n\
             [source]\ntype = \"lsl\"\nname = \"eegmmidb\"\nclasses = [\"hands\", \"feet\"]\n\n\
             [pipeline]\nfilters = [{{ type = \"bandpass\", low_hz = 8.0, high_hz = 30.0, order = 4 }}]\n\n\
             [decoder]\ntype = \"bundle\"\npath = {:?}\n",
            out_dir.display().to_string()
        ),
    )
    .unwrap();
    let check = run(&["check", config.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{said}{}", stderr(&check));
    assert!(
        said.contains("one window of 320 samples per event, from 0.5 s after it"),
        "{said}"
    );

    let folds = run(&offline(
        "train",
        r06.to_str().unwrap(),
        &[
            "--architecture",
            "csp_lda",
            "--folds",
            "3",
            "--out",
            out_dir.to_str().unwrap(),
        ],
    ));
    assert_eq!(folds.status.code(), Some(1));
    assert!(
        stderr(&folds).contains("folds belong to evaluate"),
        "{}",
        stderr(&folds)
    );
}

#[test]
fn help_lists_every_command_of_the_readme() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let documented: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `neuroloop "))
        .filter_map(|l| l.split([' ', '`']).next())
        .collect();
    assert!(documented.len() >= 7, "{documented:?}");
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let listed: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    let mut a = documented.clone();
    let mut b = listed.clone();
    a.sort_unstable();
    // A command with subcommands (bench latency, bench compare) has a row
    // for each.
    a.dedup();
    b.sort_unstable();
    assert_eq!(a, b, "README commands vs --help:\n{help}");
}

#[test]
fn evaluate_takes_train_and_test_recordings_by_name() {
    let r06 = data("S001R06.edf");
    let r10 = data("S001R10.edf");
    let (r06, r10) = (r06.to_str().unwrap(), r10.to_str().unwrap());
    let out = run(&[
        "evaluate",
        "--train-recording",
        r06,
        "--test-recording",
        r10,
        "--events",
        "T1=hands,T2=feet",
        "--tmin",
        "0.5",
        "--tmax",
        "2.5",
        "--channels",
        "C3..,Cz..,C4..",
        "--architecture",
        "tangent_space",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let value: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("evaluate --json prints one JSON object");
    // Fitted on R06 only and scored on R10's 15 trials: a k-fold run would
    // have no `held_out` and would list R10 nowhere.
    assert_eq!(value["recordings"], serde_json::json!([r06]));
    assert_eq!(value["test_recordings"], serde_json::json!([r10]));
    assert_eq!(value["held_out"]["n_test"], 15, "{value}");
}
