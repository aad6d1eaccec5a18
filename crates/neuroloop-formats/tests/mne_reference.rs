//! The readers against MNE-Python on the real recordings in `../shared/data`.
//!
//! Fixtures come from `tools/formats/make_reference.py`. MNE reports volts:
//! it multiplies channels whose unit is `uV` by 1e-6. The readers return the
//! header's physical unit (`uV` in every file here), so each value is compared
//! as `ours * ChannelInfo::volts_per_unit() (= 1e-6)` against MNE's, to a
//! relative 1e-6 (with a floor of 1e-6 of one digital step, for zeros).

mod common;

use common::{data_file, fixture};
use neuroloop_formats::edf::EdfReader;
use neuroloop_formats::gdf::GdfReader;
use neuroloop_formats::{Recording, SampleReader, read_edf, read_gdf, read_recording};
use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Compares channel names, rate, length and the data excerpts; returns nothing, panics with context.
fn check_against_mne(rec: &Recording, mne: &Value, what: &str) {
    let names: Vec<&str> = mne["ch_names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ours: Vec<&str> = rec.channels.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(ours, names, "{what}: channel labels");
    assert_eq!(rec.sample_rate, f(&mne["sfreq"]), "{what}: sample rate");
    assert_eq!(
        rec.n_samples as u64,
        mne["n_times"].as_u64().unwrap(),
        "{what}: samples per channel"
    );
    assert_eq!(
        rec.data.len(),
        rec.channels.len() * rec.n_samples,
        "{what}: data length"
    );
    let mut compared = 0;
    let mut worst = 0.0f64;
    for ex in mne["excerpts"].as_array().unwrap() {
        let label = ex["channel"].as_str().unwrap();
        let c = rec
            .channel_index(label)
            .unwrap_or_else(|| panic!("{what}: no channel {label}"));
        assert_eq!(c as u64, ex["index"].as_u64().unwrap());
        let info = &rec.channels[c];
        let vpu = info.volts_per_unit().unwrap_or_else(|| {
            panic!(
                "{what}: unit {:?} of {label} is not a volt multiple",
                info.unit
            )
        });
        let floor = 1e-6 * info.scale().0.abs() * vpu;
        let x = rec.channel(c);
        let mut pairs: Vec<(usize, f64)> = ex["first"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, v)| (i, f(v)))
            .collect();
        pairs.extend(
            ex["at"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_u64().unwrap() as usize, f(&p[1]))),
        );
        for (i, want) in pairs {
            let got = x[i] * vpu;
            let tol = (1e-6 * want.abs()).max(floor);
            if want != 0.0 {
                worst = worst.max((got - want).abs() / want.abs());
            }
            assert!(
                (got - want).abs() <= tol,
                "{what}: {label}[{i}] = {got:e} V, MNE {want:e} V (tolerance {tol:e})"
            );
            compared += 1;
        }
    }
    for (c, info) in rec.channels.iter().enumerate() {
        let vpu = info.volts_per_unit().unwrap();
        let x = rec.channel(c);
        let n = x.len() as f64;
        let rms = (x.iter().map(|v| (v * vpu).powi(2)).sum::<f64>() / n).sqrt();
        let mean_abs = x.iter().map(|v| (v * vpu).abs()).sum::<f64>() / n;
        for (name, got, want) in [
            ("rms", rms, &mne["rms"][c]),
            ("mean_abs", mean_abs, &mne["mean_abs"][c]),
        ] {
            let want = f(want);
            assert!(
                (got - want).abs() <= 1e-6 * want.abs(),
                "{what}: {name} of {} = {got:e} V, MNE {want:e} V",
                info.label
            );
        }
    }
    assert!(compared >= 60, "{what}: only {compared} values compared");
    eprintln!("{what}: {compared} values, largest relative deviation from MNE {worst:e}");
}

fn check_edf(file: &str) {
    let mne = fixture(&format!("{file}.json"));
    let rec = read_edf(data_file(&format!("physionet-eegmmidb/{file}"))).unwrap();
    check_against_mne(&rec, &mne, file);
    assert_eq!(rec.channels.len(), 64);
    let want = mne["annotations"].as_array().unwrap();
    assert_eq!(rec.events.len(), want.len(), "{file}: annotation count");
    for (k, (e, w)) in rec.events.iter().zip(want).enumerate() {
        assert!(
            (e.onset_s - f(&w["onset"])).abs() <= 1e-6,
            "{file}: annotation {k} onset {} vs MNE {}",
            e.onset_s,
            w["onset"]
        );
        assert!(
            (e.duration_s - f(&w["duration"])).abs() <= 1e-6,
            "{file}: annotation {k} duration {} vs MNE {}",
            e.duration_s,
            w["duration"]
        );
        assert_eq!(
            e.description,
            w["description"].as_str().unwrap(),
            "{file}: annotation {k}"
        );
        assert_eq!(e.code, None);
    }
    assert!(
        rec.events
            .iter()
            .all(|e| ["T0", "T1", "T2"].contains(&e.description.as_str()))
    );
}

#[test]
fn edf_s001r04_matches_mne() {
    check_edf("S001R04.edf");
}

#[test]
fn edf_s001r06_matches_mne() {
    check_edf("S001R06.edf");
}

#[test]
fn edf_header_fields() {
    let reader = EdfReader::open(data_file("physionet-eegmmidb/S001R04.edf")).unwrap();
    let h = reader.header();
    assert_eq!(h.kind, neuroloop_formats::edf::EdfKind::Edf);
    assert_eq!(h.plus, Some(neuroloop_formats::edf::Continuity::Continuous));
    assert_eq!(h.header_bytes, 256 * 66);
    assert_eq!(h.n_records, Some(125));
    assert_eq!(h.record_duration_s, 1.0);
    assert_eq!(h.signals.len(), 65);
    assert_eq!(h.signals[64].label, "EDF Annotations");
    assert!(h.is_annotation(64) && !h.is_annotation(0));
    let (y, mo, d, hh, mi, s) = (
        h.start.year,
        h.start.month,
        h.start.day,
        h.start.hour,
        h.start.minute,
        h.start.second,
    );
    assert_eq!((y, mo, d, hh, mi, s), (2009, 8, 12, 16, 15, 0));
    let c = &h.signals[0];
    assert_eq!(
        (c.label.as_str(), c.unit.as_str(), c.samples_per_record),
        ("Fc5.", "uV", 160)
    );
    assert_eq!((c.digital_min, c.digital_max), (-8092.0, 8092.0));
    assert_eq!((c.physical_min, c.physical_max), (-8092.0, 8092.0));
    assert_eq!(c.scale(), (1.0, 0.0));
    assert_eq!(reader.sample_rate(), 160.0);
}

#[test]
fn edf_streaming_equals_whole_file() {
    let path = data_file("physionet-eegmmidb/S001R04.edf");
    let whole = read_edf(&path).unwrap();
    let mut reader = EdfReader::open(&path).unwrap();
    let mut chunks = 0;
    let mut events = Vec::new();
    while let Some(chunk) = reader.next_chunk().unwrap() {
        assert_eq!(chunk.start_sample, chunks * 160);
        assert_eq!(chunk.n_samples, 160);
        for c in [0, 10, 63] {
            let s = chunk.start_sample as usize;
            assert_eq!(chunk.channel(c), &whole.channel(c)[s..s + 160]);
        }
        events.extend(chunk.events);
        chunks += 1;
    }
    assert_eq!(chunks, 125);
    assert_eq!(events, whole.events);
    let spec = neuroloop_formats::stream_spec(&EdfReader::open(&path).unwrap(), "S001R04", 160);
    assert_eq!((spec.channel_count(), spec.sample_rate), (64, 160.0));
    assert_eq!(spec.channels[10], neuroloop_core::ChannelSpec::eeg("Cz.."));
    let interleaved = whole.interleaved_f32();
    assert_eq!(interleaved[5 * 64 + 10], whole.channel(10)[5] as f32);
    assert_eq!(read_recording(&path).unwrap(), whole);
}

#[test]
fn edf_record_onsets_come_from_timekeeping_tals() {
    let mut reader = EdfReader::open(data_file("physionet-eegmmidb/S001R04.edf")).unwrap();
    let mut k = 0.0;
    while let Some(r) = reader.next_record().unwrap() {
        assert_eq!(r.annotations.record_onset_s, Some(k), "record {}", r.index);
        k += 1.0;
    }
}

#[test]
fn gdf_kalunga_subject03_matches_mne() {
    let file = "subject03-session1.gdf";
    let mne = fixture(&format!("{file}.json"));
    let path = data_file(&format!("ssvep-kalunga2016/{file}"));
    let rec = read_gdf(&path).unwrap();
    check_against_mne(&rec, &mne, file);
    for (c, (cal, off)) in rec.channels.iter().zip(
        mne["cal"]
            .as_array()
            .unwrap()
            .iter()
            .zip(mne["offsets"].as_array().unwrap()),
    ) {
        let (gain, offset) = c.scale();
        assert!(
            (gain - f(cal)).abs() <= 1e-12 * gain.abs(),
            "{}: gain {gain} vs MNE {cal}",
            c.label
        );
        assert!(
            (offset - f(off)).abs() <= 1e-12,
            "{}: offset {offset} vs MNE {off}",
            c.label
        );
    }
    // MNE turns every event into an annotation with a duration of one sample
    // (event table mode 1 stores none); the reader reports 0.
    let want = mne["annotations"].as_array().unwrap();
    assert_eq!(rec.events.len(), want.len(), "event count");
    let raw = &mne["events"];
    assert_eq!(raw["count"].as_u64().unwrap() as usize, rec.events.len());
    for (k, (e, w)) in rec.events.iter().zip(want).enumerate() {
        assert!(
            (e.onset_s - f(&w["onset"])).abs() <= 1e-6,
            "event {k}: onset {} vs MNE {}",
            e.onset_s,
            w["onset"]
        );
        assert_eq!(
            e.description,
            w["description"].as_str().unwrap(),
            "event {k}"
        );
        assert_eq!(e.code, Some(e.description.parse().unwrap()));
        assert_eq!(e.duration_s, 0.0);
        assert_eq!(f(&w["duration"]), 1.0 / 256.0);
        let pos = raw["position_zero_based"][k].as_f64().unwrap();
        assert_eq!(
            e.onset_s,
            pos / 256.0,
            "event {k}: exact onset from the table"
        );
        assert_eq!(u64::from(e.code.unwrap()), raw["type"][k].as_u64().unwrap());
    }
    let count = |code| rec.events.iter().filter(|e| e.code == Some(code)).count();
    assert_eq!(
        [count(33024), count(33025), count(33026), count(33027)],
        [8, 8, 8, 8]
    );
    assert_eq!(count(32779), 32);
    assert_eq!(count(32780), 32);
    assert_eq!(read_recording(&path).unwrap(), rec);
}

#[test]
fn gdf_header_fields() {
    let reader = GdfReader::open(data_file("ssvep-kalunga2016/subject03-session1.gdf")).unwrap();
    let h = reader.header();
    assert_eq!(h.version, "GDF 1.25");
    assert_eq!(h.header_bytes, 2304);
    assert_eq!(h.record_duration, (1, 256));
    assert_eq!(h.n_records, 59040);
    assert_eq!(h.signals.len(), 8);
    assert!(
        h.signals
            .iter()
            .all(|s| s.data_type == neuroloop_formats::gdf::GdfType::Float64)
    );
    assert!(
        h.signals
            .iter()
            .all(|s| s.info.unit == "uV" && s.info.samples_per_record == 1)
    );
    assert_eq!(reader.event_table().mode, 1);
    // 0: positions are in samples of the data rate.
    assert_eq!(reader.event_table().sample_rate, 0);
    assert_eq!(reader.sample_rate(), 256.0);
}

#[test]
fn gdf_chunk_sizes_do_not_change_the_result() {
    let path = data_file("ssvep-kalunga2016/subject03-session1.gdf");
    let whole = read_gdf(&path).unwrap();
    for size in [1, 100, 256, 10_000, 100_000] {
        let mut reader = GdfReader::open(&path).unwrap();
        reader.set_chunk_samples(size);
        let mut events = Vec::new();
        let mut next = 0;
        while let Some(chunk) = reader.next_chunk().unwrap() {
            assert_eq!(chunk.start_sample, next);
            assert!(chunk.n_samples <= size.max(1));
            let s = next as usize;
            for c in 0..8 {
                assert_eq!(
                    chunk.channel(c),
                    &whole.channel(c)[s..s + chunk.n_samples],
                    "size {size}"
                );
            }
            for e in &chunk.events {
                let sample = (e.onset_s * 256.0).round() as u64;
                assert!(
                    sample >= next && sample < next + chunk.n_samples as u64,
                    "event at {sample} in chunk at {next}"
                );
            }
            next += chunk.n_samples as u64;
            events.extend(chunk.events);
        }
        assert_eq!(next, 59040);
        assert_eq!(events, whole.events, "size {size}");
    }
}

#[test]
fn other_recordings_read() {
    for file in [
        "physionet-eegmmidb/S001R08.edf",
        "physionet-eegmmidb/S001R10.edf",
    ] {
        let rec = read_recording(data_file(file)).unwrap();
        assert_eq!(
            (rec.channels.len(), rec.n_samples, rec.sample_rate),
            (64, 20000, 160.0),
            "{file}"
        );
        assert_eq!(rec.events.len(), 30, "{file}");
    }
    for file in [
        "ssvep-kalunga2016/subject01-session1.gdf",
        "ssvep-kalunga2016/subject03-session2.gdf",
    ] {
        let rec = read_recording(data_file(file)).unwrap();
        assert_eq!((rec.channels.len(), rec.sample_rate), (8, 256.0), "{file}");
        assert!(
            rec.duration_s() > 200.0 && rec.duration_s() < 260.0,
            "{file}: {} s",
            rec.duration_s()
        );
        assert_eq!(
            rec.events.iter().filter(|e| e.code == Some(32779)).count(),
            32,
            "{file}"
        );
    }
}

#[test]
#[should_panic(expected = "the real EEG recordings are missing")]
fn missing_data_directory_fails_loudly() {
    common::data_file_in(
        "/nonexistent/shared/data".into(),
        "physionet-eegmmidb/S001R04.edf",
    );
}
