//! Protocol messages and their JSON form.

use neuroloop_core::{HoldReason, Intent, IntentKind};
use serde::{Deserialize, Serialize};

/// Protocol name sent in the hello.
pub const PROTOCOL_NAME: &str = "neuroloop";
/// Protocol version this crate speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The server's first line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Always [`PROTOCOL_NAME`].
    pub protocol: String,
    /// Protocol version; a client refuses versions it does not know.
    pub version: u32,
    /// Identifier of this session.
    pub session: String,
    /// Class labels; intents name one of them.
    pub classes: Vec<String>,
    /// The clock all timestamps are in.
    pub clock: String,
}

/// Timestamps of an intent, seconds on the server's process clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntentTimestamps {
    /// Source time of the newest sample in the decoded window.
    pub sample: f64,
    /// Arrival of that sample in the runtime.
    pub arrival: f64,
    /// Decoder start.
    pub decode_start: f64,
    /// Decoder end.
    pub decode_end: f64,
    /// Handed to the connections.
    pub publish: f64,
}

/// One decoded intent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentMessage {
    /// Per-session sequence number, starting at 1, +1 per intent.
    pub seq: u64,
    /// `class` (act on `class`) or `hold` (do nothing new).
    pub kind: IntentKind,
    /// Label of the most probable class (also when holding).
    pub class: String,
    /// Index of `class` in the hello's `classes`.
    pub class_index: u8,
    /// Smoothed probability of `class`.
    pub confidence: f32,
    /// Smoothed probabilities in class order.
    pub probabilities: Vec<f32>,
    /// Why the intent holds (`none` for class intents).
    pub hold_reason: HoldReason,
    /// Index of the decoded window.
    pub window: u64,
    /// Data-path timestamps.
    pub t: IntentTimestamps,
}

impl IntentMessage {
    /// Builds the message for `intent` with sequence number `seq`.
    #[must_use]
    pub fn from_intent(intent: &Intent, seq: u64, classes: &[String]) -> Self {
        Self {
            seq,
            kind: intent.kind,
            class: classes
                .get(usize::from(intent.class))
                .cloned()
                .unwrap_or_default(),
            class_index: intent.class,
            confidence: intent.confidence,
            probabilities: intent.probabilities().to_vec(),
            hold_reason: intent.hold_reason,
            window: intent.window,
            t: IntentTimestamps {
                sample: intent.times.sample_time,
                arrival: intent.times.arrival,
                decode_start: intent.times.decode_start,
                decode_end: intent.times.decode_end,
                publish: intent.times.publish,
            },
        }
    }
}

/// Every line the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First line of a connection.
    Hello(Hello),
    /// A decoded intent.
    Intent(IntentMessage),
    /// The session is ending; the server closes the connection after this.
    Bye {
        /// Why.
        reason: String,
    },
}

impl ServerMessage {
    /// Appends the JSON line (with its `\n`) to `out`.
    ///
    /// # Panics
    /// Never: these types always serialise.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(&mut *out, self).expect("protocol messages always serialise");
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neuroloop_core::{IntentTimes, MAX_CLASSES};

    #[test]
    fn intent_round_trips_through_json() {
        let mut probabilities = [0.0; MAX_CLASSES];
        probabilities[..2].copy_from_slice(&[0.25, 0.75]);
        let intent = Intent {
            window: 9,
            kind: IntentKind::Class,
            hold_reason: HoldReason::None,
            class: 1,
            confidence: 0.75,
            probabilities,
            n_classes: 2,
            times: IntentTimes {
                sample_time: 1.0,
                arrival: 1.001,
                decode_start: 1.002,
                decode_end: 1.003,
                publish: 1.004,
            },
        };
        let classes = vec!["left".to_string(), "right".to_string()];
        let msg = ServerMessage::Intent(IntentMessage::from_intent(&intent, 5, &classes));
        let mut line = Vec::new();
        msg.write_line(&mut line);
        let text = std::str::from_utf8(&line).unwrap();
        assert!(
            text.starts_with(r#"{"type":"intent","seq":5,"kind":"class","class":"right""#),
            "{text}"
        );
        assert!(text.ends_with('\n'));
        let back: ServerMessage = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back, msg);
    }
}
