//! Parsing and preflight: exact paths and messages, every problem at once.

use neuroloop_core::{ChannelSpec, StreamSpec};
use neuroloop_dsp::{ChainConfig, StageRegistry, WindowConfig};

fn spec(fs: f64) -> StreamSpec {
    StreamSpec {
        name: "t".into(),
        channels: ["C3", "Cz", "C4", "EOG"].map(ChannelSpec::eeg).to_vec(),
        sample_rate: fs,
        block_size: 8,
    }
}

fn tables(src: &str) -> Vec<toml::Value> {
    let doc: toml::Table = toml::from_str(src).unwrap();
    doc["filters"].as_array().unwrap().clone()
}

fn errors(src: &str, fs: f64) -> Vec<String> {
    let reg = StageRegistry::builtin();
    let errs = match ChainConfig::from_toml(&reg, &tables(src), "pipeline.filters") {
        Err(e) => e,
        Ok(cfg) => cfg.preflight(&spec(fs)).err().unwrap_or_default(),
    };
    errs.iter().map(ToString::to_string).collect()
}

#[test]
fn valid_chain_passes() {
    let e = errors(
        r#"filters = [
            { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 },
            { type = "highpass", cutoff_hz = 1, order = 2 },
            { type = "lowpass", cutoff_hz = 40.0, order = 4 },
            { type = "bandstop", low_hz = 45.0, high_hz = 55.0, order = 2 },
            { type = "notch", freq_hz = 50.0, q = 30.0, harmonics = 2 },
            { type = "car", exclude = ["EOG"] },
        ]"#,
        250.0,
    );
    assert!(e.is_empty(), "{e:?}");
}

#[test]
fn preflight_reports_every_problem_with_its_path() {
    let e = errors(
        r#"filters = [
            { type = "notch", freq_hz = 50.0, q = 0.0, harmonics = 0 },
            { type = "bandpass", low_hz = 8.0, high_hz = 120.0, order = 0 },
            { type = "bandpass", low_hz = 30.0, high_hz = 8.0, order = 17 },
            { type = "lowpass", cutoff_hz = 80.0, order = 2 },
            { type = "car", exclude = ["EOG", "Fp1"] },
        ]"#,
        160.0,
    );
    assert_eq!(
        e,
        vec![
            "pipeline.filters[0].q: 0 must be a finite number above 0",
            "pipeline.filters[0].harmonics: 0 must be at least 1 (the fundamental)",
            "pipeline.filters[1].high_hz: 120 is above Nyquist (80 Hz)",
            "pipeline.filters[1].order: 0 is outside 1..=16",
            "pipeline.filters[2].low_hz: 30 must be below high_hz (8)",
            "pipeline.filters[2].order: 17 is outside 1..=16",
            "pipeline.filters[3].cutoff_hz: 80 equals Nyquist (80 Hz); it must be below",
            "pipeline.filters[4].exclude[1]: unknown channel label \"Fp1\"; the stream has: C3, Cz, C4, EOG",
        ]
    );
}

#[test]
fn parse_errors_name_the_field() {
    let e = errors(
        r#"filters = [
            { type = "bandpas", low_hz = 8.0 },
            { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4, hihg_hz = 1.0, gain = 2 },
            { type = "lowpass", cutoff_hz = 40.0, order = "four" },
            { type = "highpass", order = 2 },
            { low_hz = 1.0 },
        ]"#,
        250.0,
    );
    assert_eq!(
        e,
        vec![
            "pipeline.filters[0].type: unknown stage type \"bandpas\"; known types: bandpass, bandstop, car, highpass, lowpass, notch",
            "pipeline.filters[1].gain: unknown field; expected one of: low_hz, high_hz, order",
            "pipeline.filters[1].hihg_hz: unknown field; expected one of: low_hz, high_hz, order",
            "pipeline.filters[2].order: invalid type: string \"four\", expected u32",
            "pipeline.filters[3].cutoff_hz: missing field `cutoff_hz`",
            "pipeline.filters[4].type: missing; known types: bandpass, bandstop, car, highpass, lowpass, notch",
        ]
    );
}

#[test]
fn custom_stage_types_can_be_registered() {
    let mut reg = StageRegistry::builtin();
    reg.register("identity", |_table, _path| {
        Ok(Box::new(neuroloop_dsp::CarConfig::default()) as Box<dyn neuroloop_core::StageConfig>)
    });
    let cfg = ChainConfig::from_toml(&reg, &tables(r#"filters = [{ type = "identity" }]"#), "p");
    assert_eq!(cfg.unwrap().stages()[0].1.kind(), "car");
}

#[test]
fn irregular_streams_and_car_without_channels_are_rejected() {
    let e = errors(
        r#"filters = [{ type = "lowpass", cutoff_hz = 40.0, order = 2 }]"#,
        0.0,
    );
    assert_eq!(
        e,
        vec!["pipeline.filters[0]: needs a regularly sampled stream (sample_rate is 0)"]
    );
    let e = errors(
        r#"filters = [{ type = "car", exclude = ["C3", "Cz", "C4"] }]"#,
        250.0,
    );
    assert_eq!(
        e,
        vec![
            "pipeline.filters[0].exclude: a common average needs at least 2 included channels; 1 of 4 remain"
        ]
    );
}

#[test]
fn window_config_converts_seconds_and_reports_bad_values() {
    let ok = WindowConfig {
        window_s: 2.0,
        hop_s: 0.1,
    }
    .preflight(&spec(250.0), "pipeline.window");
    let shape = ok.unwrap();
    assert_eq!((shape.window_samples, shape.hop_samples), (500, 25));
    let bad = WindowConfig {
        window_s: 0.001,
        hop_s: -1.0,
    }
    .preflight(&spec(250.0), "pipeline.window")
    .unwrap_err();
    let bad: Vec<String> = bad.iter().map(ToString::to_string).collect();
    assert_eq!(
        bad,
        vec![
            "pipeline.window.window_s: 0.001 s is less than one sample at 250 Hz",
            "pipeline.window.hop_s: -1 must be a finite number of seconds above 0",
        ]
    );
    let parsed: WindowConfig = toml::from_str("window_s = 1.0\nhop_s = 0.5").unwrap();
    assert!(parsed.build(&spec(250.0), "w").is_ok());
    assert!(toml::from_str::<WindowConfig>("window_s = 1.0\nhop_s = 0.5\nx = 1").is_err());
}
