//! The session TOML sections as deserialised, before validation.

use serde::Deserialize;

use super::defaults::{
    default_deadman_missed, default_heartbeat_ms, default_hello_timeout_ms, default_label_delay_s,
    default_max_connections, default_max_line_bytes, default_max_memory_mb, default_max_msgs_per_s,
    default_queue, default_ring_s, default_seed, default_send_buffer_bytes, default_smoothing,
    default_stall_timeout_ms, default_tcp, default_threshold,
};

/// `[session]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSection {
    /// Session name, used in reports and the protocol hello.
    pub name: String,
    /// Hardware profile name (file in `hardware-profiles/`) or path;
    /// optional for a replay source, whose recording gives the stream.
    #[serde(default)]
    pub hardware_profile: Option<String>,
    /// Capacity of the source → pipeline ring in seconds (≥ 2).
    #[serde(default = "default_ring_s")]
    pub ring_s: f64,
    /// Most memory the session may preallocate (rings, calibration set,
    /// windows, queues), megabytes; a config needing more is refused
    /// before anything is allocated.
    #[serde(default = "default_max_memory_mb")]
    pub max_memory_mb: u64,
}

/// `[pipeline]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    /// Labels of the stream's channels the pipeline reads, in that order
    /// (default: every channel of the profile's `channel_kind`; see
    /// [`crate::channel_kinds`]).
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// Filter stages in order, each a table with a `type`.
    #[serde(default)]
    pub filters: Vec<toml::Value>,
    /// How windows are cut: `"hop"` (default: every `hop_s`) or
    /// `"events"` (one window locked to each marker).
    #[serde(default)]
    pub windows: Option<String>,
    /// Analysis window length in seconds (`windows = "hop"`).
    #[serde(default)]
    pub window_s: Option<f64>,
    /// Hop between window starts in seconds (`windows = "hop"`).
    #[serde(default)]
    pub hop_s: Option<f64>,
    /// Seconds from a marker to its window's first sample, negative for
    /// before it (`windows = "events"`).
    #[serde(default)]
    pub event_offset_s: Option<f64>,
    /// Length of an event window in seconds (`windows = "events"`).
    #[serde(default)]
    pub event_length_s: Option<f64>,
    /// Classes whose markers lock windows (`windows = "events"`; default:
    /// every labelled marker).
    #[serde(default)]
    pub event_markers: Option<Vec<String>>,
    /// `[pipeline.artifacts]`: artifact limits over the hardware profile's
    /// physical range (see `crate::artifacts`).
    #[serde(default)]
    pub artifacts: Option<toml::Value>,
}

/// `[decoder]`.
///
/// `type` names an architecture of [`DecoderSection::decoders`]
/// (`bandpower`, `csp_lda`, `fbcsp`, `tangent_space`, `mdm`, `eegnet`,
/// `shallow_convnet`, `transformer`, ...) that is calibrated at the start
/// of the session (`calibration_s`, with `hyperparameters`, and
/// `bands_hz` for bandpower); `type = "bundle"`
/// loads a trained model bundle from `path` (written by `neuroloop train`)
/// and decodes from the first window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoderSection {
    /// Decoder type: an architecture trained on calibration, or `bundle`
    /// (a trained model bundle).
    #[serde(rename = "type")]
    pub kind: String,
    /// Frequency bands `[low, high]` in Hz (`bandpower`).
    #[serde(default)]
    pub bands_hz: Vec<[f64; 2]>,
    /// Hyperparameters of the architecture (its spec's fields, e.g.
    /// `{ c = 0.5 }` for `tangent_space`, `{ pairs = 3 }` for `csp_lda`).
    #[serde(default)]
    pub hyperparameters: Option<toml::Table>,
    /// Seconds of labelled calibration at the start of the session
    /// (`bandpower`).
    #[serde(default)]
    pub calibration_s: f64,
    /// Bundle directory (`bundle`); relative paths are relative to the
    /// config file.
    #[serde(default)]
    pub path: Option<String>,
    /// Save the decoder trained on calibration as a bundle in this
    /// directory (`bandpower`); relative to the config file.
    #[serde(default)]
    pub save_bundle: Option<String>,
    /// Seconds after a cue before windows count as labelled (task ramp-up).
    #[serde(default = "default_label_delay_s")]
    pub label_delay_s: f64,
    /// Training seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Where a network decoder runs in the session: `"cpu"` (the default:
    /// the plain-Rust inference forms on the pipeline thread), `"wgpu"` or
    /// `"cuda"` (the burn forward on a GPU, on a decode worker thread; needs
    /// a build with the `wgpu` or `cuda` feature).
    #[serde(default)]
    pub device: Option<String>,
    /// Milliseconds a window's result may take on the GPU, from the hand-off
    /// to the worker; a result later than this is a hold with reason
    /// `late`. Only with a GPU `device`; default
    /// [`DEFAULT_GPU_DEADLINE_MS`](crate::config::DEFAULT_GPU_DEADLINE_MS).
    #[serde(default)]
    pub gpu_deadline_ms: Option<f64>,
    /// The architectures `type` is looked up in: the built-in ones unless
    /// the config was parsed with others
    /// ([`parse_with`](crate::config::parse_with) and its [`Registries`](crate::config::Registries)).
    /// The spec from [`Self::model_spec`] carries its architecture, so the
    /// trainer thread needs nothing else.
    #[serde(skip)]
    pub decoders: std::sync::Arc<neuroloop_decode::fit::DecoderRegistry>,
}

impl DecoderSection {
    /// The compute device the decoder runs on (validated; `cpu` when
    /// unset).
    #[must_use]
    pub fn compute_device(&self) -> neuroloop_decode::ComputeDevice {
        self.device
            .as_deref()
            .and_then(|name| neuroloop_decode::ComputeDevice::parse(name).ok())
            .unwrap_or_default()
    }

    /// Seconds a GPU result may take (`gpu_deadline_ms`, or its default).
    #[must_use]
    pub fn gpu_deadline_s(&self) -> f64 {
        self.gpu_deadline_ms
            .unwrap_or(crate::config::DEFAULT_GPU_DEADLINE_MS)
            / 1000.0
    }

    /// Whether the decoder comes from a bundle instead of calibration.
    #[must_use]
    pub fn is_bundle(&self) -> bool {
        self.kind == "bundle"
    }

    /// The architecture and hyperparameters to calibrate.
    ///
    /// # Errors
    /// A message for an unknown architecture or hyperparameters that do not
    /// belong to it.
    pub fn model_spec(&self) -> Result<neuroloop_decode::fit::ModelSpec, String> {
        let mut map = match &self.hyperparameters {
            Some(table) => match serde_json::to_value(table).map_err(|e| e.to_string())? {
                serde_json::Value::Object(map) => map,
                _ => return Err("hyperparameters must be a table".into()),
            },
            None => serde_json::Map::new(),
        };
        if self.kind == "bandpower" && !self.bands_hz.is_empty() {
            map.insert("bands_hz".into(), serde_json::json!(self.bands_hz));
        }
        self.decoders
            .spec(&self.kind, map)
            .map_err(|e| e.to_string())
    }

    /// The bundle directory, resolved against the config file's directory.
    #[must_use]
    pub fn bundle_dir(&self, config_path: &std::path::Path) -> Option<std::path::PathBuf> {
        Some(beside(config_path, self.path.as_deref()?))
    }

    /// Where to save the calibration-trained decoder, resolved against the
    /// config file's directory.
    #[must_use]
    pub fn save_dir(&self, config_path: &std::path::Path) -> Option<std::path::PathBuf> {
        Some(beside(config_path, self.save_bundle.as_deref()?))
    }
}

/// `path`, relative to the directory of `config_path` unless absolute.
fn beside(config_path: &std::path::Path, path: &str) -> std::path::PathBuf {
    let path = std::path::Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        config_path
            .parent()
            .unwrap_or_else(|| std::path::Path::new("."))
            .join(path)
    }
}

/// `[policy]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySection {
    /// Windows averaged by the probability smoother (1 = none).
    #[serde(default = "default_smoothing")]
    pub smoothing: usize,
    /// Smoothed probability needed to act.
    #[serde(default = "default_threshold")]
    pub threshold: f32,
    /// Seconds a class must stay above threshold before it is issued.
    #[serde(default)]
    pub dwell_s: f64,
}

/// `[publish]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishSection {
    /// TCP address of the intent server.
    #[serde(default = "default_tcp")]
    pub tcp: String,
    /// Intents buffered per connection before the oldest are dropped.
    #[serde(default = "default_queue")]
    pub queue: usize,
    /// Server heartbeat interval, milliseconds.
    #[serde(default = "default_heartbeat_ms")]
    pub heartbeat_ms: u64,
    /// Heartbeat intervals without one after which an actuator must stop.
    #[serde(default = "default_deadman_missed")]
    pub deadman_missed: u32,
    /// Session token. Required when `tcp` is not a loopback address; when
    /// set, every client must present it in its hello.
    #[serde(default)]
    pub token: Option<String>,
    /// Most simultaneous connections.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Longest client line, bytes.
    #[serde(default = "default_max_line_bytes")]
    pub max_line_bytes: usize,
    /// Messages per second a client may send.
    #[serde(default = "default_max_msgs_per_s")]
    pub max_msgs_per_s: u32,
    /// Milliseconds a required client hello may take.
    #[serde(default = "default_hello_timeout_ms")]
    pub hello_timeout_ms: u64,
    /// A client that accepts no bytes for this long is disconnected.
    #[serde(default = "default_stall_timeout_ms")]
    pub stall_timeout_ms: u64,
    /// Kernel send buffer per connection, bytes. Small, so that a slow
    /// client gets the newest intents instead of seconds-old ones queued
    /// in the kernel.
    #[serde(default = "default_send_buffer_bytes")]
    pub send_buffer_bytes: u32,
    /// Milliseconds after the arrival of its newest sample at which an
    /// intent expires: it is never sent later, and clients treat it as a
    /// hold (default: one hop plus 100 ms, filled in by validation).
    #[serde(default)]
    pub intent_max_age_ms: Option<u64>,
    /// A client whose unread lines are older than this many milliseconds
    /// is sent `lagged` and skips intents until it catches up (default
    /// 1000).
    #[serde(default)]
    pub max_lag_ms: Option<u64>,
    /// Also serve the protocol on this Unix domain socket path (mode 0600).
    #[serde(default)]
    pub unix: Option<String>,
    /// Also serve the protocol over WebSocket (`ws://`) at this IP:port; a
    /// non-loopback address requires `token`, as for `tcp`.
    #[serde(default)]
    pub websocket: Option<String>,
    /// Browser origins (`Origin` header, e.g. `"http://localhost:8080"`)
    /// allowed to open a WebSocket; handshakes from other origins are
    /// refused, handshakes without an `Origin` header are accepted.
    #[serde(default)]
    pub websocket_origins: Vec<String>,
}
