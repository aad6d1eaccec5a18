//! The audio callback's work never touches the heap: the voice renders,
//! takes cues and reports them without an allocation (counted by a global
//! allocator wrapper).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use neuroloop_audio::{Cue, cue_channel};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn rendering_taking_cues_and_reporting_them_do_not_allocate() {
    let (mut tx, mut voice) = cue_channel(64, 48_000.0);
    let mut out = vec![0.0f32; 2 * 480];
    let cues = [
        Cue::Class(0),
        Cue::Estop,
        Cue::Silence,
        Cue::Deadman,
        Cue::Class(3),
    ];
    // Warm up (thread-locals of the clock, if any).
    voice.render(&mut out, 2);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut applied = 0;
    for i in 0..2000 {
        if i % 7 == 0 {
            tx.send(cues[i / 7 % cues.len()]);
        }
        voice.render(&mut out, 2);
        applied += tx.applied().count();
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(after - before, 0, "allocations while rendering");
    assert_eq!(applied, 2000_usize.div_ceil(7), "every cue was taken");
    assert!(out.iter().any(|v| *v != 0.0), "it rendered sound");
}
