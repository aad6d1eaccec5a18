//! Intents and holds on the wire: [`IntentMessage`], built from the
//! pipeline's [`Intent`] with its expiry (`valid_until`), and with no
//! number that is not finite.

use neuroloop_core::{HoldReason, Intent, IntentKind};
use serde::{Deserialize, Serialize};

use crate::message::ServerMessage;
use crate::number::{Finite, Probabilities, Probability};

/// Timestamps of an intent, seconds on the server's process clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntentTimestamps {
    /// Source time of the newest sample in the decoded window.
    pub sample: Finite,
    /// Arrival of that sample in the runtime.
    pub arrival: Finite,
    /// Decoder start.
    pub decode_start: Finite,
    /// Decoder end.
    pub decode_end: Finite,
    /// Handed to the connections.
    pub publish: Finite,
}

/// One decoded intent, or a hold.
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
    /// Smoothed probability of `class`; absent in holds that come from no
    /// decode (calibrating, signal loss, bad samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Probability>,
    /// Smoothed probabilities in class order; absent exactly when
    /// `confidence` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probabilities: Option<Probabilities>,
    /// Why the intent holds (`none` for class intents).
    pub hold_reason: HoldReason,
    /// Index of the decoded window.
    pub window: u64,
    /// Server-clock time after which this intent is a hold: the arrival of
    /// its newest sample plus the hello's `intent_max_age_ms`. Absent only
    /// from servers older than this member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Finite>,
    /// Data-path timestamps.
    pub t: IntentTimestamps,
}

impl IntentMessage {
    /// Builds the `intent` or `hold` message for `intent` with sequence
    /// number `seq`, valid for `max_age_s` after its newest sample arrived.
    ///
    /// Nothing non-finite gets through: probabilities that are not a
    /// distribution (NaN, infinities, out of range, or all zero because
    /// nothing was decoded) are omitted, and a class intent without valid
    /// probabilities or times becomes a hold with reason `artifact`. A
    /// non-finite time is replaced by the publish time (by 0 if that too is
    /// not finite).
    #[must_use]
    pub fn from_intent(
        intent: &Intent,
        seq: u64,
        classes: &[String],
        max_age_s: f64,
    ) -> ServerMessage {
        let times = &intent.times;
        let publish = Finite::new(times.publish).unwrap_or(Finite::ZERO);
        let mut times_ok = true;
        let mut finite = |x: f64| {
            Finite::new(x).unwrap_or_else(|| {
                times_ok = false;
                publish
            })
        };
        let t = IntentTimestamps {
            sample: finite(times.sample_time),
            arrival: finite(times.arrival),
            decode_start: finite(times.decode_start),
            decode_end: finite(times.decode_end),
            publish: finite(times.publish),
        };
        let probabilities = Probabilities::new(intent.probabilities());
        let confidence = probabilities
            .as_ref()
            .and_then(|p| p.values().get(usize::from(intent.class)).copied());
        let probabilities = probabilities.filter(|_| confidence.is_some());
        let decoded = confidence.is_some() && times_ok;
        let (kind, hold_reason) = match intent.kind {
            IntentKind::Class if !decoded => (IntentKind::Hold, HoldReason::Artifact),
            kind => (kind, intent.hold_reason),
        };
        let valid_until = Finite::new(t.arrival.get() + max_age_s);
        let message = Self {
            seq,
            kind,
            class: classes
                .get(usize::from(intent.class))
                .cloned()
                .unwrap_or_default(),
            class_index: intent.class,
            confidence,
            probabilities,
            hold_reason,
            window: intent.window,
            valid_until,
            t,
        };
        match kind {
            IntentKind::Class => ServerMessage::Intent(message),
            IntentKind::Hold => ServerMessage::Hold(message),
        }
    }
}

/// A hold reason as the protocol writes it (`"low_confidence"`, `"estop"`).
#[must_use]
pub fn hold_reason_name(reason: HoldReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{reason:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use neuroloop_core::{IntentTimes, MAX_CLASSES};

    fn intent(probabilities: &[f32], kind: IntentKind, reason: HoldReason) -> Intent {
        let mut p = [0.0; MAX_CLASSES];
        p[..probabilities.len()].copy_from_slice(probabilities);
        Intent {
            window: 9,
            kind,
            hold_reason: reason,
            class: 1,
            confidence: probabilities.get(1).copied().unwrap_or(0.0),
            probabilities: p,
            n_classes: probabilities.len() as u8,
            times: IntentTimes {
                sample_time: 1.0,
                arrival: 1.001,
                wake: 1.0012,
                filtered: 1.0015,
                decode_start: 1.002,
                decode_end: 1.003,
                decided: 1.0035,
                publish: 1.004,
            },
        }
    }

    fn line(message: &ServerMessage) -> String {
        let mut line = Vec::new();
        message.write_line(&mut line);
        String::from_utf8(line).unwrap()
    }

    fn classes() -> Vec<String> {
        vec!["left".to_string(), "right".to_string()]
    }

    #[test]
    fn intent_round_trips_through_json_with_its_expiry() {
        let i = intent(&[0.25, 0.75], IntentKind::Class, HoldReason::None);
        let msg = IntentMessage::from_intent(&i, 5, &classes(), 0.2);
        let text = line(&msg);
        assert!(
            text.starts_with(r#"{"type":"intent","seq":5,"kind":"class","class":"right""#),
            "{text}"
        );
        assert!(text.contains(r#""confidence":0.75,"probabilities":[0.25,0.75]"#));
        let ServerMessage::Intent(m) = &msg else {
            panic!("an intent: {msg:?}")
        };
        assert!((m.valid_until.unwrap().get() - 1.201).abs() < 1e-9);
        assert!(text.ends_with('\n'));
        let back: ServerMessage = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(back, msg);
    }

    #[test]
    fn non_finite_numbers_never_reach_the_wire() {
        for bad in [
            [f32::NAN, f32::NAN],
            [f32::INFINITY, 0.0],
            [-3.4e38, 1.0],
            [0.4, 0.4],
        ] {
            let i = intent(&bad, IntentKind::Class, HoldReason::None);
            let msg = IntentMessage::from_intent(&i, 1, &classes(), 0.2);
            let ServerMessage::Hold(m) = &msg else {
                panic!("a class intent with bad numbers is a hold: {msg:?}")
            };
            assert_eq!(m.hold_reason, HoldReason::Artifact);
            let text = line(&msg);
            assert!(
                !text.contains("null") && !text.contains("probabilities"),
                "{text}"
            );
        }
        let mut i = intent(&[0.25, 0.75], IntentKind::Class, HoldReason::None);
        i.times.sample_time = f64::NAN;
        let text = line(&IntentMessage::from_intent(&i, 1, &classes(), 0.2));
        assert!(text.contains(r#""hold_reason":"artifact""#), "{text}");
        assert!(!text.contains("null"), "{text}");
    }

    #[test]
    fn holds_without_a_decode_carry_no_probabilities() {
        let i = intent(&[0.0, 0.0], IntentKind::Hold, HoldReason::Calibrating);
        let text = line(&IntentMessage::from_intent(&i, 1, &classes(), 0.2));
        assert!(text.starts_with(r#"{"type":"hold""#), "{text}");
        assert!(!text.contains("probabilities") && !text.contains("confidence"));
        assert!(text.contains(r#""hold_reason":"calibrating""#), "{text}");
        // A hold after a decode keeps its numbers.
        let i = intent(&[0.6, 0.4], IntentKind::Hold, HoldReason::LowConfidence);
        let text = line(&IntentMessage::from_intent(&i, 2, &classes(), 0.2));
        assert!(text.contains(r#""probabilities":[0.6,0.4]"#), "{text}");
    }

    #[test]
    fn null_probabilities_are_refused_by_the_parser() {
        let text = r#"{"type":"intent","seq":1,"kind":"class","class":"left","class_index":0,"confidence":null,"probabilities":[null,null],"hold_reason":"none","window":1,"t":{"sample":1,"arrival":1,"decode_start":1,"decode_end":1,"publish":1}}"#;
        assert!(serde_json::from_str::<ServerMessage>(text).is_err());
    }
}

#[cfg(test)]
mod hold_reason_names {
    use super::*;

    #[test]
    fn names_are_the_wire_names() {
        assert_eq!(
            hold_reason_name(HoldReason::LowConfidence),
            "low_confidence"
        );
        assert_eq!(hold_reason_name(HoldReason::Estop), "estop");
    }
}
