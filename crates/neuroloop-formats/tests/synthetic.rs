//! Small synthetic EDF/BDF files for what the real recordings do not cover:
//! BDF's 24-bit samples, plain EDF with an unknown record count, EDF+D record
//! onsets, scaling with offsets, unsupported layouts.

mod common;

use std::io::Cursor;

use common::{Sig, annotation_signal, encode, synth};
use neuroloop_formats::edf::{Continuity, EdfKind, EdfReader};
use neuroloop_formats::{FormatError, Recording, SampleReader};

fn sig(label: &str, spr: usize) -> Sig<'_> {
    Sig {
        label,
        spr,
        pmin: -100.0,
        pmax: 100.0,
        dmin: -2000,
        dmax: 2000,
    }
}

#[test]
fn bdf_24_bit_samples_are_scaled() {
    let s = Sig {
        label: "A1",
        spr: 4,
        pmin: -262144.0,
        pmax: 262143.0,
        dmin: -8_388_608,
        dmax: 8_388_607,
    };
    let record = encode(3, &[-8_388_608, -1, 0, 8_388_607]);
    let file = synth(3, "24BIT", 1, "0.5", &[s], &[record]);
    let reader = EdfReader::new(Cursor::new(file)).unwrap();
    assert_eq!(reader.header().kind, EdfKind::Bdf);
    assert_eq!(reader.header().plus, None);
    assert_eq!(reader.sample_rate(), 8.0);
    let rec = reader.read_all().unwrap();
    let gain = (262143.0 + 262144.0) / (8_388_607.0 + 8_388_608.0);
    let want: Vec<f64> = [-8_388_608.0, -1.0, 0.0, 8_388_607.0]
        .iter()
        .map(|d| (d + 8_388_608.0) * gain - 262144.0)
        .collect();
    for (g, w) in rec.data.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-9 * w.abs().max(1.0), "{g} vs {w}");
    }
    assert_eq!(rec.data[0], -262144.0);
    assert!((rec.data[3] - 262143.0).abs() < 1e-9);
}

#[test]
fn plain_edf_with_unknown_record_count() {
    let sigs = [sig("C3", 2), sig("C4", 2)];
    let records = vec![
        encode(2, &[0, 1000, -2000, 2000]),
        encode(2, &[10, 20, 30, 40]),
    ];
    let file = synth(2, "", -1, "1", &sigs, &records);
    let reader = EdfReader::new(Cursor::new(file.clone())).unwrap();
    assert_eq!(reader.header().n_records, None);
    assert_eq!(reader.n_samples(), None);
    let rec = reader.read_all().unwrap();
    assert_eq!(rec.n_samples, 4);
    // Channel-major: C3 = records' first halves, C4 = second halves.
    assert_eq!(rec.channel(0), &[0.0, 50.0, 0.5, 1.0]);
    assert_eq!(rec.channel(1), &[-100.0, 100.0, 1.5, 2.0]);
    assert!(rec.events.is_empty());
    // A partial trailing record is truncation, not silently dropped data.
    let mut cut = file;
    cut.truncate(cut.len() - 3);
    match EdfReader::new(Cursor::new(cut)).unwrap().read_all() {
        Err(FormatError::Truncated {
            what,
            needed: 8,
            available: 5,
            ..
        }) => assert_eq!(what, "data record 1"),
        other => panic!("expected Truncated, got {other:?}"),
    }
}

#[test]
fn edf_plus_d_record_onsets_and_annotations() {
    let sigs = [sig("Cz", 2), sig("EDF Annotations", 16)];
    let rec0 = [
        encode(2, &[1, 2]),
        annotation_signal(2, 16, b"+0\x14\x14\x00+0.5\x151.25\x14go\x14stop\x14\x00"),
    ]
    .concat();
    let rec1 = [
        encode(2, &[3, 4]),
        annotation_signal(2, 16, b"+10\x14\x14\x00"),
    ]
    .concat();
    let file = synth(2, "EDF+D", 2, "1", &sigs, &[rec0, rec1]);
    let mut reader = EdfReader::new(Cursor::new(file)).unwrap();
    assert_eq!(reader.header().plus, Some(Continuity::Discontinuous));
    assert_eq!(reader.channels().len(), 1);
    let r0 = reader.next_record().unwrap().unwrap();
    assert_eq!(r0.annotations.record_onset_s, Some(0.0));
    let texts: Vec<_> = r0
        .annotations
        .events
        .iter()
        .map(|e| (e.onset_s, e.duration_s, e.description.as_str()))
        .collect();
    assert_eq!(texts, vec![(0.5, 1.25, "go"), (0.5, 1.25, "stop")]);
    let r1 = reader.next_record().unwrap().unwrap();
    assert_eq!(r1.annotations.record_onset_s, Some(10.0));
    // Gain 200 / 4000 = 0.05 uV per digital unit, offset 0.
    assert_eq!(r1.data.len(), 2);
    assert!(
        (r1.data[0] - 0.15).abs() < 1e-12 && (r1.data[1] - 0.2).abs() < 1e-12,
        "{:?}",
        r1.data
    );
    assert!(reader.next_record().unwrap().is_none());
}

#[test]
fn mixed_rates_and_annotation_only_files_are_unsupported() {
    let file = synth(
        2,
        "",
        1,
        "1",
        &[sig("a", 2), sig("b", 4)],
        &[encode(2, &[0; 6])],
    );
    assert!(
        matches!(EdfReader::new(Cursor::new(file)), Err(FormatError::Unsupported(m)) if m.contains("different sample rates"))
    );
    let file = synth(
        2,
        "EDF+C",
        1,
        "0",
        &[sig("EDF Annotations", 8)],
        &[annotation_signal(2, 8, b"+0\x14\x14\x00")],
    );
    assert!(
        matches!(EdfReader::new(Cursor::new(file)), Err(FormatError::Unsupported(m)) if m.contains("no data signal"))
    );
}

#[test]
fn edf_plus_d_chunks_carry_record_onsets() {
    let sigs = [sig("Cz", 2), sig("EDF Annotations", 8)];
    let records: Vec<Vec<u8>> = [b"+0\x14\x14\x00".as_slice(), b"+7.5\x14\x14\x00"]
        .iter()
        .map(|tal| [encode(2, &[0, 0]), annotation_signal(2, 8, tal)].concat())
        .collect();
    let plus_d = synth(2, "EDF+D", 2, "1", &sigs, &records);
    let mut reader = EdfReader::new(Cursor::new(plus_d)).unwrap();
    let onsets: Vec<f64> = std::iter::from_fn(|| reader.next_chunk().unwrap())
        .map(|c| c.onset_s)
        .collect();
    assert_eq!(onsets, vec![0.0, 7.5]);
    // EDF+C: onsets follow the sample count.
    let plus_c = synth(2, "EDF+C", 2, "1", &sigs, &records);
    let mut reader = EdfReader::new(Cursor::new(plus_c)).unwrap();
    let onsets: Vec<f64> = std::iter::from_fn(|| reader.next_chunk().unwrap())
        .map(|c| c.onset_s)
        .collect();
    assert_eq!(onsets, vec![0.0, 1.0]);
}

#[test]
fn oversized_records_are_refused_before_allocating() {
    let big: Vec<Sig<'_>> = (0..8).map(|_| sig("x", 1 << 24)).collect();
    let file = synth(3, "", 1, "1", &big, &[]);
    assert!(
        matches!(EdfReader::new(Cursor::new(file)), Err(FormatError::Unsupported(m)) if m.contains("bytes"))
    );
}

#[test]
fn edf_plus_d_events_are_placed_on_the_samples_of_their_record() {
    // Two records of 2 samples (1 s each at 2 Hz): the first at t = 0, the
    // second at t = 10 s. "cue" at 10.5 s lies in the second record, half a
    // second after its start: sample 2 + 1 = 3, i.e. 1.5 s along the data.
    // "lost" at 5 s lies in the gap and has no sample.
    let sigs = [sig("Cz", 2), sig("EDF Annotations", 24)];
    let rec0 = [
        encode(2, &[1, 2]),
        annotation_signal(
            2,
            24,
            b"+0\x14\x14\x00+0.5\x14early\x14\x00+5\x14lost\x14\x00",
        ),
    ]
    .concat();
    let rec1 = [
        encode(2, &[3, 4]),
        annotation_signal(2, 24, b"+10\x14\x14\x00+10.5\x14cue\x14\x00"),
    ]
    .concat();
    let file = synth(2, "EDF+D", 2, "1", &sigs, &[rec0.clone(), rec1.clone()]);
    let rec = Recording::read_all(EdfReader::new(Cursor::new(file)).unwrap()).unwrap();
    let placed: Vec<(f64, &str)> = rec
        .events
        .iter()
        .map(|e| (e.onset_s, e.description.as_str()))
        .collect();
    assert_eq!(placed, vec![(0.5, "early"), (1.5, "cue")]);
    assert_eq!(rec.n_samples, 4);
    // The same records as EDF+C: onsets are already sample times.
    let file = synth(2, "EDF+C", 2, "1", &sigs, &[rec0, rec1]);
    let rec = Recording::read_all(EdfReader::new(Cursor::new(file)).unwrap()).unwrap();
    let onsets: Vec<f64> = rec.events.iter().map(|e| e.onset_s).collect();
    assert_eq!(onsets, vec![0.5, 5.0, 10.5]);
}
