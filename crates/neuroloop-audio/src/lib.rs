//! Audio feedback through cpal.
//!
//! An actuator tells the [`Voice`] what to sound ([`Cue`]: a tone per
//! intent class, silence on hold, a distinct alarm on e-stop and on
//! deadman) through a lock-free queue; the voice runs inside the sound
//! server's callback, applies the newest cue at the start of each
//! callback, and renders with short fades (no clicks). The callback never
//! allocates, locks or logs: cues arrive through a `ringbuf` SPSC queue,
//! and the instant each cue took effect goes back through another, so the
//! actuator can report intent → audio-callback latency.
//!
//! Layering follows cpal's host → device → stream: [`output::open`] picks
//! the default host, an output device by name (or the default one) and its
//! default configuration, and starts the stream.

pub mod error;
pub mod loopback;
pub mod output;
pub mod stats;
pub mod stream_errors;
pub mod voice;

pub use error::AudioError;
pub use output::{AudioOutput, OutputOptions, output_device_names};
pub use stream_errors::StreamErrors;
pub use voice::{Applied, Cue, CueSender, Voice, cue_channel};
