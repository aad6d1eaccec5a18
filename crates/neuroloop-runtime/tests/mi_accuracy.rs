//! The demo decoder learns the simulated two-class motor-imagery paradigm:
//! calibration windows from the first part of a session train it, and it is
//! scored on windows from the rest it never saw.

use neuroloop_core::{Marker, SampleBlock};
use neuroloop_decode::fit::{BandpowerSpec, EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_dsp::{ChainConfig, StageRegistry, WindowAssembler};
use neuroloop_runtime::labels::LabelTimeline;
use neuroloop_sources::sim::{ParadigmConfig, SimGenerator};

const LABELS: [&str; 16] = [
    "F3", "Fz", "F4", "FC3", "FC1", "FCz", "FC2", "FC4", "C3", "C1", "Cz", "C2", "C4", "CP3",
    "CPz", "CP4",
];

struct Labelled {
    windows: Vec<f32>,
    labels: Vec<usize>,
    newest: Vec<f64>,
}

/// Simulates `seconds` of the demo session and returns every labelled window.
fn labelled_windows(seconds: f64, seed: u64) -> Labelled {
    let fs = 250.0;
    let paradigm = ParadigmConfig::MotorImagery {
        classes: vec!["left".into(), "right".into()],
        trial_s: 4.0,
        rest_s: 2.0,
        erd_depth: 0.6,
    };
    let mut sim = SimGenerator::new(&LABELS, fs, 50.0, &paradigm, seed);
    let text = r#"
        filters = [
            { type = "notch", freq_hz = 50.0, q = 30.0 },
            { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 },
            { type = "car" },
        ]"#;
    let tables: toml::Table = toml::from_str(text).unwrap();
    let tables = tables["filters"].as_array().unwrap().clone();
    let spec = neuroloop_core::StreamSpec {
        name: "sim".into(),
        channels: LABELS
            .iter()
            .map(|l| neuroloop_core::ChannelSpec::eeg(*l))
            .collect(),
        sample_rate: fs,
        block_size: 25,
    };
    let chain_config =
        ChainConfig::from_toml(&StageRegistry::builtin(), &tables, "filters").unwrap();
    let mut chain = chain_config.initialize(&spec, 25).unwrap();
    let mut assembler = WindowAssembler::new(16, 250, 25).unwrap();
    let mut timeline = LabelTimeline::new(256, 0.5);
    let mut block = SampleBlock::with_capacity(16, 25);
    let mut out = Labelled {
        windows: Vec::new(),
        labels: Vec::new(),
        newest: Vec::new(),
    };
    let blocks = (seconds * fs / 25.0) as usize;
    for b in 0..blocks {
        let (data, times, arrivals) = block.buffers_mut();
        sim.fill(&mut data[..25 * 16], |index, code| {
            timeline.push(Marker {
                time: index as f64 / fs,
                code,
            });
        });
        for i in 0..25 {
            times[i] = (b * 25 + i) as f64 / fs;
            arrivals[i] = times[i];
        }
        block.set_len(25);
        chain.process(&mut block.as_mut());
        assembler
            .push_block(&block, |w| {
                if let Some(label) = timeline.label(w.oldest_time, w.newest_time) {
                    out.windows.extend_from_slice(w.data);
                    out.labels.push(label);
                    out.newest.push(w.newest_time);
                }
            })
            .unwrap();
    }
    out
}

#[test]
fn held_out_accuracy_on_simulated_motor_imagery_is_at_least_90_percent() {
    let data = labelled_windows(300.0, 7);
    let calibration_s = 120.0;
    let n_train = data.newest.iter().filter(|&&t| t < calibration_s).count();
    let window_len = 16 * 250;
    let calibration = EpochSet::new(
        16,
        250,
        250.0,
        vec!["left".into(), "right".into()],
        data.windows[..n_train * window_len].to_vec(),
        data.labels[..n_train].to_vec(),
    )
    .unwrap();
    // The demo session's settings: [decoder] seed = 1, hyperparameters
    // c = 0.01 (its calibration windows overlap tenfold); bands 8-13 and
    // 13-30 Hz.
    let spec = BandpowerSpec {
        c: 0.01,
        ..BandpowerSpec::default()
    };
    let spec = ModelSpec::with_spec("bandpower", &spec).unwrap();
    let options = FitOptions {
        seed: 1,
        ..FitOptions::default()
    };
    let model = fit(&spec, &calibration, &options, &mut |_| {}).unwrap();
    let report = model.report().clone();
    let mut decoder = model.into_decoder().unwrap();
    let mut correct = 0;
    let held_out = data.labels.len() - n_train;
    let mut probabilities = [0.0f32; 2];
    for (i, &label) in data.labels.iter().enumerate().skip(n_train) {
        let window = neuroloop_core::Window {
            index: i as u64,
            channels: 16,
            samples: 250,
            data: &data.windows[i * window_len..(i + 1) * window_len],
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        decoder.decode(&window, &mut probabilities).unwrap();
        let predicted = usize::from(probabilities[1] > probabilities[0]);
        correct += usize::from(predicted == label);
    }
    let accuracy = correct as f64 / held_out as f64;
    eprintln!(
        "trained on {n_train} windows ({report:?}); held-out accuracy {accuracy:.3} over {held_out} windows"
    );
    assert!(held_out > 500, "enough held-out windows: {held_out}");
    assert!(accuracy >= 0.90, "held-out accuracy {accuracy:.3} < 0.90");
}
