//! Recorded against replayed decisions, window by window: what each
//! window became (class intent or hold, its class, hold reason,
//! probabilities and sample time, all compared exactly), which windows
//! differ and in what, and which only one side has.

use std::collections::BTreeMap;

use neuroloop_core::{HoldReason, Intent, IntentKind};
use neuroloop_protocol::{IntentMessage, ServerMessage};
use serde::Serialize;

/// What one window became.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Decision {
    /// The decoded window's index.
    pub window: u64,
    /// Source time of its newest sample, seconds.
    pub sample_time: f64,
    /// `class` or `hold`.
    pub kind: IntentKind,
    /// Index of the most probable class (also when holding).
    pub class_index: u8,
    /// Why it holds (`none` for class intents).
    pub hold_reason: HoldReason,
    /// Smoothed probabilities in class order; empty for holds that come
    /// from no decode.
    pub probabilities: Vec<f32>,
}

impl Decision {
    /// The decision an intent or hold line carries.
    pub(super) fn from_message(m: &IntentMessage) -> Self {
        Self {
            window: m.window,
            sample_time: m.t.sample.get(),
            kind: m.kind,
            class_index: m.class_index,
            hold_reason: m.hold_reason,
            probabilities: m
                .probabilities
                .as_ref()
                .map(|p| p.values().iter().map(|v| v.get()).collect())
                .unwrap_or_default(),
        }
    }

    /// The decision a session publishes for `intent` (the line a recorder
    /// writes is this message); `None` for no intent or hold line.
    pub(super) fn from_intent(intent: &Intent, classes: &[String]) -> Option<Self> {
        match IntentMessage::from_intent(intent, 0, classes, 0.0) {
            ServerMessage::Intent(m) | ServerMessage::Hold(m) => Some(Self::from_message(&m)),
            _ => None,
        }
    }

    /// `left`, or `hold (dwell)`.
    pub(super) fn label(&self, classes: &[String]) -> String {
        match self.kind {
            IntentKind::Class => classes
                .get(usize::from(self.class_index))
                .cloned()
                .unwrap_or_else(|| format!("class {}", self.class_index)),
            IntentKind::Hold => format!(
                "hold ({})",
                neuroloop_protocol::hold_reason_name(self.hold_reason)
            ),
        }
    }

    /// The parts in which `other` differs, bit for bit.
    fn differences(&self, other: &Self) -> Vec<&'static str> {
        let bits = |p: &[f32]| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let mut out = Vec::new();
        if self.kind != other.kind || self.hold_reason != other.hold_reason {
            out.push("kind");
        }
        if self.class_index != other.class_index {
            out.push("class");
        }
        if bits(&self.probabilities) != bits(&other.probabilities) {
            out.push("probabilities");
        }
        if self.sample_time.to_bits() != other.sample_time.to_bits() {
            out.push("sample_time");
        }
        out
    }
}

/// One window both sides decided, differently.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Difference {
    /// The window.
    pub window: u64,
    /// The recorded decision's sample time, seconds.
    pub sample_time: f64,
    /// What differs: `kind`, `class`, `probabilities`, `sample_time`.
    pub differs_in: Vec<&'static str>,
    /// As recorded.
    pub recorded: Decision,
    /// As replayed.
    pub replayed: Decision,
}

/// The comparison of a whole recording.
#[derive(Debug, Clone, Default)]
pub(super) struct Comparison {
    /// Decisions in the recording.
    pub recorded: usize,
    /// Decisions of the replay.
    pub replayed: usize,
    /// Windows both sides decided.
    pub compared: usize,
    /// Of those, the ones decided identically.
    pub same: usize,
    /// The others, in window order.
    pub differing: Vec<Difference>,
    /// Windows only the recording has.
    pub missing: Vec<u64>,
    /// Windows only the replay has.
    pub extra: Vec<u64>,
    /// Decisions after the last window both sides decided, in a file that
    /// was cut off: not compared.
    pub beyond_cut: usize,
    /// Every window, in window order.
    pub rows: Vec<Row>,
}

/// One window: what each side decided (`None` where it has no decision).
#[derive(Debug, Clone, Serialize)]
pub(super) struct Row {
    /// The window.
    pub window: u64,
    /// The recorded decision's label (`left`, `hold (dwell)`).
    pub recorded: Option<String>,
    /// The replayed decision's label.
    pub replayed: Option<String>,
}

impl Comparison {
    /// Compares the decisions window by window (a window decided twice on
    /// one side is matched in order).
    pub(super) fn new(recorded: &[Decision], replayed: &[Decision], classes: &[String]) -> Self {
        let keyed = |d: &[Decision]| {
            let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
            d.iter()
                .map(|d| {
                    let n = seen.entry(d.window).or_default();
                    *n += 1;
                    ((d.window, *n), d.clone())
                })
                .collect::<BTreeMap<_, _>>()
        };
        let (mut ours, theirs) = (keyed(recorded), keyed(replayed));
        let mut out = Self {
            recorded: recorded.len(),
            replayed: replayed.len(),
            ..Self::default()
        };
        for (key, replay) in theirs {
            let label = Some(replay.label(classes));
            let Some(record) = ours.remove(&key) else {
                out.extra.push(key.0);
                out.rows.push(Row {
                    window: key.0,
                    recorded: None,
                    replayed: label,
                });
                continue;
            };
            out.compared += 1;
            out.rows.push(Row {
                window: key.0,
                recorded: Some(record.label(classes)),
                replayed: label,
            });
            let differs_in = record.differences(&replay);
            if differs_in.is_empty() {
                out.same += 1;
            } else {
                out.differing.push(Difference {
                    window: key.0,
                    sample_time: record.sample_time,
                    differs_in,
                    recorded: record,
                    replayed: replay,
                });
            }
        }
        for (key, record) in ours {
            out.missing.push(key.0);
            out.rows.push(Row {
                window: key.0,
                recorded: Some(record.label(classes)),
                replayed: None,
            });
        }
        out.rows.sort_by_key(|r| r.window);
        out
    }

    /// As [`Comparison::new`] for a file that was cut off (a session
    /// killed): the decisions after the last window both sides decided lie
    /// beyond the cut on one side, so they are counted, not compared.
    pub(super) fn up_to_cut(
        recorded: &[Decision],
        replayed: &[Decision],
        classes: &[String],
    ) -> Self {
        let last = |d: &[Decision]| d.iter().map(|d| d.window).max();
        let end = last(recorded).min(last(replayed));
        let before = |d: &[Decision]| -> Vec<Decision> {
            d.iter()
                .filter(|d| end.is_some_and(|e| d.window <= e))
                .cloned()
                .collect()
        };
        let (ours, theirs) = (before(recorded), before(replayed));
        let mut out = Self::new(&ours, &theirs, classes);
        out.beyond_cut = recorded.len() + replayed.len() - ours.len() - theirs.len();
        (out.recorded, out.replayed) = (recorded.len(), replayed.len());
        out
    }

    /// Whether the replay decided every recorded window as recorded, and
    /// nothing more.
    pub(super) fn identical(&self) -> bool {
        self.differing.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }

    /// Class intents per class: `(recorded, replayed)`.
    pub(super) fn class_counts(&self, classes: &[String]) -> Vec<(String, usize, usize)> {
        let count = |class: &str, side: fn(&Row) -> Option<&str>| {
            self.rows.iter().filter(|r| side(r) == Some(class)).count()
        };
        classes
            .iter()
            .map(|c| {
                (
                    c.clone(),
                    count(c, |r| r.recorded.as_deref()),
                    count(c, |r| r.replayed.as_deref()),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decision(window: u64, kind: IntentKind, class: u8, p: &[f32]) -> Decision {
        Decision {
            window,
            sample_time: window as f64 * 0.1,
            kind,
            class_index: class,
            hold_reason: if kind == IntentKind::Class {
                HoldReason::None
            } else {
                HoldReason::Dwell
            },
            probabilities: p.to_vec(),
        }
    }

    #[test]
    fn a_recorded_line_gives_back_its_exact_times_and_probabilities() {
        use neuroloop_core::{IntentTimes, MAX_CLASSES};
        let classes = ["left".to_string(), "right".to_string()];
        let mut probabilities = [0.0; MAX_CLASSES];
        probabilities[..2].copy_from_slice(&[0.618_034, 0.381_966]);
        // A sample time the default JSON number parser reads one unit in
        // the last place off.
        let time = 36_030.964_982_929_996;
        let intent = Intent {
            window: 7,
            kind: IntentKind::Class,
            hold_reason: HoldReason::None,
            class: 0,
            confidence: probabilities[0],
            probabilities,
            n_classes: 2,
            times: IntentTimes::all_at(time),
        };
        let mut line = Vec::new();
        IntentMessage::from_intent(&intent, 1, &classes, 0.1).write_line(&mut line);
        let (ServerMessage::Intent(m) | ServerMessage::Hold(m)) =
            serde_json::from_slice(&line).unwrap()
        else {
            panic!("an intent line");
        };
        let back = Decision::from_message(&m);
        assert_eq!(back.sample_time.to_bits(), time.to_bits());
        assert_eq!(Some(back), Decision::from_intent(&intent, &classes));
    }

    #[test]
    fn finds_each_kind_of_difference() {
        let classes = ["left".to_string(), "right".to_string()];
        let a = decision(1, IntentKind::Class, 0, &[0.9, 0.1]);
        let b = decision(2, IntentKind::Hold, 1, &[0.4, 0.6]);
        let c = decision(3, IntentKind::Class, 1, &[0.2, 0.8]);
        let mut b2 = b.clone();
        b2.probabilities[0] = f32::from_bits(0.4f32.to_bits() + 1);
        let d = decision(4, IntentKind::Class, 0, &[0.7, 0.3]);
        let cmp = Comparison::new(
            &[a.clone(), b, c.clone()],
            &[a.clone(), b2, d.clone()],
            &classes,
        );
        assert_eq!((cmp.compared, cmp.same), (2, 1));
        assert_eq!(cmp.differing.len(), 1);
        assert_eq!(cmp.differing[0].differs_in, ["probabilities"], "one ulp");
        assert_eq!((cmp.missing, cmp.extra), (vec![3], vec![4]));
        assert!(!Comparison::new(std::slice::from_ref(&a), &[], &classes).identical());
        let same = std::slice::from_ref(&a);
        assert!(Comparison::new(same, same, &classes).identical());
        assert_eq!(c.label(&classes), "right");
        // Cut off: the tail beyond the last window both decided is counted.
        let e = decision(5, IntentKind::Class, 0, &[0.7, 0.3]);
        let cut = Comparison::up_to_cut(&[a.clone(), c.clone()], &[a.clone(), c, d, e], &classes);
        assert!(cut.identical(), "{cut:?}");
        assert_eq!((cut.compared, cut.beyond_cut), (2, 2));
        assert_eq!((cut.recorded, cut.replayed), (2, 4));
        let none = Comparison::up_to_cut(&[], std::slice::from_ref(&a), &classes);
        assert_eq!((none.compared, none.beyond_cut), (0, 1));
        assert_eq!(
            decision(0, IntentKind::Hold, 0, &[]).label(&classes),
            "hold (dwell)"
        );
    }
}
