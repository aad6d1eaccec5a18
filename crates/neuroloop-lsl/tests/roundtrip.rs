//! liblsl in one process: an outlet, discovery, an inlet, exact values.
//! Needs liblsl (the repository's .venv with pylsl: scripts/setup-python.sh).

use neuroloop_lsl::{ChannelDesc, ChannelFormat, Inlet, Outlet, Settings, StreamInfo, load};

fn lsl() -> &'static neuroloop_lsl::Lsl {
    load(&Settings::default())
        .unwrap_or_else(|e| panic!("{e}\n(run scripts/setup-python.sh to create .venv with pylsl)"))
}

#[test]
fn outlet_to_inlet_in_process_is_exact() {
    let lsl = lsl();
    let name = format!("nl-roundtrip-{}", std::process::id());
    let mut info =
        StreamInfo::new(lsl, &name, "EEG", 3, 100.0, ChannelFormat::Float32, "rt-1").expect("info");
    let channels: Vec<ChannelDesc> = ["C3", "Cz", "C4"]
        .iter()
        .map(|l| ChannelDesc {
            label: (*l).into(),
            unit: "microvolts".into(),
            kind: "EEG".into(),
        })
        .collect();
    info.set_channels(&channels).expect("desc");
    let mut outlet = Outlet::open(&info, 10).expect("outlet");
    let found = lsl
        .resolve(&format!("name='{name}'"), 5.0)
        .expect("resolve");
    assert_eq!(found.len(), 1);
    let remote = &found[0];
    assert_eq!(remote.channel_count(), 3);
    assert_eq!(remote.nominal_rate(), 100.0);
    assert_eq!(remote.format(), ChannelFormat::Float32);
    assert_eq!(remote.source_id(), "rt-1");
    let mut inlet = Inlet::open(remote, 10, 5.0).expect("inlet");
    let full = inlet.info(5.0).expect("full info");
    assert_eq!(full.channels(), channels);
    assert_eq!(full.name(), name);
    assert!(outlet.wait_for_consumers(5.0));
    let n = 50;
    let data: Vec<f32> = (0..n * 3).map(|i| i as f32 * 0.25 - 7.0).collect();
    let t0 = lsl.local_clock();
    let times: Vec<f64> = (0..n).map(|i| t0 + i as f64 / 100.0).collect();
    outlet.push_chunk(&data, &times).expect("push");
    let mut got = vec![0.0f32; n * 3];
    let mut got_t = vec![0.0f64; n];
    let mut have = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while have < n && std::time::Instant::now() < deadline {
        let k = inlet
            .pull_chunk(&mut got[have * 3..], &mut got_t[have..], 0.2)
            .expect("pull");
        have += k;
    }
    assert_eq!(have, n);
    assert_eq!(got, data);
    for (a, b) in got_t.iter().zip(&times) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    let c = inlet.time_correction(2.0).expect("time correction");
    assert!(c.abs() < 0.01, "same-machine correction {c}");
}
