//! Streams that are not what they say: an outlet that comes back under the
//! same source id with another channel count ends the source with an error
//! naming the change (not a silent stall), and a stream sending at ten
//! times its nominal rate shows its measured rate.

use std::time::{Duration, Instant};

use neuroloop_lsl::Settings;
use neuroloop_sources::SourceError;
use neuroloop_sources::lsl::LslSource;

use super::harness::Running;
use super::{Peer, profile_spec, source_config};

fn outlet(name: &str, source_id: &str, labels: &str, extra: &[&str]) -> Peer {
    let times = std::env::temp_dir().join(format!("{name}-{}.times", labels.len()));
    let mut args = vec![
        "--name",
        name,
        "--source-id",
        source_id,
        "--labels",
        labels,
        "--times-out",
        times.to_str().unwrap(),
        "--announce",
    ];
    args.extend_from_slice(extra);
    Peer::start("outlet.py", &args)
}

#[test]
fn an_outlet_back_with_another_channel_count_is_named_in_the_error() {
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let name = format!("nl-test-reshape-{}", std::process::id());
    let source_id = format!("{name}-src");
    let mut first = outlet(
        &name,
        &source_id,
        &labels,
        &["--samples", "250", "--linger-s", "0.3"],
    );
    first.expect_line("open");
    let mut config = source_config(&name);
    config.stall_s = 0.5;
    let source = LslSource::open(&config, spec.clone(), &Settings::default()).expect("open");
    let (running, _reader) = Running::start(source, 4096);
    first.expect_line("consumer");
    first.wait(Duration::from_secs(20));
    // The same source id, twice the channels.
    let wider: Vec<String> = (1..=2 * spec.channel_count())
        .map(|i| format!("X{i}"))
        .collect();
    let mut second = outlet(
        &name,
        &source_id,
        &wider.join(","),
        &["--samples", "250", "--consumer-timeout-s", "30"],
    );
    second.expect_line("open");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !running.is_finished() {
        assert!(
            Instant::now() < deadline,
            "the source still waits for the old shape"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    match running.join() {
        Err(SourceError::InvalidData(message)) => {
            for expected in [
                name.as_str(),
                source_id.as_str(),
                &format!(
                    "{} channels instead of {}",
                    2 * spec.channel_count(),
                    spec.channel_count()
                ),
            ] {
                assert!(message.contains(expected), "{expected:?} not in {message}");
            }
        }
        other => panic!("expected the shape change as an error, got {other:?}"),
    }
}

#[test]
fn a_stream_sending_ten_times_its_nominal_rate_shows_its_measured_rate() {
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    let name = format!("nl-test-fast-{}", std::process::id());
    // 2 s at ten times the nominal 250 Hz.
    let mut peer = outlet(
        &name,
        "",
        &labels,
        &[
            "--samples",
            "5000",
            "--send-rate",
            "2500",
            "--linger-s",
            "0.5",
        ],
    );
    peer.expect_line("open");
    let source =
        LslSource::open(&source_config(&name), spec.clone(), &Settings::default()).expect("open");
    let (running, reader) = Running::start(source, 8192);
    peer.expect_line("consumer");
    peer.wait(Duration::from_secs(30));
    let timing = reader.stats();
    let rate = timing.timing().measured_rate().expect("a rate");
    drop(running.finish());
    assert_eq!(spec.sample_rate, 250.0);
    assert!(rate > 1500.0 && rate < 4000.0, "measured {rate} Hz");
    let reported = neuroloop_sources::StreamRate::new(&name, spec.sample_rate, Some(rate));
    assert!(reported.off_nominal);
}
