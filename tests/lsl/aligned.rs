//! Two data streams in one session (`[[source.inlets]]`): EEG and EMG from
//! pylsl, paired by corrected timestamp into one combined stream.

use std::time::{Duration, Instant};

use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec, clock};
use neuroloop_lsl::Settings;
use neuroloop_sources::lsl::{LslConfig, LslSource};

use super::Peer;
use super::harness::Running;

/// A pylsl outlet of samples `first .. first + count` on the grid from `t0`
/// (sample i, channel c: `i * channels + c + offset`).
/// `t0` None: sent later on stdin.
fn outlet(
    name: &str,
    labels: &str,
    t0: Option<f64>,
    range: (usize, usize),
    extra: &[&str],
) -> Peer {
    let file = std::env::temp_dir().join(format!("{name}-{}.times", range.0));
    let t0 = t0.map_or_else(|| "stdin".to_string(), |t| t.to_string());
    let (first, count) = (range.0.to_string(), range.1.to_string());
    let mut args = vec![
        "--name",
        name,
        "--labels",
        labels,
        "--t0",
        &t0,
        "--first",
        &first,
        "--samples",
        &count,
        "--times-out",
        file.to_str().unwrap(),
        "--linger-s",
        "30",
    ];
    args.extend_from_slice(extra);
    Peer::start("outlet.py", &args)
}

#[test]
fn eeg_and_emg_pair_by_timestamp_and_a_vanished_emg_is_a_gap() {
    let id = std::process::id();
    let (eeg, emg) = (format!("nl-test-eeg-{id}"), format!("nl-test-emg-{id}"));
    let eeg_labels = "EEG1,EEG2,EEG3,EEG4,EEG5,EEG6,EEG7,EEG8";
    // EEG samples 0..2500 (10 s); the EMG, 1.3 ms later on the same grid,
    // starts at sample 37, vanishes (killed) after sample 399, and a new
    // EMG outlet (no source id: found again by the source) sends from 900.
    let (samples, lag, vanish, back) = (2500, 37, 400, 900);
    let emg_args = [
        "--type",
        "EMG",
        "--offset-ms",
        "1.3",
        "--value-offset",
        "100000",
    ];
    let mut eeg_peer = outlet(&eeg, eeg_labels, None, (0, samples), &[]);
    let mut emg_peer = outlet(&emg, "EMG1,EMG2", None, (lag, vanish - lag), &emg_args);
    let channels: Vec<ChannelSpec> = eeg_labels
        .split(',')
        .chain(["EMG1", "EMG2"])
        .map(ChannelSpec::eeg)
        .collect();
    let spec = StreamSpec {
        name: "eeg+emg".into(),
        channels,
        sample_rate: 250.0,
        block_size: 10,
    };
    let config: LslConfig = toml::from_str(&format!(
        "type = \"lsl\"\nname = \"{eeg}\"\nstall_s = 0.5\nresolve_timeout_s = 15.0\n\
         classes = [\"left\", \"right\"]\n[[inlets]]\nname = \"{emg}\"\nchannels = 2"
    ))
    .expect("config");
    let source = LslSource::open(&config, spec, &Settings::default()).expect("open");
    let (running, mut reader) = Running::start(source, 8192);
    let stats = reader.stats();
    eeg_peer.expect_line("consumer");
    emg_peer.expect_line("consumer");
    // Both streams are connected: one grid for both from now on.
    let t0 = clock::now() + 0.2;
    eeg_peer.send(&t0.to_string());
    emg_peer.send(&t0.to_string());
    // Pop everything, tracking each combined sample's position in the
    // stream (gaps included) and its values.
    let mut block = SampleBlock::with_capacity(10, 256);
    let (mut position, mut combined, mut gaps) = (0u64, Vec::new(), Vec::new());
    let mut emg_back = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    while position < samples as u64 && Instant::now() < deadline {
        if emg_back.is_none() && clock::now() > t0 + vanish as f64 / 250.0 + 0.2 {
            emg_peer.expect_line("done");
            drop(std::mem::replace(
                &mut emg_peer,
                outlet(
                    &emg,
                    "EMG1,EMG2",
                    Some(t0),
                    (back, samples - back),
                    &emg_args,
                ),
            ));
            emg_back = Some(());
        }
        let popped = reader.pop_into(&mut block);
        if let Some(g) = popped.gap {
            assert_eq!(g.first, position);
            gaps.push((g.first, g.count));
            position += g.count;
        }
        if popped.samples == 0 {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        }
        for row in block.data().chunks(10) {
            combined.push((position, row.to_vec()));
            position += 1;
        }
    }
    eeg_peer.expect_line("done");
    let report = running.finish();
    eprintln!(
        "{report:?}; gaps {gaps:?}; ring stalls {}; {} combined samples",
        stats.stalls(),
        combined.len()
    );
    assert_eq!(
        report.samples, samples as u64,
        "every EEG sample was pulled"
    );
    for (position, row) in &combined {
        let i = (row[0] / 8.0) as u64;
        assert_eq!(i, *position, "the ring's index is the EEG index");
        let expected_eeg: Vec<f32> = (0..8).map(|c| (i * 8 + c) as f32).collect();
        assert_eq!(row[..8], expected_eeg[..]);
        let expected_emg = [100_000.0 + (i * 2) as f32, 100_001.0 + (i * 2) as f32];
        assert_eq!(row[8..], expected_emg, "EEG {i} pairs with EMG {i}");
    }
    assert_eq!(gaps[0], (0, lag as u64), "EEG before the EMG began");
    let pairs = |from: u64, to: u64| {
        combined
            .iter()
            .filter(|(p, _)| (from..to).contains(p))
            .count()
    };
    assert_eq!(pairs(lag as u64, vanish as u64), vanish - lag, "all paired");
    assert_eq!(
        pairs(vanish as u64, back as u64),
        0,
        "none while the EMG was away"
    );
    assert!(
        pairs(back as u64, samples as u64) > 400,
        "paired again once the EMG was found again: {}",
        pairs(back as u64, samples as u64)
    );
    assert_eq!((report.losses, report.reresolutions), (1, 1), "the EMG");
    let gap_total: u64 = gaps.iter().map(|g| g.1).sum();
    assert_eq!(position, samples as u64, "the last EEG sample paired too");
    assert_eq!(
        report.unaligned, gap_total,
        "every EEG sample without a partner was counted"
    );
    assert!(stats.stalls() >= 1, "the ring was marked stalled meanwhile");
}
