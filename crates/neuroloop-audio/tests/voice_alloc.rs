//! The audio callback's work never touches the heap: the voice renders,
//! takes cues and reports them without an allocation (counted on this
//! thread by the runtime tests' counting allocator).

#[path = "../../neuroloop-runtime/tests/counting/mod.rs"]
mod counting;

use neuroloop_audio::{Cue, cue_channel};

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
    // Warm up (the clock's first call, if it sets anything up).
    voice.render(&mut out, 2);
    let (applied, allocations) = counting::count(|| {
        let mut applied = 0;
        for i in 0..2000 {
            if i % 7 == 0 {
                tx.send(cues[i / 7 % cues.len()]);
            }
            voice.render(&mut out, 2);
            applied += tx.applied().count();
        }
        applied
    });
    assert_eq!(allocations, 0, "allocations while rendering");
    assert_eq!(applied, 2000_usize.div_ceil(7), "every cue was taken");
    assert!(out.iter().any(|v| *v != 0.0), "it rendered sound");
}
