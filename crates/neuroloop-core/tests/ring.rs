//! The sample ring: order, overflow and gaps, stalls, close.

use neuroloop_core::SampleBlock;
use neuroloop_core::ring::*;

fn push_run(w: &mut RingWriter, start: usize, n: usize) -> usize {
    let data: Vec<f32> = (start..start + n)
        .flat_map(|i| [i as f32, -(i as f32)])
        .collect();
    let ts: Vec<f64> = (start..start + n).map(|i| i as f64).collect();
    w.push(&data, &ts, 99.0)
}

#[test]
fn values_and_stamps_arrive_in_order() {
    let (mut w, mut r) = sample_ring(2, 16);
    assert_eq!(push_run(&mut w, 0, 5), 0);
    let mut block = SampleBlock::with_capacity(2, 8);
    let p = r.pop_into(&mut block);
    assert_eq!(
        p,
        Popped {
            samples: 5,
            gap: None
        }
    );
    assert_eq!(block.data()[..4], [0.0, -0.0, 1.0, -1.0]);
    assert_eq!(block.timestamps(), &[0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(block.arrivals()[4], 99.0);
}

#[test]
fn overflow_drops_and_reports_exact_gap() {
    let (mut w, mut r) = sample_ring(2, 4);
    assert_eq!(push_run(&mut w, 0, 3), 0);
    assert_eq!(push_run(&mut w, 3, 3), 2, "only one sample fits");
    let mut block = SampleBlock::with_capacity(2, 16);
    assert_eq!(r.pop_into(&mut block).samples, 4);
    assert_eq!(push_run(&mut w, 6, 2), 0);
    let p = r.pop_into(&mut block);
    assert_eq!(p.gap, Some(Gap { first: 4, count: 2 }));
    assert_eq!(p.samples, 2);
    assert_eq!(block.timestamps(), &[6.0, 7.0]);
    assert_eq!(w.stats().dropped(), 2);
    assert_eq!(w.stats().overflows(), 1);
}

#[test]
fn a_block_never_spans_a_gap() {
    let (mut w, mut r) = sample_ring(2, 32);
    push_run(&mut w, 0, 3);
    w.skip(5);
    push_run(&mut w, 8, 3);
    let mut block = SampleBlock::with_capacity(2, 16);
    let first = r.pop_into(&mut block);
    assert_eq!(
        first,
        Popped {
            samples: 3,
            gap: None
        }
    );
    let second = r.pop_into(&mut block);
    assert_eq!(second.gap, Some(Gap { first: 3, count: 5 }));
    assert_eq!(second.samples, 3);
    assert_eq!(block.timestamps()[0], 8.0);
}

#[test]
fn reader_sees_the_end_of_the_source() {
    let (mut w, mut r) = sample_ring(1, 8);
    w.push(&[1.0], &[0.0], 0.0);
    drop(w);
    assert!(!r.is_finished(), "one sample still queued");
    let mut block = SampleBlock::with_capacity(1, 8);
    r.pop_into(&mut block);
    assert!(r.is_finished());
}

#[test]
fn a_stall_is_seen_once_while_it_lasts_and_ends_with_the_next_push() {
    let (mut w, mut r) = sample_ring(2, 16);
    push_run(&mut w, 0, 2);
    assert!(!r.new_stall());
    w.set_stalled(true);
    w.set_stalled(true);
    assert!(w.stats().is_stalled());
    assert_eq!(w.stats().stalls(), 1, "setting it again is no new stall");
    assert!(r.new_stall());
    assert!(!r.new_stall(), "seen once");
    w.skip(3);
    push_run(&mut w, 5, 1);
    assert!(!w.stats().is_stalled(), "samples end the stall");
    assert!(!r.new_stall());
    // A stall that ended before the reader looked is passed over.
    w.set_stalled(true);
    push_run(&mut w, 6, 1);
    assert!(!r.new_stall());
    w.set_stalled(true);
    w.set_stalled(false);
    w.set_stalled(true);
    assert_eq!(w.stats().stalls(), 4);
    assert!(r.new_stall(), "two stalls since, the last one still on");
    let mut block = SampleBlock::with_capacity(2, 16);
    let p = r.pop_into(&mut block);
    assert_eq!(p.samples, 2);
    let p = r.pop_into(&mut block);
    assert_eq!(p.gap, Some(Gap { first: 2, count: 3 }));
    assert_eq!(p.samples, 2);
}

#[test]
fn mismatched_lengths_push_only_whole_samples() {
    let (mut w, r) = sample_ring(2, 8);
    assert_eq!(w.push(&[1.0, 2.0, 3.0], &[0.0, 1.0], 0.0), 0);
    assert_eq!(r.available(), 1);
}

#[test]
fn the_first_index_of_a_pop_skips_the_gap_in_front_of_it() {
    let (mut w, mut r) = sample_ring(2, 16);
    let mut block = SampleBlock::with_capacity(2, 16);
    let mut firsts = Vec::new();
    let mut pop_all = |r: &mut RingReader, firsts: &mut Vec<(u64, f64)>| loop {
        let expected = r.expected_index();
        let p = r.pop_into(&mut block);
        if p.samples == 0 {
            break;
        }
        // The timestamps are the indices: the first one must match.
        firsts.push((p.first_index(expected), block.timestamps()[0]));
    };
    push_run(&mut w, 0, 3);
    pop_all(&mut r, &mut firsts);
    // A gap found at the start of a pop.
    w.skip(2);
    assert_eq!(w.next_index(), 5);
    push_run(&mut w, 5, 2);
    // A gap that ends a pop, reported with the next.
    w.skip(4);
    push_run(&mut w, 11, 1);
    pop_all(&mut r, &mut firsts);
    assert_eq!(firsts, [(0, 0.0), (5, 5.0), (11, 11.0)]);
}

#[test]
fn a_picking_ring_stores_only_the_picked_channels_in_their_order() {
    use neuroloop_core::channel_pick::ChannelPick;
    // Four channels per pushed sample: counter, C3, trigger, C4.
    let pick = ChannelPick::new(4, vec![3, 1]).unwrap();
    let (mut w, mut r) = sample_ring_picking(pick, 3);
    assert_eq!((w.channels(), w.source_channels(), r.channels()), (2, 4, 2));
    let sample = |i: f32| [i, 100.0 + i, -1.0, 200.0 + i];
    let data: Vec<f32> = (0..4).flat_map(|i| sample(i as f32)).collect();
    // Four samples (and a stray half sample) into room for three.
    let mut with_stray = data.clone();
    with_stray.extend([9.0, 9.0]);
    assert_eq!(w.push(&with_stray, &[0.0, 1.0, 2.0, 3.0, 4.0], 7.0), 1);
    let mut block = SampleBlock::with_capacity(2, 8);
    assert_eq!(r.pop_into(&mut block).samples, 3);
    assert_eq!(
        block.data(),
        &[200.0, 100.0, 201.0, 101.0, 202.0, 102.0],
        "C4 then C3 of each sample, nothing of the counter or trigger"
    );
    assert_eq!(block.timestamps(), &[0.0, 1.0, 2.0]);
    assert_eq!(w.stats().dropped(), 1);
}
