//! Streams that are not what they say: an outlet that comes back under the
//! same source id with another channel count ends the source with an error
//! naming the change (not a silent stall), and a stream sending at ten
//! times its nominal rate shows its measured rate.

use std::time::{Duration, Instant};

use neuroloop_lsl::Settings;
use neuroloop_runtime::StartOptions;
use neuroloop_sources::SourceError;
use neuroloop_sources::lsl::LslSource;
use neuroloop_tests::repo_root;

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

#[test]
fn a_session_reports_a_stream_at_ten_times_its_rate_and_its_nan_values() {
    let name = format!("nl-test-fast-session-{}", std::process::id());
    let spec = profile_spec();
    let labels = spec.labels().collect::<Vec<_>>().join(",");
    // 40 s of 250 Hz data sent in 4 s, channel 0 NaN in the first 50.
    let mut peer = outlet(
        &name,
        "",
        &labels,
        &[
            "--samples",
            "10000",
            "--send-rate",
            "2500",
            "--nan-count",
            "50",
            "--linger-s",
            "1.5",
        ],
    );
    peer.expect_line("open");
    let text = format!(
        "[session]\nname = \"fast\"\nhardware_profile = \"lsl-eeg-8\"\nring_s = 30.0\n\
         [source]\ntype = \"lsl\"\nname = {name:?}\nresolve_timeout_s = 15.0\nclasses = [\"left\", \"right\"]\n\
         [lsl]\nscope = \"machine\"\nknown_peers = [\"127.0.0.1\"]\nipv6 = false\n\
         [pipeline]\nfilters = [{{ type = \"bandpass\", low_hz = 8.0, high_hz = 30.0, order = 4 }}]\n\
         window_s = 1.0\nhop_s = 0.1\n\
         [decoder]\ntype = \"bandpower\"\nbands_hz = [[8.0, 13.0], [13.0, 30.0]]\ncalibration_s = 60.0\n"
    );
    let path = repo_root().join("configs/fast-lsl.toml");
    let session = neuroloop_runtime::parse(&text, &path).expect("config valid");
    let running = neuroloop_runtime::start(
        session,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            ..StartOptions::default()
        },
    )
    .expect("session starts");
    peer.expect_line("consumer");
    peer.expect_line("done");
    peer.wait(Duration::from_secs(20));
    let report = running.finish().expect("session finishes");
    assert_eq!(report.samples_produced, 10_000);
    assert_eq!(report.non_finite_samples, 50, "{report:?}");
    let stream = &report.streams[0];
    assert_eq!(stream.nominal_hz, 250.0);
    let measured = stream
        .measured_hz
        .unwrap_or_else(|| panic!("no rate in {}", serde_json::to_string(&report).unwrap()));
    assert!(measured > 1000.0, "measured {measured} Hz");
    assert_eq!(report.ring_dropped, 0);
    assert!(stream.off_nominal);
    assert!(report.summary().contains("OFF NOMINAL"));
}
