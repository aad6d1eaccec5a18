//! Event-locked windows: contents and timing, late markers, markers older
//! than the history, a full queue, gaps and the end of the stream.

use neuroloop_core::SampleBlock;
use neuroloop_dsp::{EventCounts, EventWindows};

const FS: f64 = 100.0;

/// A block of `n` samples from sample `start` (value = index + 1000 * ch,
/// time = index / FS + 3 ms).
fn block(channels: usize, start: usize, n: usize) -> SampleBlock {
    let mut b = SampleBlock::with_capacity(channels, n);
    {
        let (data, times, arrivals) = b.buffers_mut();
        for s in 0..n {
            for ch in 0..channels {
                data[s * channels + ch] = (start + s + 1000 * ch) as f32;
            }
            times[s] = (start + s) as f64 / FS + 0.003;
            arrivals[s] = times[s] + 0.01;
        }
    }
    b.set_len(n);
    b
}

/// Cut windows as (first value of channel 0 and 1, oldest, newest, code,
/// position, reach).
type Cut = (f32, f32, f64, f64, i32, usize, usize);

fn push(e: &mut EventWindows, b: &SampleBlock) -> Vec<Cut> {
    let mut out = Vec::new();
    e.push_block(b, |w, cut| {
        assert_eq!(w.samples, 20);
        let ch0 = w.channel(0);
        assert!(
            ch0.windows(2).all(|p| p[1] == p[0] + 1.0),
            "samples in order"
        );
        out.push((
            ch0[0],
            w.channel(1)[0],
            w.oldest_time,
            w.newest_time,
            cut.code,
            cut.position,
            cut.reach,
        ));
    })
    .unwrap();
    out
}

#[test]
fn a_window_starts_at_the_marker_plus_offset_and_is_cut_at_its_last_sample() {
    let mut e = EventWindows::new(2, 20, 100, 8, -0.1, FS).unwrap();
    e.add_marker(0.504, 1); // sample 50 is at 0.503 s: first sample 50 - 10 = 40
    e.add_marker(0.6, 0); // 0.5 s -> sample 50
    assert!(
        push(&mut e, &block(2, 0, 59)).is_empty(),
        "sample 59 missing"
    );
    let cuts = push(&mut e, &block(2, 59, 20));
    assert_eq!(cuts.len(), 2);
    let (first, ch1, oldest, newest, code, position, reach) = cuts[0];
    assert_eq!((first, ch1, code), (40.0, 1040.0, 1));
    assert!(
        (oldest - (0.504 - 0.1)).abs() <= 0.5 / FS,
        "oldest {oldest}"
    );
    assert!((newest - oldest - 19.0 / FS).abs() < 1e-9);
    assert_eq!(
        (position, reach),
        (0, 20),
        "cut with sample 59, the block's first"
    );
    assert_eq!((cuts[1].0, cuts[1].4, cuts[1].5), (50.0, 0, 10));
    assert_eq!(
        e.counts(),
        EventCounts {
            locked: 2,
            missed: 0,
            overflowed: 0
        }
    );
}

#[test]
fn a_late_marker_is_cut_from_the_history_and_an_older_one_is_missed() {
    let mut e = EventWindows::new(2, 20, 50, 8, 0.0, FS).unwrap();
    push(&mut e, &block(2, 0, 100)); // history holds samples 50..100
    e.add_marker(0.703, 7); // sample 70, complete already
    e.add_marker(0.2, 8); // sample 20: gone
    let cuts = push(&mut e, &block(2, 100, 5));
    assert_eq!(cuts.len(), 1);
    assert_eq!((cuts[0].0, cuts[0].4), (70.0, 7));
    assert_eq!((cuts[0].5, cuts[0].6), (0, 31), "reach runs to sample 100");
    assert_eq!(e.counts().missed, 1);
}

#[test]
fn a_full_queue_counts_overflow_and_a_gap_the_end_or_a_bad_time_counts_missed() {
    let mut e = EventWindows::new(1, 20, 40, 2, 0.0, FS).unwrap();
    for t in [0.1, 0.2, 0.3] {
        e.add_marker(t, 0);
    }
    assert_eq!(e.counts().overflowed, 1);
    push(&mut e, &block(1, 0, 15)); // marker at 0.1 s (sample 10) started
    e.reset(); // its window straddles the gap
    assert_eq!(e.counts().missed, 1);
    // After the gap the stream resumes at sample 40: the marker at 0.2 s
    // (sample 20) fell into the gap.
    push(&mut e, &block(1, 40, 10));
    assert_eq!(e.counts().missed, 2);
    e.add_marker(0.45, 3);
    e.add_marker(f64::NAN, 4);
    e.add_marker(f64::INFINITY, 5);
    push(&mut e, &block(1, 50, 5));
    e.finish();
    assert_eq!(
        e.counts(),
        EventCounts {
            locked: 0,
            missed: 5,
            overflowed: 1
        }
    );
}

#[test]
fn bad_shapes_are_errors() {
    assert!(
        EventWindows::new(1, 20, 10, 4, 0.0, FS).is_err(),
        "history < window"
    );
    assert!(
        EventWindows::new(1, 20, 20, 0, 0.0, FS).is_err(),
        "no queue"
    );
    assert!(EventWindows::new(1, 20, 20, 4, f64::NAN, FS).is_err());
    let mut e = EventWindows::new(2, 20, 20, 4, 0.0, FS).unwrap();
    assert!(e.push_block(&block(3, 0, 4), |_, _| {}).is_err());
}
