//! The sound of `neuroloop actuator --device audio`: a tone per intent
//! class while the device would move, silence when it stops, the e-stop
//! siren while the output is e-stopped and the deadman beeps after a
//! heartbeat gap (neuroloop-audio renders them). At the end it prints how
//! long cues took from the intent's arrival here to the audio callback
//! that sounded them.

use neuroloop_audio::{AudioError, AudioOutput, Cue, CueSender, OutputOptions};

/// An open output and what it sounds.
pub struct Sound {
    output: AudioOutput,
    cues: CueSender,
    current: Cue,
    latencies_ms: Vec<f64>,
}

impl Sound {
    /// Opens the output device called `device` (or the default one).
    ///
    /// # Errors
    /// The [`AudioError`] of a missing device or a stream that will not
    /// start.
    pub fn open(device: Option<String>) -> Result<Self, AudioError> {
        let (output, cues) = neuroloop_audio::output::open(&OutputOptions {
            device,
            ..OutputOptions::default()
        })?;
        println!(
            "audio device={:?} rate={} channels={} buffer_frames={}",
            output.device, output.sample_rate, output.channels, output.buffer_frames
        );
        Ok(Self {
            output,
            cues,
            current: Cue::Silence,
            latencies_ms: Vec::new(),
        })
    }

    /// Sounds `cue` from the next audio callback on (nothing if it sounds
    /// already).
    pub fn cue(&mut self, cue: Cue) {
        self.collect();
        if cue != self.current {
            self.cues.send(cue);
            self.current = cue;
            println!("sound {}", describe(cue));
        }
    }

    /// The cue for a stop: an alarm for the deadman rule and the e-stop
    /// (its status, and every hold the server sends while it lasts),
    /// silence for every other reason.
    pub fn stop(&mut self, why: &str) {
        self.cue(stop_cue(why));
    }

    fn collect(&mut self) {
        self.latencies_ms.extend(
            self.cues
                .applied()
                .map(|a| (a.applied_at - a.sent_at) * 1e3),
        );
    }

    /// One line: cues sounded and their latency to the audio callback.
    pub fn summary(&mut self) -> String {
        self.collect();
        let mut v = self.latencies_ms.clone();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| neuroloop_audio::stats::quantile(&v, q).unwrap_or(0.0);
        format!(
            "audio cues={} on {:?}: intent → audio callback p50 {:.2} ms p99 {:.2} ms max {:.2} ms; {} dropped; stream underruns/overruns {}, other errors {}{}",
            v.len(),
            self.output.device,
            at(0.5),
            at(0.99),
            v.last().copied().unwrap_or(0.0),
            self.cues.dropped(),
            self.output.errors.xruns(),
            self.output.errors.others(),
            self.output
                .errors
                .first()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        )
    }
}

fn describe(cue: Cue) -> String {
    match cue {
        Cue::Silence => "silence".into(),
        Cue::Class(i) => format!("class={i} hz={:.1}", neuroloop_audio::voice::class_hz(i)),
        Cue::Estop => "estop".into(),
        Cue::Deadman => "deadman".into(),
    }
}

/// The cue of a stop whose reason is `why` (as the actuator words it).
fn stop_cue(why: &str) -> Cue {
    if why.starts_with("deadman") || why.starts_with("stale heartbeat") {
        Cue::Deadman
    } else if why.starts_with("estop") || why.starts_with("hold:estop") {
        Cue::Estop
    } else {
        Cue::Silence
    }
}

#[cfg(test)]
mod tests {
    use neuroloop_core::HoldReason;
    use neuroloop_protocol::OutputState;

    use super::*;
    use crate::actuator::{hold_stop, status_stop};

    #[test]
    fn the_estop_siren_lasts_through_its_holds_and_other_stops_are_silent() {
        let none: Option<&String> = None;
        let estopped = status_stop(OutputState::Estop, Some(&"operator".to_string()), none);
        assert_eq!(stop_cue(&estopped), Cue::Estop, "{estopped}");
        assert_eq!(stop_cue(&hold_stop(HoldReason::Estop, 7)), Cue::Estop);
        assert_eq!(stop_cue("deadman silent_ms=400 limit_ms=300"), Cue::Deadman);
        assert_eq!(stop_cue("stale heartbeat"), Cue::Deadman);
        let paused = status_stop(OutputState::Paused, none, none);
        for why in [
            paused,
            hold_stop(HoldReason::LowConfidence, 8),
            hold_stop(HoldReason::Paused, 9),
            "bye".into(),
        ] {
            assert_eq!(stop_cue(&why), Cue::Silence, "{why}");
        }
    }
}
