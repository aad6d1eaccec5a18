//! A source kind added through the source registry, without touching the
//! session code: a test-only "tone" source (each cue's class drives a
//! 10 Hz rhythm on its own channel) is registered by name with its own
//! config, validated with the session file, opened by the session builder
//! and run as a whole closed-loop session that calibrates on its cues and
//! decodes them.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use neuroloop_core::{ConfigError, Marker, StreamSpec, clock};
use neuroloop_runtime::config::{Registries, parse_with};
use neuroloop_runtime::profile::HardwareProfile;
use neuroloop_runtime::source_registry::{OpenContext, SourcePlan, deserialize};
use neuroloop_runtime::{RuntimeError, StartOptions, start};
use neuroloop_sources::{Source, SourceError, SourceIo, SourceReport};

/// `[source] type = "tone"`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ToneConfig {
    #[serde(rename = "type")]
    _kind: String,
    /// Seconds of signal.
    seconds: f64,
    /// Seconds per cue.
    cue_s: f64,
}

impl SourcePlan for ToneConfig {
    fn kind(&self) -> &'static str {
        "tone"
    }
    fn classes(&self) -> Vec<String> {
        vec!["up".into(), "down".into()]
    }
    fn check(&self, _: &HardwareProfile, _: &StreamSpec, errors: &mut Vec<ConfigError>) {
        if !(self.cue_s >= 1.0 && self.seconds > self.cue_s) {
            errors.push(ConfigError::new(
                "source.cue_s",
                "at least 1 s, below seconds",
            ));
        }
    }
    fn memory(&self, _: &StreamSpec) -> Vec<(&'static str, f64)> {
        Vec::new()
    }
    fn live(&self) -> bool {
        false
    }
    fn open(&self, context: &OpenContext<'_>) -> Result<Box<dyn Source>, RuntimeError> {
        Ok(Box::new(ToneSource {
            spec: context.spec.clone(),
            labels: context.classes.to_vec(),
            samples: (self.seconds * context.spec.sample_rate) as u64,
            cue: (self.cue_s * context.spec.sample_rate) as u64,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct ToneSource {
    spec: StreamSpec,
    labels: Vec<String>,
    samples: u64,
    cue: u64,
}

impl Source for ToneSource {
    fn spec(&self) -> &StreamSpec {
        &self.spec
    }
    fn marker_labels(&self) -> &[String] {
        &self.labels
    }
    fn run(&mut self, io: SourceIo, stop: &AtomicBool) -> Result<SourceReport, SourceError> {
        let (channels, fs) = (self.spec.channel_count(), self.spec.sample_rate);
        let mut io = io;
        let block = 25;
        let (mut data, mut times) = (vec![0f32; block * channels], vec![0f64; block]);
        let mut report = SourceReport::default();
        let mut noise = 0x2545_f491_u32;
        while report.samples < self.samples && !stop.load(Ordering::Relaxed) {
            for s in 0..block {
                let n = report.samples + s as u64;
                let class = ((n / self.cue) % 2) as usize;
                if let (true, Some(markers)) = (n.is_multiple_of(self.cue), io.markers.as_mut()) {
                    markers.push(Marker {
                        time: n as f64 / fs,
                        code: class as i32,
                    });
                    report.markers += 1;
                }
                let rhythm = (std::f64::consts::TAU * 10.0 * n as f64 / fs).sin() as f32;
                for c in 0..channels {
                    noise ^= noise << 13;
                    noise ^= noise >> 17;
                    noise ^= noise << 5;
                    let tone = if c == class { 20.0 * rhythm } else { 0.0 };
                    data[s * channels + c] = tone + (noise as f32 / u32::MAX as f32 - 0.5);
                }
                times[s] = n as f64 / fs;
            }
            while io.samples.room() < block && !stop.load(Ordering::Relaxed) {
                io.wake();
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            io.samples.push(&data, &times, clock::now());
            io.wake();
            report.samples += block as u64;
        }
        Ok(report)
    }
}

fn registries() -> Registries {
    let mut registries = Registries::builtin();
    registries.sources.register("tone", |table, context| {
        let config: ToneConfig = deserialize(table, context)?;
        Ok(Arc::new(config))
    });
    registries
}

/// A session file in the repository's configs/ (for the profile's path).
fn session_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/tone-test.toml")
}

fn session(source: &str) -> String {
    format!(
        r#"
[session]
name = "tone"
hardware_profile = "simulated"

[source]
{source}

[pipeline]
filters = [{{ type = "bandpass", low_hz = 4.0, high_hz = 40.0, order = 4 }}]
window_s = 1.0
hop_s = 0.25

[decoder]
type = "bandpower"
bands_hz = [[8.0, 13.0], [13.0, 30.0]]
calibration_s = 40.0

[policy]
smoothing = 1
threshold = 0.5
"#
    )
}

#[test]
fn a_registered_source_runs_a_whole_session_without_session_code_changes() {
    let text = session("type = \"tone\"\nseconds = 80.0\ncue_s = 4.0");
    let cfg = parse_with(&text, &session_path(), &registries()).unwrap();
    assert_eq!(cfg.source.kind(), "tone");
    assert_eq!(cfg.classes, ["up", "down"], "classes from the source");
    let options = StartOptions {
        listen: Some("127.0.0.1:0".parse().unwrap()),
        ..StartOptions::default()
    };
    let session = start(cfg, options).unwrap();
    while !session.source_finished() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let report = session.finish().unwrap();
    assert_eq!(report.samples_produced, 80 * 250, "{report:?}");
    assert_eq!(report.source.markers, 20);
    assert_eq!(report.pipeline.samples, 80 * 250, "every sample processed");
    assert_eq!(report.ring_dropped, 0);
    let training = report.training.as_ref().expect("calibrated");
    assert!(training.error.is_none(), "{training:?}");
    assert!(report.pipeline.decoded > 100, "{:?}", report.pipeline);
    // Each class's rhythm is on its own channel: the decoder trained on
    // the first 40 s decides the last 40 s almost always right.
    let accuracy = report.online_accuracy.expect("labelled windows");
    assert!(accuracy > 0.9, "online accuracy {accuracy}");
}

#[test]
fn a_registered_source_has_its_keys_checked_and_is_listed_when_unknown() {
    let registries = registries();
    let errors = parse_with(
        &session("type = \"tone\"\nseconds = 80.0\ncue_s = 0.5\nvolume = 3"),
        &session_path(),
        &registries,
    )
    .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.path.starts_with("source") && e.message.contains("volume")),
        "{errors:?}"
    );
    let errors = parse_with(
        &session("type = \"tone\"\nseconds = 80.0\ncue_s = 0.5"),
        &session_path(),
        &registries,
    )
    .unwrap_err();
    assert!(
        errors.iter().any(|e| e.path == "source.cue_s"),
        "the source's own check: {errors:?}"
    );
    let errors =
        parse_with(&session("type = \"chime\""), &session_path(), &registries).unwrap_err();
    let unknown = errors.iter().find(|e| e.path == "source.type").unwrap();
    assert!(
        unknown.message.contains("tone") && unknown.message.contains("sim"),
        "{unknown}"
    );
    // The built-in registry does not know it.
    let errors = neuroloop_runtime::parse(
        &session("type = \"tone\"\nseconds = 80.0\ncue_s = 4.0"),
        &session_path(),
    )
    .unwrap_err();
    assert!(errors.iter().any(|e| e.path == "source.type"), "{errors:?}");
}
