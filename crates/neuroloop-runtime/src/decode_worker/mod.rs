//! The decode worker: a network's burn forward on a GPU, on its own thread
//! (`[decoder] device = "wgpu"` or `"cuda"`), so that the pipeline thread never waits
//! on the device.
//!
//! The hand-off is preallocated and lock-free: [`SLOTS`] window slots
//! (boxed [`Job`]s, allocated once) travel between the two threads through
//! two SPSC rings (`ringbuf`). The pipeline takes a free slot, copies a
//! window in, pushes it and unparks the worker; the worker takes what is
//! pending (up to [`MAX_BATCH`]), pads the batch to the next of
//! [`BATCH_SIZES`] (so only those shapes are ever compiled), runs one
//! forward, writes each slot's probabilities and pushes the slots back,
//! unparking the pipeline. Moving a `Box` through a ring moves a pointer:
//! nothing is allocated or locked on the pipeline's side. The worker
//! itself allocates freely (tensors).
//!
//! A trained decoder arrives either at spawn (a bundle) or later through a
//! channel from the trainer (calibration). A panic of the backend (a lost
//! device) is caught: every slot comes back failed from then on, and
//! [`Handoff::failed`] tells the pipeline to decode on the CPU.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

use crossbeam_channel::Receiver;
use neuroloop_core::MAX_CLASSES;
use neuroloop_decode::fit::BatchDecoder;
use neuroloop_decode::{DecodeError, panic_message};
use ringbuf::traits::{Consumer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};

use crate::error::RuntimeError;

mod thread;
use thread::Worker;

/// Windows in flight at most.
pub const SLOTS: usize = 16;
/// Most windows in one forward.
pub const MAX_BATCH: usize = 8;
/// The batch sizes the worker runs (a batch is padded up to the next one);
/// warm-up runs one forward of each.
pub const BATCH_SIZES: [usize; 4] = [1, 2, 4, 8];

/// One window slot.
#[derive(Debug)]
pub struct Job {
    /// Set by the pipeline: which window this is.
    pub seq: u64,
    /// The window, channel-major.
    pub data: Vec<f32>,
    /// Set by the worker: the window's class probabilities.
    pub probabilities: [f32; MAX_CLASSES],
    /// Set by the worker: whether the forward succeeded.
    pub decoded: bool,
    /// Set by the worker: when the result was ready (`clock::now()`).
    pub done_at: f64,
}

/// The pipeline's end of the hand-off.
pub struct Handoff {
    to_worker: HeapProd<Box<Job>>,
    from_worker: HeapCons<Box<Job>>,
    #[expect(
        clippy::vec_box,
        reason = "a slot moves through the rings as a pointer"
    )]
    free: Vec<Box<Job>>,
    worker: Thread,
    pipeline: Arc<OnceLock<Thread>>,
    failed: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    join: Option<JoinHandle<()>>,
}

impl Handoff {
    /// Starts the worker for windows of `window_len` values, with `decoder`
    /// (already warmed up) or, if `None`, the first decoder `install` sends.
    ///
    /// # Errors
    /// [`RuntimeError::Thread`] if the thread cannot start.
    pub fn spawn(
        decoder: Option<Box<dyn BatchDecoder>>,
        install: Option<Receiver<Box<dyn BatchDecoder>>>,
        window_len: usize,
    ) -> Result<Self, RuntimeError> {
        Self::spawn_slowed(decoder, install, window_len, Duration::ZERO)
    }

    /// [`Self::spawn`] with a worker that takes `delay` longer for every
    /// batch: for tests of results that miss their deadline.
    ///
    /// # Errors
    /// As [`Self::spawn`].
    #[doc(hidden)]
    pub fn spawn_slowed(
        decoder: Option<Box<dyn BatchDecoder>>,
        install: Option<Receiver<Box<dyn BatchDecoder>>>,
        window_len: usize,
        delay: Duration,
    ) -> Result<Self, RuntimeError> {
        let (to_worker, jobs) = HeapRb::<Box<Job>>::new(SLOTS).split();
        let (results, from_worker) = HeapRb::<Box<Job>>::new(SLOTS).split();
        let free = (0..SLOTS)
            .map(|_| {
                Box::new(Job {
                    seq: 0,
                    data: vec![0.0; window_len],
                    probabilities: [0.0; MAX_CLASSES],
                    decoded: false,
                    done_at: 0.0,
                })
            })
            .collect();
        let pipeline = Arc::new(OnceLock::new());
        let failed = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            jobs,
            results,
            decoder,
            install,
            window_len,
            delay,
            pipeline: Arc::clone(&pipeline),
            failed: Arc::clone(&failed),
            stop: Arc::clone(&stop),
        };
        let join = std::thread::Builder::new()
            .name("neuroloop-decode".into())
            .spawn(move || worker.run())
            .map_err(|_| RuntimeError::Thread("decode worker"))?;
        Ok(Self {
            to_worker,
            from_worker,
            free,
            worker: join.thread().clone(),
            pipeline,
            failed,
            stop,
            join: Some(join),
        })
    }

    /// A free slot, if any.
    pub fn take_slot(&mut self) -> Option<Box<Job>> {
        self.free.pop()
    }

    /// Hands a filled slot to the worker and wakes it.
    pub fn submit(&mut self, job: Box<Job>) {
        // Never full: the ring holds every slot there is.
        if let Err(job) = self.to_worker.try_push(job) {
            self.free.push(job);
        }
        self.worker.unpark();
    }

    /// A slot the worker is done with, if any; give it back with
    /// [`Self::recycle`].
    pub fn poll(&mut self) -> Option<Box<Job>> {
        self.from_worker.try_pop()
    }

    /// Returns a slot to the free list (which never grows past [`SLOTS`]).
    pub fn recycle(&mut self, job: Box<Job>) {
        self.free.push(job);
    }

    /// Slots on the worker or waiting to be taken back.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        SLOTS - self.free.len()
    }

    /// Whether the device failed (a caught backend panic).
    #[must_use]
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// Tells the worker which thread to wake when results are ready (the
    /// calling one); once, before the pipeline's loop.
    pub fn wake_this_thread(&self) {
        let _ = self.pipeline.set(std::thread::current());
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.worker.unpark();
        if let Some(join) = self.join.take() {
            let _ = join.join();
        }
    }
}

/// Runs one forward of every batch size in [`BATCH_SIZES`] on zeros, so
/// the device's kernels are compiled and tuned before the first window.
///
/// # Errors
/// The decoder's error, or [`DecodeError::DeviceUnavailable`] with the
/// message of a backend panic.
pub fn warm_up(decoder: &mut dyn BatchDecoder) -> Result<(), DecodeError> {
    let (channels, samples) = decoder.input_shape();
    let classes = decoder.classes().len();
    for n in BATCH_SIZES {
        let windows = vec![0.0; n * channels * samples];
        let mut probabilities = vec![0.0; n * classes];
        catch_unwind(AssertUnwindSafe(|| {
            decoder.decode_batch(&windows, n, &mut probabilities)
        }))
        .map_err(|panic| DecodeError::DeviceUnavailable {
            device: decoder.device().name().into(),
            reason: panic_message(panic.as_ref()),
        })??;
    }
    Ok(())
}
