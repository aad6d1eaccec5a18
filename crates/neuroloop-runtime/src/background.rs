//! Background threads yield to the real-time ones.
//!
//! On a machine with few cores the recorder's file writes and syncs run on
//! the same cores as the source and pipeline threads. A background thread
//! calls [`yield_to_real_time`] first: on Linux it raises its own nice value
//! (`setpriority` on its thread id; no privilege needed to lower one's own
//! priority), so that the scheduler prefers the pipeline thread whenever
//! both are runnable. Elsewhere it does nothing. The recorder (writer and
//! line intake) and the trainer call it.

/// The nice value background threads take (0 is the default, 19 the
/// lowest priority).
pub const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`BACKGROUND_NICE`]
/// (a thread already lower keeps its value); whether it runs at that
/// priority or lower now. A refusal (a sandbox that forbids it) is logged
/// and otherwise ignored: the thread runs at its default priority.
pub fn yield_to_real_time() -> bool {
    #[cfg(target_os = "linux")]
    {
        if current_nice().is_some_and(|nice| nice >= BACKGROUND_NICE) {
            return true;
        }
        // SAFETY: gettid has no preconditions; setpriority on the calling
        // thread's own id only changes that thread's nice value.
        let done = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, BACKGROUND_NICE) == 0
        };
        if !done {
            tracing::debug!(
                error = %std::io::Error::last_os_error(),
                "background thread keeps its priority"
            );
        }
        done
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The calling thread's nice value (Linux), for tests.
#[must_use]
pub fn current_nice() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: as above; getpriority only reads. -1 is a valid nice
        // value, so errno tells an error apart.
        unsafe {
            *libc::__errno_location() = 0;
            let tid = libc::gettid();
            let nice = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
            (*libc::__errno_location() == 0).then_some(nice)
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_background_thread_takes_the_background_nice_value_and_others_keep_theirs() {
        let before = current_nice().expect("nice value readable");
        let inside = std::thread::spawn(|| {
            let lowered = yield_to_real_time();
            (lowered, current_nice())
        })
        .join()
        .unwrap();
        assert_eq!(inside, (true, Some(BACKGROUND_NICE.max(before))));
        // Only that thread changed: this one keeps its value.
        assert_eq!(current_nice(), Some(before));
    }
}
