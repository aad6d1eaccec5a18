//! Streaming behaviour: chunking invariance, reset, NaN handling, CAR.

use neuroloop_core::{BlockMut, ChannelSpec, SampleBlock, StageConfig, StreamSpec};
use neuroloop_dsp::{Band, CarConfig, ChainConfig, SosFilter, StageRegistry, butter, iirnotch};

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn signal(n: usize, channels: usize) -> Vec<f32> {
    (0..n * channels)
        .map(|i| {
            let (s, ch) = ((i / channels) as f64, (i % channels) as f64);
            (20.0 * (s * 0.07 * (ch + 1.0)).sin() + 3.0 * (s * 1.3).cos() + ch) as f32
        })
        .collect()
}

fn sos() -> Vec<[f64; 6]> {
    let mut s = butter(4, Band::Bandpass(8.0, 30.0), 250.0).unwrap();
    s.push(iirnotch(50.0, 30.0, 250.0).unwrap());
    s
}

#[test]
fn chunked_streaming_is_bit_exact_with_one_shot() {
    let channels = 5;
    let x = signal(1000, channels);
    let mut whole = x.clone();
    SosFilter::new(&sos(), channels).process(&mut whole);
    for chunk in [1usize, 7, 64] {
        let mut f = SosFilter::new(&sos(), channels);
        let mut y = x.clone();
        for c in y.chunks_mut(chunk * channels) {
            f.process(c);
        }
        assert!(
            y.iter()
                .zip(&whole)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "chunk {chunk} differs"
        );
    }
}

#[test]
fn filtering_changes_the_signal_and_reset_restores_rest() {
    let x = signal(300, 2);
    let mut f = SosFilter::new(&sos(), 2);
    let mut a = x.clone();
    f.process(&mut a);
    assert_ne!(a, x);
    f.reset();
    let mut b = x.clone();
    f.process(&mut b);
    assert_eq!(a, b, "after reset the filter starts from rest again");
}

fn spec(labels: &[&str]) -> StreamSpec {
    StreamSpec {
        name: "t".into(),
        channels: labels.iter().map(|l| ChannelSpec::eeg(*l)).collect(),
        sample_rate: 250.0,
        block_size: 10,
    }
}

#[test]
fn nan_and_inf_do_not_panic_and_are_counted() {
    let tables: toml::Table = toml::from_str(
        r#"f = [ { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 },
                 { type = "notch", freq_hz = 50.0, q = 30.0, harmonics = 2 },
                 { type = "car" } ]"#,
    )
    .unwrap();
    let s = spec(&["C3", "Cz", "C4"]);
    let cfg = ChainConfig::from_toml(
        &StageRegistry::builtin(),
        tables["f"].as_array().unwrap(),
        "f",
    )
    .unwrap();
    let mut chain = cfg.initialize(&s, 16).unwrap();
    let counter = chain.non_finite_counter();
    let mut data = signal(16, 3);
    data[4] = f32::NAN;
    data[10] = f32::INFINITY;
    data[11] = f32::NEG_INFINITY;
    let ts = vec![0.0; 16];
    chain.process(&mut BlockMut {
        channels: 3,
        data: &mut data,
        timestamps: &ts,
    });
    assert_eq!(counter.get(), 3);
    assert!(data[4].is_nan());
    // Channel 1 restarted after its NaN and is finite again on the next sample.
    assert!(data[7].is_finite());
    // Channels without bad values stay finite everywhere.
    assert!(data.chunks(3).all(|f| f[0].is_finite()));
    // A whole block of NaN does not poison later blocks.
    let mut nan = vec![f32::NAN; 48];
    chain.process(&mut BlockMut {
        channels: 3,
        data: &mut nan,
        timestamps: &ts,
    });
    let mut ok = signal(16, 3);
    chain.process(&mut BlockMut {
        channels: 3,
        data: &mut ok,
        timestamps: &ts,
    });
    assert!(ok.iter().all(|v| v.is_finite()));
    assert_eq!(counter.get(), 51);
}

#[test]
fn car_subtracts_the_mean_of_included_channels_only() {
    let s = spec(&["C3", "Cz", "C4", "EOG"]);
    let cfg = CarConfig {
        exclude: vec!["eog".into()],
    };
    let mut stage = cfg.initialize(&s, 4).unwrap();
    let mut block = SampleBlock::with_capacity(4, 2);
    {
        let (d, _, _) = block.buffers_mut();
        d.copy_from_slice(&[1.0, 2.0, 6.0, 100.0, f32::NAN, 2.0, 4.0, 7.0]);
    }
    block.set_len(2);
    stage.process(&mut block.as_mut());
    let d = block.data();
    assert_eq!(&d[..4], &[-2.0, -1.0, 3.0, 100.0]);
    assert!(d[4].is_nan());
    assert_eq!(&d[5..], &[-1.0, 1.0, 7.0], "NaN left out of the mean");
}
