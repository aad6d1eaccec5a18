//! The decode worker's thread: takes the pending slots, runs one forward
//! per batch on the device, and hands the slots back.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;
use std::time::Duration;

use crossbeam_channel::Receiver;
use neuroloop_core::clock;
use neuroloop_decode::fit::BatchDecoder;
use neuroloop_decode::panic_message;
use ringbuf::traits::{Consumer, Producer};
use ringbuf::{HeapCons, HeapProd};

use super::{BATCH_SIZES, Job, MAX_BATCH};

/// The worker thread's state.
pub(super) struct Worker {
    pub(super) jobs: HeapCons<Box<Job>>,
    pub(super) results: HeapProd<Box<Job>>,
    pub(super) decoder: Option<Box<dyn BatchDecoder>>,
    pub(super) install: Option<Receiver<Box<dyn BatchDecoder>>>,
    pub(super) window_len: usize,
    pub(super) delay: Duration,
    pub(super) pipeline: Arc<OnceLock<Thread>>,
    pub(super) failed: Arc<AtomicBool>,
    pub(super) stop: Arc<AtomicBool>,
}

impl Worker {
    pub(super) fn run(mut self) {
        let mut batch: Vec<Box<Job>> = Vec::with_capacity(MAX_BATCH);
        let mut input = Vec::new();
        let mut output = Vec::new();
        loop {
            if let Some(install) = &self.install {
                while let Ok(decoder) = install.try_recv() {
                    self.decoder = Some(decoder);
                }
            }
            while batch.len() < MAX_BATCH {
                match self.jobs.try_pop() {
                    Some(job) => batch.push(job),
                    None => break,
                }
            }
            if batch.is_empty() {
                if self.stop.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::park_timeout(Duration::from_millis(50));
                continue;
            }
            if !self.delay.is_zero() {
                std::thread::sleep(self.delay);
            }
            self.forward(&mut batch, &mut input, &mut output);
            for job in batch.drain(..) {
                // Never full: the ring holds every slot there is.
                let _ = self.results.try_push(job);
            }
            if let Some(pipeline) = self.pipeline.get() {
                pipeline.unpark();
            }
        }
    }

    /// One forward of the batch (padded with zero windows to a size of
    /// [`BATCH_SIZES`]); marks every job decoded or not.
    fn forward(&mut self, batch: &mut [Box<Job>], input: &mut Vec<f32>, output: &mut Vec<f32>) {
        let n = batch.len();
        let padded = BATCH_SIZES.into_iter().find(|&b| b >= n).unwrap_or(n);
        let done = |batch: &mut [Box<Job>], ok: bool| {
            let now = clock::now();
            for job in batch {
                job.decoded = ok;
                job.done_at = now;
            }
        };
        let Some(decoder) = self.decoder.as_mut() else {
            return done(batch, false);
        };
        let classes = decoder.classes().len();
        input.clear();
        for job in batch.iter() {
            input.extend_from_slice(&job.data);
        }
        input.resize(padded * self.window_len, 0.0);
        output.clear();
        output.resize(padded * classes, 0.0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            decoder.decode_batch(input, padded, output)
        }));
        match result {
            Ok(Ok(())) => {
                for (job, p) in batch.iter_mut().zip(output.chunks_exact(classes)) {
                    job.probabilities[..classes].copy_from_slice(p);
                }
                done(batch, true);
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, windows = n, "the GPU decoder failed on a batch");
                done(batch, false);
            }
            Err(panic) => {
                tracing::error!(
                    error = %panic_message(panic.as_ref()),
                    "the GPU device failed; decoding continues on the CPU"
                );
                self.failed.store(true, Ordering::Relaxed);
                self.decoder = None;
                done(batch, false);
            }
        }
    }
}
