//! A stream without a source id, lost and started again: the source finds
//! it in the background and resumes; another source id is refused.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use neuroloop_core::clock;
use neuroloop_lsl::Settings;
use neuroloop_sources::lsl::LslSource;

use super::harness::{Running, Steps, pipeline};
use super::{Peer, profile_spec, source_config};

fn read_times(file: &PathBuf) -> Vec<f64> {
    std::fs::read_to_string(file)
        .expect("peer timestamps")
        .lines()
        .map(|l| l.parse().expect("timestamp"))
        .collect()
}

#[test]
fn a_lost_stream_without_source_id_is_found_again_and_another_source_is_refused() {
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let ch = spec.channel_count();
    let name = format!("nl-test-reresolve-{}", std::process::id());
    let files: Vec<PathBuf> = (0..3)
        .map(|i| std::env::temp_dir().join(format!("{name}-{i}.times")))
        .collect();
    let per_peer = 250;
    let start_peer = |file: &PathBuf, extra: &[&str]| {
        let samples = per_peer.to_string();
        let mut args = vec![
            "--name",
            &name,
            "--labels",
            &labels,
            "--samples",
            &samples,
            "--times-out",
            file.to_str().unwrap(),
            "--linger-s",
            "30",
        ];
        args.extend_from_slice(extra);
        Peer::start("outlet.py", &args)
    };
    let mut first = start_peer(&files[0], &[]);
    let mut config = source_config(&name);
    // Long enough that any hold before it comes from the loss itself.
    config.stall_s = 5.0;
    let source = LslSource::open(&config, spec.clone(), &Settings::default()).expect("open");
    let (running, reader) = Running::start(source, 4096);
    let (mut pipeline, intents, _trainer) = pipeline(reader, ch);
    let mut steps = Steps::default();
    first.expect_line("consumer");
    first.expect_line("done");
    let deadline = Instant::now() + Duration::from_secs(10);
    while steps.data.len() < per_peer * ch && Instant::now() < deadline {
        steps.step(&mut pipeline, &intents);
    }
    assert_eq!(
        steps.data.len(),
        per_peer * ch,
        "the first outlet's samples"
    );
    // The outlet is killed: liblsl cannot recover a stream without a
    // source id, reports it lost, and the pipeline holds at once.
    drop(first);
    let killed = clock::now();
    let deadline = Instant::now() + Duration::from_secs(4);
    while steps.signal_loss.is_empty() && Instant::now() < deadline {
        steps.step(&mut pipeline, &intents);
    }
    assert_eq!(steps.signal_loss.len(), 1, "a signal_loss hold on the loss");
    let hold_after = steps.signal_loss[0] - killed;
    eprintln!("signal_loss hold {:.1} ms after the kill", hold_after * 1e3);
    assert!(
        hold_after < 3.0,
        "the loss, not stall_s (5 s), caused the hold: {hold_after} s"
    );
    // A stream with the same name but another source id is not adopted.
    let mut intruder = start_peer(
        &files[2],
        &[
            "--source-id",
            "intruder",
            "--value-offset",
            "1000000",
            "--announce",
        ],
    );
    intruder.expect_line("open");
    // The background resolver looks again every 0.5–0.75 s; liblsl's
    // discovery of a new outlet can take a few of those on a loaded machine.
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        steps.step(&mut pipeline, &intents);
    }
    assert_eq!(steps.data.len(), per_peer * ch, "nothing from the intruder");
    // The same stream (no source id) comes back: the source resumes.
    let mut second = start_peer(&files[1], &[]);
    second.expect_line("consumer");
    second.expect_line("done");
    let deadline = Instant::now() + Duration::from_secs(10);
    while steps.data.len() < 2 * per_peer * ch && Instant::now() < deadline {
        steps.step(&mut pipeline, &intents);
    }
    let report = running.finish();
    eprintln!("{report:?}; gaps {:?}", steps.gaps);
    assert_eq!(report.samples, 2 * per_peer as u64);
    assert_eq!(
        (report.losses, report.reresolutions, report.refused),
        (1, 1, 1),
        "one loss, one re-resolution, the intruder refused"
    );
    let one: Vec<f32> = (0..per_peer * ch).map(|v| v as f32).collect();
    assert_eq!(steps.data, [one.clone(), one].concat(), "values exact");
    let (t0, t1) = (read_times(&files[0]), read_times(&files[1]));
    let expected = ((t1[0] - t0[per_peer - 1]) * 250.0).round() as u64 - 1;
    assert!(expected > 500, "the outage lasted over 2 s: {expected}");
    assert_eq!(
        steps.gaps,
        [(per_peer, expected)],
        "one gap, of exactly the missing samples"
    );
    assert_eq!(steps.signal_loss.len(), 2, "and its hold on resuming");
    assert_eq!(
        pipeline.stats.snapshot().stalls,
        1,
        "the loss was one stall"
    );
    for f in files {
        let _ = std::fs::remove_file(f);
    }
}
