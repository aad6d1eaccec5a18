//! `process` of a built chain and `WindowAssembler::push` never allocate.
//!
//! A counting global allocator counts allocations made on the test thread
//! while a thread-local flag is set (the harness's other threads are ignored).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use neuroloop_core::{ChannelSpec, SampleBlock, StreamSpec};
use neuroloop_dsp::{ChainConfig, StageRegistry, WindowAssembler};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: forwards to the system allocator; counting has no effect on memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ARMED.try_with(Cell::get).unwrap_or(false) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.try_with(Cell::get).unwrap_or(false) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
fn chain_and_window_assembler_do_not_allocate() {
    let channels = 16;
    let fs = 250.0;
    let spec = StreamSpec {
        name: "sim".into(),
        channels: (0..channels)
            .map(|i| ChannelSpec::eeg(format!("E{i}")))
            .collect(),
        sample_rate: fs,
        block_size: 10,
    };
    let doc: toml::Table = toml::from_str(
        r#"filters = [
            { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 },
            { type = "notch", freq_hz = 50.0, q = 30.0, harmonics = 2 },
            { type = "car", exclude = ["E15"] },
        ]"#,
    )
    .unwrap();
    let cfg = ChainConfig::from_toml(
        &StageRegistry::builtin(),
        doc["filters"].as_array().unwrap(),
        "pipeline.filters",
    )
    .unwrap();
    cfg.preflight(&spec).unwrap();
    let max_block = 32;
    let mut chain = cfg.initialize(&spec, max_block).unwrap();
    let mut windows = WindowAssembler::new(channels, 500, 25).unwrap();
    let mut block = SampleBlock::with_capacity(channels, max_block);

    let total = 12 * 250; // 12 s
    let sizes = [1usize, 7, 32, 10, 3];
    let (mut done, mut emitted, mut checksum) = (0usize, 0usize, 0.0f64);
    let mut k = 0;
    let mut injected = false;
    ARMED.with(|a| a.set(true));
    while done < total {
        let n = sizes[k % sizes.len()].min(total - done);
        k += 1;
        {
            let (d, t, a) = block.buffers_mut();
            for s in 0..n {
                let time = (done + s) as f64 / fs;
                t[s] = time;
                a[s] = time + 0.004;
                for ch in 0..channels {
                    d[s * channels + ch] = (10.0 * (time * 11.0 + ch as f64).sin()) as f32;
                }
            }
            if done >= 1000 && !injected {
                injected = true;
                d[3] = f32::NAN; // the non-finite path must not allocate either
            }
        }
        block.set_len(n);
        chain.process(&mut block.as_mut());
        emitted += windows
            .push_block(&block, |w| checksum += f64::from(w.data[w.samples - 1]))
            .unwrap();
        done += n;
    }
    ARMED.with(|a| a.set(false));
    assert_eq!(
        ALLOCS.load(Ordering::Relaxed),
        0,
        "allocations on the hot path"
    );
    assert_eq!(emitted, (total - 500) / 25 + 1);
    assert!(checksum.is_finite());
    assert_eq!(chain.non_finite_counter().get(), 1);
}
