//! EDF+ time-stamped annotation lists (TALs).
//!
//! An annotation signal's bytes in one data record hold TALs, each
//! `+onset[\x15duration]\x14text\x14[text\x14...]\x00`, followed by NUL
//! padding. The first TAL of the first annotation signal in every record is
//! the record's time-keeping TAL: its first text is empty and its onset is the
//! record's start time.

use crate::{Event, FormatError};

const DURATION_MARK: u8 = 0x15;
const TEXT_END: u8 = 0x14;

/// The annotations of one data record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordAnnotations {
    /// Start of the data record in seconds (from the time-keeping TAL).
    pub record_onset_s: Option<f64>,
    /// Every non-empty annotation text, with its TAL's onset and duration.
    pub events: Vec<Event>,
}

/// Parses the annotation signal bytes of data record `record`; `base_offset`
/// is the file offset of `bytes[0]` (for error positions), `timekeeping`
/// whether this is the first annotation signal of the record.
///
/// # Errors
///
/// [`FormatError::BadTal`] with the offending byte's file offset.
pub fn parse_record(
    bytes: &[u8],
    record: u64,
    base_offset: u64,
    timekeeping: bool,
) -> Result<RecordAnnotations, FormatError> {
    let bad = |pos: usize, reason: String| FormatError::BadTal {
        record,
        offset: base_offset.saturating_add(pos as u64),
        reason,
    };
    let mut out = RecordAnnotations::default();
    let mut pos = 0;
    let mut first = true;
    loop {
        while pos < bytes.len() && bytes[pos] == 0 {
            pos = pos.saturating_add(1);
        }
        if pos == bytes.len() {
            break;
        }
        if bytes[pos] != b'+' && bytes[pos] != b'-' {
            return Err(bad(
                pos,
                format!(
                    "TAL starts with byte 0x{:02x}, expected '+' or '-'",
                    bytes[pos]
                ),
            ));
        }
        let onset_end = find(bytes, pos, |b| {
            b == TEXT_END || b == DURATION_MARK || b == 0
        })
        .filter(|&e| bytes[e] != 0)
        .ok_or_else(|| bad(pos, "onset is not followed by 0x14 or 0x15".into()))?;
        let onset = number(&bytes[pos..onset_end], true).ok_or_else(|| {
            bad(
                pos,
                format!("bad onset {:?}", lossy(&bytes[pos..onset_end])),
            )
        })?;
        let mut duration = 0.0;
        pos = onset_end;
        if bytes[pos] == DURATION_MARK {
            let start = pos.saturating_add(1);
            let end = find(bytes, start, |b| b == TEXT_END || b == 0)
                .filter(|&e| bytes[e] == TEXT_END)
                .ok_or_else(|| bad(start, "duration is not followed by 0x14".into()))?;
            duration = number(&bytes[start..end], false).ok_or_else(|| {
                bad(
                    start,
                    format!("bad duration {:?}", lossy(&bytes[start..end])),
                )
            })?;
            pos = end;
        }
        pos = pos.saturating_add(1); // the 0x14 closing onset/duration
        let mut texts = 0_usize;
        loop {
            match bytes.get(pos) {
                None => return Err(bad(pos, "TAL is not terminated by a NUL byte".into())),
                Some(0) => {
                    pos = pos.saturating_add(1);
                    break;
                }
                Some(_) => {
                    let end = find(bytes, pos, |b| b == TEXT_END || b == 0)
                        .filter(|&e| bytes[e] == TEXT_END)
                        .ok_or_else(|| {
                            bad(pos, "annotation text is not terminated by 0x14".into())
                        })?;
                    let text = &bytes[pos..end];
                    if timekeeping && first && texts == 0 && text.is_empty() {
                        out.record_onset_s = Some(onset);
                    } else if !text.is_empty() {
                        out.events.push(Event {
                            onset_s: onset,
                            duration_s: duration,
                            code: None,
                            description: lossy(text),
                        });
                    }
                    texts = texts.saturating_add(1);
                    pos = end.saturating_add(1);
                }
            }
        }
        if timekeeping && first && out.record_onset_s.is_none() {
            return Err(bad(
                0,
                "first TAL of the record is not a time-keeping TAL (empty first text)".into(),
            ));
        }
        first = false;
    }
    if timekeeping && first {
        return Err(bad(0, "record has no time-keeping TAL".into()));
    }
    Ok(out)
}

fn find(bytes: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|&b| pred(b))
        .map(|i| from.saturating_add(i))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses `[+-]digits[.digits]` (the sign required for onsets, absent for durations).
fn number(bytes: &[u8], signed: bool) -> Option<f64> {
    let digits = if signed {
        match bytes.first() {
            Some(b'+' | b'-') => &bytes[1..],
            _ => return None,
        }
    } else {
        bytes
    };
    let mut dots = 0_usize;
    let ok = !digits.is_empty()
        && digits[0].is_ascii_digit()
        && digits.iter().all(|&b| {
            dots = dots.saturating_add(usize::from(b == b'.'));
            b.is_ascii_digit() || b == b'.'
        })
        && dots <= 1;
    if !ok {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_timekeeping_and_annotations() {
        let b = b"+0\x14\x14\x00+4.2\x154.1\x14T2\x14\x00\x00\x00";
        let a = parse_record(b, 0, 0, true).unwrap();
        assert_eq!(a.record_onset_s, Some(0.0));
        assert_eq!(
            a.events,
            vec![Event {
                onset_s: 4.2,
                duration_s: 4.1,
                code: None,
                description: "T2".into()
            }]
        );
    }

    #[test]
    fn several_texts_share_onset() {
        let b = b"+1\x14\x14\x00-0.5\x14a\x14b\x14\x00";
        let a = parse_record(b, 3, 100, true).unwrap();
        assert_eq!(a.record_onset_s, Some(1.0));
        let d: Vec<_> = a
            .events
            .iter()
            .map(|e| (e.onset_s, e.description.as_str()))
            .collect();
        assert_eq!(d, vec![(-0.5, "a"), (-0.5, "b")]);
    }

    #[test]
    fn errors_name_record_and_offset() {
        let cases: [(&[u8], u64, &str); 5] = [
            (b"+0\x14\x14\x00x1\x14a\x14\x00", 105, "starts with"),
            (b"+0\x14\x14\x00+1.2.3\x14a\x14\x00", 105, "bad onset"),
            (b"+0\x14\x14\x00+1\x15-2\x14a\x14\x00", 108, "bad duration"),
            (b"+0\x14\x14\x00+1\x14abc", 108, "not terminated by 0x14"),
            (b"+0\x14\x14", 104, "NUL"),
        ];
        for (bytes, offset, reason) in cases {
            match parse_record(bytes, 7, 100, true) {
                Err(FormatError::BadTal {
                    record: 7,
                    offset: o,
                    reason: r,
                }) => {
                    assert_eq!(o, offset, "{r}");
                    assert!(r.contains(reason), "{r}");
                }
                other => panic!("expected BadTal for {bytes:?}, got {other:?}"),
            }
        }
    }

    #[test]
    fn missing_timekeeping_is_an_error() {
        assert!(parse_record(b"+1\x14a\x14\x00", 0, 0, true).is_err());
        assert!(parse_record(b"\x00\x00", 0, 0, true).is_err());
        assert_eq!(
            parse_record(b"+1\x14a\x14\x00", 0, 0, false)
                .unwrap()
                .events
                .len(),
            1
        );
    }
}
