//! An outlet with a source id that falls silent, goes and comes back: the
//! pipeline holds during the outage, and the missing samples are one gap of
//! exactly their number, with the values exact on both sides.

use std::path::PathBuf;
use std::time::{Duration, Instant};

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
fn a_restarted_outlet_resumes_after_a_gap_of_the_missing_samples() {
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let ch = spec.channel_count();
    let name = format!("nl-test-restart-{}", std::process::id());
    let source_id = format!("{name}-src");
    let files: Vec<PathBuf> = (0..2)
        .map(|i| std::env::temp_dir().join(format!("{name}-{i}.times")))
        .collect();
    let per_peer = 250;
    let start_peer = |file: &PathBuf| {
        Peer::start(
            "outlet.py",
            &[
                "--name",
                &name,
                "--source-id",
                &source_id,
                "--labels",
                &labels,
                "--samples",
                &per_peer.to_string(),
                "--times-out",
                file.to_str().unwrap(),
                "--linger-s",
                "0.5",
            ],
        )
    };
    let mut first = start_peer(&files[0]);
    let mut config = source_config(&name);
    config.stall_s = 0.5;
    let source = LslSource::open(&config, spec.clone(), &Settings::default()).expect("open");
    let (running, reader) = Running::start(source, 4096);
    let (mut pipeline, intents, _trainer) = pipeline(reader, ch);
    let mut steps = Steps::default();
    first.expect_line("consumer");
    // The outlet sends its samples, then falls silent and goes: the stall
    // reaches the pipeline, which holds now, before the outlet comes back.
    let deadline = Instant::now() + Duration::from_secs(10);
    while (steps.data.len() < per_peer * ch || steps.signal_loss.is_empty())
        && Instant::now() < deadline
    {
        steps.step(&mut pipeline, &intents);
    }
    assert_eq!(
        steps.data.len(),
        per_peer * ch,
        "the first outlet's samples"
    );
    assert_eq!(
        steps.signal_loss.len(),
        1,
        "one signal_loss hold during the outage"
    );
    let stall_hold_after = steps.signal_loss[0] - steps.newest_at_hold[0];
    eprintln!(
        "signal_loss hold {:.1} ms after the last sample (stall_s {} s), before the restart",
        stall_hold_after * 1e3,
        config.stall_s
    );
    // Typically stall_s + 3–7 ms; the margin absorbs scheduling on a loaded
    // 2-core machine while still placing the hold well inside the outage.
    assert!(
        stall_hold_after >= config.stall_s && stall_hold_after < config.stall_s + 0.75,
        "the hold came within stall_s + 0.75 s of the last sample: {stall_hold_after} s"
    );
    assert_eq!(pipeline.stats.snapshot().stalls, 1);
    first.expect_line("done");
    // Its process has exited: the outlet is gone. It comes back with the
    // same source id once the next peer has started.
    first.wait(Duration::from_secs(10));
    steps.step(&mut pipeline, &intents);
    assert_eq!(
        steps.signal_loss.len(),
        1,
        "nothing more while the stall lasts"
    );
    let mut second = start_peer(&files[1]);
    second.expect_line("consumer");
    second.expect_line("done");

    let deadline = Instant::now() + Duration::from_secs(20);
    while steps.data.len() < 2 * per_peer * ch && Instant::now() < deadline {
        steps.step(&mut pipeline, &intents);
    }
    assert_eq!(
        steps.signal_loss.len(),
        2,
        "the gap's signal_loss hold on resuming"
    );
    assert_eq!(pipeline.stats.snapshot().stalls, 1, "one stall");
    second.wait(Duration::from_secs(10));
    let report = running.finish();
    assert_eq!(
        report.samples,
        2 * per_peer as u64,
        "both outlets' samples arrived"
    );
    let one: Vec<f32> = (0..per_peer * ch).map(|v| v as f32).collect();
    assert_eq!(
        steps.data,
        [one.clone(), one].concat(),
        "values exact across the restart"
    );
    let times: Vec<Vec<f64>> = files.iter().map(read_times).collect();
    let expected = ((times[1][0] - times[0][per_peer - 1]) * 250.0).round() as u64 - 1;
    eprintln!(
        "gap of {expected} samples between the outlets; ring gaps {:?}",
        steps.gaps
    );
    assert!(
        expected > 300,
        "the outage lasted over a second: {expected}"
    );
    assert_eq!(
        steps.gaps,
        [(per_peer, expected)],
        "one gap, of exactly the missing samples"
    );
    for f in files {
        let _ = std::fs::remove_file(f);
    }
}
