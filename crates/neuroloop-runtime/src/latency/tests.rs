use super::*;
use neuroloop_core::{IntentKind, MAX_CLASSES};

fn intent(reason: HoldReason, times: IntentTimes) -> Intent {
    Intent {
        window: 0,
        kind: IntentKind::Hold,
        hold_reason: reason,
        class: 0,
        confidence: 0.0,
        probabilities: [0.0; MAX_CLASSES],
        n_classes: 2,
        times,
    }
}

/// Stamps `arrival` then each stage's duration in turn (seconds).
fn staged(sample_time: f64, arrival: f64, stages: [f64; 6]) -> IntentTimes {
    let mut t = IntentTimes {
        sample_time,
        ..IntentTimes::all_at(arrival)
    };
    let mut now = arrival;
    let slots = [
        &mut t.wake,
        &mut t.filtered,
        &mut t.decode_start,
        &mut t.decode_end,
        &mut t.decided,
        &mut t.publish,
    ];
    for (slot, d) in slots.into_iter().zip(stages) {
        now += d;
        *slot = now;
    }
    t
}

#[test]
fn records_differences_of_timestamps() {
    let mut h = LatencyHistograms::new();
    for i in 0..100 {
        let base = 10.0 + f64::from(i);
        let extra = f64::from(i) * 1e-5;
        let t = staged(base, base, [0.0, 0.0, 0.0001, 0.0002, 0.0, 0.0002 + extra]);
        h.record(&intent(HoldReason::Dwell, t));
    }
    let e2e = LatencyHistograms::summary(&h.end_to_end);
    assert_eq!(e2e.count, 100);
    assert!((e2e.p50_ms - 0.995).abs() < 0.01, "{e2e:?}");
    assert!((e2e.max_ms - 1.49).abs() < 0.01, "{e2e:?}");
    assert_eq!(
        h.decoded_end_to_end.len(),
        100,
        "dwell holds are decoded windows"
    );
    let d = LatencyHistograms::summary(&h.decode);
    assert!((d.p50_ms - 0.2).abs() < 0.005, "{d:?}");
}

#[test]
fn stage_means_add_up_to_the_end_to_end_mean() {
    let mut h = LatencyHistograms::new();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let n: u32 = 5000;
    let mut exact = [0.0f64; 6];
    for i in 0..n {
        // Stages from 0.3 µs to 30 ms, skewed like real ones.
        let stages: [f64; 6] = std::array::from_fn(|_| 3e-7 * 1e5f64.powf(next()));
        for (sum, d) in exact.iter_mut().zip(stages) {
            *sum += d;
        }
        let arrival = 100.0 + f64::from(i) * 0.004;
        h.record(&intent(
            HoldReason::None,
            staged(arrival - 0.002, arrival, stages),
        ));
    }
    let e2e = LatencyHistograms::summary(&h.decoded_end_to_end);
    let stage_means: Vec<f64> = Stage::ALL
        .iter()
        .map(|&s| LatencyHistograms::summary(h.stage(s)).mean_ms)
        .collect();
    let sum: f64 = stage_means.iter().sum();
    // Resolution: each value rounded to 1 µs (0.5 µs per stage) and kept
    // to three significant digits (0.1 % of it).
    let resolution_ms = 6.0 * 0.5e-3 + 1e-3 * e2e.mean_ms;
    assert!(
        (sum - e2e.mean_ms).abs() <= resolution_ms,
        "stage means {stage_means:?} add up to {sum} ms, end to end {} ms",
        e2e.mean_ms
    );
    for (s, (mean, exact)) in Stage::ALL.iter().zip(stage_means.iter().zip(exact)) {
        let exact_ms = exact / f64::from(n) * 1e3;
        assert!(
            (mean - exact_ms).abs() <= 0.5e-3 + 1e-3 * exact_ms,
            "{s:?}: histogram mean {mean} ms, exact {exact_ms} ms"
        );
    }
    let transport = LatencyHistograms::summary(&h.transport);
    assert_eq!(transport.count, u64::from(n));
    assert!((transport.p50_ms - 2.0).abs() < 0.005, "{transport:?}");
    assert!(
        transport.stdev_ms < 0.005,
        "a constant delay has no jitter: {transport:?}"
    );
}

#[test]
fn calibration_and_signal_loss_holds_are_not_stages_and_foreign_clocks_are_counted() {
    let mut h = LatencyHistograms::new();
    let stages = [1e-3; 6];
    h.record(&intent(HoldReason::Calibrating, staged(0.5, 1.0, stages)));
    h.record(&intent(HoldReason::SignalLoss, staged(0.5, 1.0, stages)));
    h.record(&intent(HoldReason::None, staged(1.0e6, 2.0, stages)));
    h.record(&intent(HoldReason::None, staged(2.5, 3.0, stages)));
    assert_eq!(h.end_to_end.len(), 4);
    for s in Stage::ALL {
        assert_eq!(h.stage(s).len(), 2, "{s:?}");
        assert_eq!(h.stage(s).max(), 1000, "{s:?}");
    }
    assert_eq!(
        h.transport.len(),
        1,
        "a sample stamped after its arrival is no delay"
    );
    assert_eq!(h.transport_out_of_range, 1);
    assert!(h.transport.equivalent(h.transport.max(), 500_000), "0.5 s");
}

#[test]
fn without_stage_timing_only_the_stages_are_left_out() {
    let mut h = LatencyHistograms::new();
    let mut t = staged(
        10.0,
        10.001,
        [0.0001, 0.0002, 0.0001, 0.0003, 0.0001, 0.0002],
    );
    (t.wake, t.filtered, t.decided) = (f64::NAN, f64::NAN, f64::NAN);
    h.record(&intent(HoldReason::Dwell, t));
    assert_eq!((h.end_to_end.len(), h.decoded_end_to_end.len()), (1, 1));
    assert_eq!((h.decode.len(), h.transport.len()), (1, 1));
    for stage in Stage::ALL {
        assert!(
            h.stage(stage).is_empty(),
            "{stage:?} recorded without stamps"
        );
    }
}
