//! The one process clock.
//!
//! All timestamps inside neuroloop are seconds on `CLOCK_MONOTONIC`, the same
//! clock liblsl's `lsl_local_clock()` reads on Linux, so stamps taken here and
//! stamps corrected by LSL time correction are directly comparable.

/// Seconds on the process clock (monotonic; not wall time).
///
/// Cheap (a vDSO call), allocation-free and safe to call on the hot path.
#[must_use]
pub fn now() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Sleeps until the process clock reads at least `deadline` seconds.
///
/// Returns immediately if the deadline has passed.
pub fn sleep_until(deadline: f64) {
    let remaining = deadline - now();
    if remaining > 0.0 {
        std::thread::sleep(std::time::Duration::from_secs_f64(remaining));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_monotonic_and_advances() {
        let a = now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = now();
        assert!(b - a >= 0.004, "clock advanced only {} s", b - a);
    }

    #[test]
    fn sleep_until_waits_for_the_deadline() {
        let deadline = now() + 0.01;
        sleep_until(deadline);
        assert!(now() >= deadline);
    }
}
