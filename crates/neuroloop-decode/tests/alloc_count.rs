//! The number of heap allocations per `decode` call must not grow.
//!
//! A counting global allocator counts only on the thread that sets the
//! thread-local flag, so other test threads do not disturb the count.

use neuroloop_core::Window;
use neuroloop_decode::fit::{BandpowerSpec, EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;

mod counting;

use counting::allocations;

const CALLS: usize = 10_000;
const WARMUP: usize = 5;

#[test]
fn allocations_per_decode_are_constant() {
    let (channels, samples, rate) = (4, 64, 64.0);
    let (x, y) = MotorImagery::new(channels, samples, rate).generate(40, 1);
    let classes = vec!["rest".into(), "move".into()];
    let set = EpochSet::new(channels, samples, rate, classes, x.clone(), y).unwrap();
    let spec = BandpowerSpec {
        bands_hz: vec![[8.0, 13.0]],
        ..BandpowerSpec::default()
    };
    let spec = ModelSpec::with_spec("bandpower", &spec).unwrap();
    let model = fit(&spec, &set, &FitOptions::default(), &mut |_| {}).unwrap();
    let mut decoder = model.into_decoder().unwrap();

    let len = channels * samples;
    let mut p = [0.0_f32; 2];
    let mut counts = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let w = Window {
            index: i as u64,
            channels,
            samples,
            data: &x[(i % 40) * len..(i % 40 + 1) * len],
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        let (result, made) = allocations(|| decoder.decode(&w, &mut p));
        counts.push(made);
        result.unwrap();
    }
    let steady = counts[WARMUP];
    eprintln!(
        "allocations per decode: first {:?}, steady {steady}",
        &counts[..WARMUP]
    );
    if let Some((i, c)) = counts
        .iter()
        .enumerate()
        .skip(WARMUP)
        .find(|(_, c)| **c != steady)
    {
        panic!("call {i} allocated {c} times, steady state is {steady}");
    }
    assert!(steady < 100, "{steady} allocations per decode");
}
