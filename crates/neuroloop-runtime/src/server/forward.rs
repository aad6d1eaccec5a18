//! The forwarder: the producer side of the server's broadcast.
//!
//! A plain OS thread blocks on the pipeline's bounded crossbeam channel,
//! stamps each intent's publish time and sequence number, applies the
//! output state ([`Hub::gate`]: one atomic load), serialises the intent once
//! into a [`Line`] whose kind (class intent with its expiry, or hold) is set
//! here, records latency histograms, and broadcasts the line. When the
//! pipeline hangs up it broadcasts `bye` and drops the only strong sender of
//! the broadcast, which ends the listeners.

use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use neuroloop_core::{Intent, clock};
use neuroloop_protocol::{IntentMessage, ServerMessage};
use tokio::sync::broadcast;

use super::Hub;
use super::line::{Line, LineKind};
use crate::latency::LatencyHistograms;
use crate::recorder::LineFeed;

/// Who gets each published intent besides the broadcast.
#[derive(Debug, Default)]
pub struct Taps {
    /// Every intent as published (an unbounded channel: in-process
    /// consumers such as `neuroloop score` see every intent).
    pub intents: Option<Sender<Intent>>,
    /// The recorder's queue: every intent and hold line as broadcast.
    pub record: Option<LineFeed>,
}

/// Forwards intents until the pipeline hangs up, then broadcasts `bye`.
/// Each intent, as published, also goes to the [`Taps`]. Returns the
/// latency histograms of everything forwarded.
pub fn forward(
    intents: Receiver<Intent>,
    lines: broadcast::Sender<Line>,
    classes: Vec<String>,
    hub: Arc<Hub>,
    taps: Taps,
) -> LatencyHistograms {
    let mut histograms = LatencyHistograms::new();
    let mut seq = 0u64;
    let mut buffer = Vec::with_capacity(512);
    while let Ok(mut intent) = intents.recv() {
        intent.times.publish = clock::now();
        seq += 1;
        hub.gate(&mut intent, seq);
        histograms.record(&intent);
        if let Some(tap) = &taps.intents {
            // A consumer that hung up only stops receiving.
            let _ = tap.send(intent);
        }
        buffer.clear();
        let kind = intent_line(&intent, seq, &classes, hub.intent_max_age_s(), &mut buffer);
        let line = Line::output(&buffer, kind, intent.times.publish, seq);
        if let Some(record) = &taps.record {
            record.offer(&line);
        }
        // No receivers is fine: intents are not stored for later clients.
        let _ = lines.send(line);
    }
    buffer.clear();
    ServerMessage::Bye {
        reason: "session ended".into(),
    }
    .write_line(&mut buffer);
    let _ = lines.send(Line::new(&buffer));
    histograms
}

/// Serialises a published intent: `intent` for class intents, `hold`
/// otherwise (also for a class intent with a non-finite number, see
/// [`IntentMessage::from_intent`]). Returns the kind of the line: a class
/// intent with its expiry, or a hold.
fn intent_line(
    intent: &Intent,
    seq: u64,
    classes: &[String],
    max_age_s: f64,
    out: &mut Vec<u8>,
) -> LineKind {
    let message = IntentMessage::from_intent(intent, seq, classes, max_age_s);
    message.write_line(out);
    match message {
        ServerMessage::Intent(i) => LineKind::Intent {
            valid_until: i
                .valid_until
                .map_or(f64::NEG_INFINITY, neuroloop_protocol::Finite::get),
        },
        _ => LineKind::Hold,
    }
}

#[cfg(test)]
mod tests {
    use neuroloop_core::{HoldReason, IntentKind, IntentTimes, MAX_CLASSES};
    use neuroloop_protocol::{Actor, ClientMessage, Role};

    use super::*;

    fn intent(kind: IntentKind, hold_reason: HoldReason, arrival: f64) -> Intent {
        let mut probabilities = [0.0; MAX_CLASSES];
        probabilities[..2].copy_from_slice(&[0.9, 0.1]);
        Intent {
            window: 0,
            kind,
            hold_reason,
            class: 0,
            confidence: 0.9,
            probabilities,
            n_classes: 2,
            times: IntentTimes {
                publish: 0.0,
                ..IntentTimes::all_at(arrival)
            },
        }
    }

    fn json(line: &Line) -> serde_json::Value {
        serde_json::from_slice(line).expect("a JSON line")
    }

    #[test]
    fn each_line_carries_the_kind_it_was_serialised_as() {
        let hub = Arc::new(Hub::with_intent_max_age(0.25));
        let (lines, mut rx) = broadcast::channel(16);
        let (tx, intents) = crossbeam_channel::unbounded();
        let classes = vec!["left".to_string(), "right".to_string()];
        let forward_hub = Arc::clone(&hub);
        let forwarder = std::thread::spawn(move || {
            forward(intents, lines, classes, forward_hub, Taps::default())
        });

        tx.send(intent(IntentKind::Class, HoldReason::None, 10.0))
            .unwrap();
        let class = rx.blocking_recv().unwrap();
        assert_eq!(class.kind, LineKind::Intent { valid_until: 10.25 });
        assert_eq!(
            (json(&class)["type"].as_str(), class.seq),
            (Some("intent"), 1)
        );

        // A class intent published during an e-stop is a hold, typed so.
        let operator = Actor {
            client: 1,
            role: Role::Operator,
        };
        hub.command(&ClientMessage::Estop { reason: None }, operator);
        tx.send(intent(IntentKind::Class, HoldReason::None, 10.1))
            .unwrap();
        let stopped = rx.blocking_recv().unwrap();
        assert_eq!(stopped.kind, LineKind::Hold);
        assert_eq!(json(&stopped)["hold_reason"], "estop");
        assert_eq!(stopped.seq, 2);

        drop(tx);
        forwarder.join().unwrap();
        let bye = rx.blocking_recv().unwrap();
        assert_eq!(bye.kind, LineKind::Session);
        assert_eq!((json(&bye)["type"].as_str(), bye.seq), (Some("bye"), 0));
    }
}
