//! The window assembler: contents, timing, hop > window, reset.

use neuroloop_dsp::WindowAssembler;

/// Pushes `n` samples (value = sample index + 1000 * channel) in `chunk`s and
/// collects (index, channel-major data, oldest, newest, newest arrival).
#[allow(clippy::cast_precision_loss, clippy::type_complexity)]
fn run(
    a: &mut WindowAssembler,
    start: usize,
    n: usize,
    chunk: usize,
) -> Vec<(u64, Vec<f32>, f64, f64, f64)> {
    let c = a.channels();
    let data: Vec<f32> = (start..start + n)
        .flat_map(|s| (0..c).map(move |ch| (s + 1000 * ch) as f32))
        .collect();
    let ts: Vec<f64> = (start..start + n).map(|s| s as f64 * 0.01).collect();
    let arr: Vec<f64> = ts.iter().map(|t| t + 0.5).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let m = chunk.min(n - i);
        a.push(
            &data[i * c..(i + m) * c],
            &ts[i..i + m],
            &arr[i..i + m],
            |w| {
                out.push((
                    w.index,
                    w.data.to_vec(),
                    w.oldest_time,
                    w.newest_time,
                    w.newest_arrival,
                ));
            },
        )
        .unwrap();
        i += m;
    }
    out
}

#[test]
fn windows_are_channel_major_oldest_first_every_hop() {
    for chunk in [1, 3, 100] {
        let mut a = WindowAssembler::new(2, 4, 2).unwrap();
        let w = run(&mut a, 0, 9, chunk);
        assert_eq!(w.len(), 3, "windows end at samples 3, 5, 7");
        assert_eq!(
            w[0].1,
            vec![0.0, 1.0, 2.0, 3.0, 1000.0, 1001.0, 1002.0, 1003.0]
        );
        assert_eq!(
            w[2].1,
            vec![4.0, 5.0, 6.0, 7.0, 1004.0, 1005.0, 1006.0, 1007.0]
        );
        assert_eq!(w.iter().map(|x| x.0).collect::<Vec<_>>(), vec![0, 1, 2]);
        assert!((w[1].2 - 0.02).abs() < 1e-12 && (w[1].3 - 0.05).abs() < 1e-12);
        assert!((w[1].4 - 0.55).abs() < 1e-12);
    }
}

#[test]
fn hop_larger_than_window_skips_samples() {
    let mut a = WindowAssembler::new(1, 2, 5).unwrap();
    let w = run(&mut a, 0, 12, 4);
    let data: Vec<Vec<f32>> = w.into_iter().map(|x| x.1).collect();
    assert_eq!(data, vec![vec![0.0, 1.0], vec![5.0, 6.0], vec![10.0, 11.0]]);
}

#[test]
fn reset_discards_partial_history() {
    let mut a = WindowAssembler::new(1, 3, 1).unwrap();
    assert_eq!(run(&mut a, 0, 4, 1).len(), 2);
    a.reset();
    let w = run(&mut a, 100, 3, 1);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].1, vec![100.0, 101.0, 102.0]);
    assert_eq!(w[0].0, 2, "indices keep counting across resets");
}

#[test]
fn invalid_shapes_are_rejected() {
    assert!(WindowAssembler::new(2, 0, 1).is_err());
    assert!(WindowAssembler::new(2, 4, 0).is_err());
    let mut a = WindowAssembler::new(2, 4, 1).unwrap();
    let e = a.push(&[0.0; 3], &[0.0; 2], &[0.0; 2], |_| {}).unwrap_err();
    assert_eq!(e.kind(), neuroloop_core::ErrorKind::InvalidData);
}

#[test]
fn push_at_names_the_newest_sample_of_each_window() {
    let mut a = neuroloop_dsp::WindowAssembler::new(1, 4, 3).unwrap();
    let data: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let times: Vec<f64> = (0..12).map(f64::from).collect();
    let mut seen = Vec::new();
    a.push_at(&data, &times, &times, |w, at| {
        seen.push((at, w.newest_time));
    })
    .unwrap();
    assert_eq!(seen, [(3, 3.0), (6, 6.0), (9, 9.0)]);
}
