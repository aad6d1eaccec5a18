//! [`LatencyDoc`]: the JSON latency report (`latency.json`), its schema in
//! `docs/latency-report.schema.json`.

use std::path::Path;

use neuroloop_core::{HoldReason, Intent};
use neuroloop_runtime::report::TransportLatency;
use neuroloop_runtime::{LatencySummary, Stage};
use serde::{Deserialize, Serialize};

use super::machine::{Hashed, Machine};
use super::session::BenchRun;

/// The `schema` value of this version of the document.
pub const SCHEMA: &str = "neuroloop-latency-report/1";

/// A latency report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyDoc {
    /// [`SCHEMA`].
    pub schema: String,
    /// Seconds since the Unix epoch when the report was written.
    pub created_unix_s: f64,
    /// The machine.
    pub machine: Machine,
    /// neuroloop's version.
    pub neuroloop_version: String,
    /// The session config.
    pub config: Hashed,
    /// The bundle of a `[decoder] type = "bundle"`.
    pub bundle: Option<Hashed>,
    /// What ran.
    pub session: SessionFacts,
    /// How much went through.
    pub counts: Counts,
    /// publish − arrival of the decided windows.
    pub end_to_end: LatencySummary,
    /// Each stage of the decided windows, in data-path order; their means
    /// add up to `end_to_end`'s.
    pub stages: Vec<NamedSummary>,
    /// publish → line written to a client's socket.
    pub socket_write: LatencySummary,
    /// publish → actuator `ack` received.
    pub ack_rtt: LatencySummary,
    /// The amplifier to neuroloop, and its clock.
    pub transport: TransportLatency,
    /// Per decided window, for the plots.
    pub series: Series,
}

/// What ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionFacts {
    /// `[session] name`.
    pub name: String,
    /// `[source] type`.
    pub source: String,
    /// Input channels.
    pub channels: usize,
    /// Input sample rate.
    pub rate_hz: f64,
    /// Seconds between windows.
    pub hop_s: f64,
    /// Seconds the session ran.
    pub duration_s: f64,
    /// `in_process` or `external`.
    pub client: String,
}

/// Counts of the run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Samples through the pipeline.
    pub samples: u64,
    /// Windows cut.
    pub windows: u64,
    /// Intents and holds published.
    pub published: u64,
    /// Decided windows (published, less calibration and signal-loss holds).
    pub decided: u64,
    /// Signal-loss holds (gaps and stalls).
    pub signal_loss_holds: u64,
    /// Decided windows published more than one hop after their newest
    /// sample arrived (the next window was already due).
    pub overruns: u64,
    /// Pushes that arrived later than real time allows.
    pub late_pushes: u64,
    /// Samples the ring dropped.
    pub ring_dropped: u64,
    /// Intents the pipeline could not queue.
    pub intents_dropped: u64,
    /// Acks the in-process client sent.
    pub acks: u64,
}

/// A stage's name and summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedSummary {
    /// `ring`, `filter`, `window`, `decode`, `policy` or `handoff`.
    pub name: String,
    /// Its latency.
    #[serde(flatten)]
    pub summary: LatencySummary,
}

/// Per decided window, in publish order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Publish time, seconds since the session started.
    pub t_s: Vec<f64>,
    /// publish − arrival, ms.
    pub end_to_end_ms: Vec<f64>,
    /// Each stage, ms, in `stages` order.
    pub stage_ms: Vec<Vec<f64>>,
    /// Times of signal-loss holds (gaps, stalls), seconds since the start.
    pub gaps_s: Vec<f64>,
    /// Times of overruns, seconds since the start.
    pub overruns_s: Vec<f64>,
}

/// The stage names, in [`Stage::ALL`] order.
pub const STAGE_NAMES: [&str; 6] = ["ring", "filter", "window", "decode", "policy", "handoff"];

impl LatencyDoc {
    /// The report of a finished benchmark run of `config`.
    #[must_use]
    pub fn build(config: &Path, run: &BenchRun) -> Self {
        let r = &run.report;
        let l = &r.latency;
        let stages = l
            .stages
            .named()
            .iter()
            .map(|(name, s)| NamedSummary {
                name: (*name).to_string(),
                summary: **s,
            })
            .collect();
        let series = series(&run.intents, run.started, run.hop_s);
        let signal_loss = run
            .intents
            .iter()
            .filter(|i| i.hold_reason == HoldReason::SignalLoss)
            .count() as u64;
        Self {
            schema: SCHEMA.into(),
            created_unix_s: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            machine: Machine::this(),
            neuroloop_version: env!("CARGO_PKG_VERSION").into(),
            config: Hashed::of(config),
            bundle: run.bundle.as_deref().map(Hashed::of),
            session: SessionFacts {
                name: r.session.clone(),
                source: run.source.clone(),
                channels: run.channels,
                rate_hz: run.rate_hz,
                hop_s: run.hop_s,
                duration_s: r.duration_s,
                client: match run.client {
                    super::ClientKind::InProcess => "in_process".into(),
                    super::ClientKind::External => "external".into(),
                },
            },
            counts: Counts {
                samples: r.pipeline.samples,
                windows: r.pipeline.windows,
                published: run.intents.len() as u64,
                decided: series.t_s.len() as u64,
                signal_loss_holds: signal_loss,
                overruns: series.overruns_s.len() as u64,
                late_pushes: r.overruns.late_pushes,
                ring_dropped: r.ring_dropped,
                intents_dropped: r.pipeline.intents_dropped,
                acks: run.acks,
            },
            end_to_end: l.decoded_publish_minus_arrival,
            stages,
            socket_write: l.socket_write,
            ack_rtt: r.protocol.ack_rtt,
            transport: l.transport.clone(),
            series,
        }
    }

    /// Reads a report written by `bench latency`.
    ///
    /// # Errors
    /// An unreadable file, a file that is not such a report, or another
    /// schema version.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: Self = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a latency report: {e}", path.display()))?;
        if doc.schema != SCHEMA {
            return Err(format!(
                "{}: schema {:?}, expected {SCHEMA:?}",
                path.display(),
                doc.schema
            ));
        }
        let names: Vec<&str> = doc.stages.iter().map(|s| s.name.as_str()).collect();
        if names != STAGE_NAMES || doc.series.stage_ms.len() != STAGE_NAMES.len() {
            return Err(format!(
                "{}: stages {names:?} with {} series columns, expected {STAGE_NAMES:?}",
                path.display(),
                doc.series.stage_ms.len()
            ));
        }
        Ok(doc)
    }
}

/// The decided windows' times and latencies, gaps and overruns.
fn series(intents: &[Intent], started: f64, hop_s: f64) -> Series {
    let mut s = Series {
        stage_ms: vec![Vec::new(); Stage::ALL.len()],
        ..Series::default()
    };
    for i in intents {
        let t = &i.times;
        let at = t.publish - started;
        if i.hold_reason == HoldReason::SignalLoss {
            s.gaps_s.push(at);
        }
        if !neuroloop_runtime::is_decided(i) {
            continue;
        }
        let e2e = t.publish - t.arrival;
        s.t_s.push(at);
        s.end_to_end_ms.push(e2e * 1e3);
        for (column, stage) in s.stage_ms.iter_mut().zip(Stage::ALL) {
            column.push(stage.of(t) * 1e3);
        }
        if e2e > hop_s {
            s.overruns_s.push(at);
        }
    }
    s
}
