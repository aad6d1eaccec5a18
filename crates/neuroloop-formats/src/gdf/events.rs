//! The GDF event table that follows the data records.
//!
//! Layout: mode (`u8`: 1 = position and type, 3 = also channel and
//! duration), event sample rate (`u24`), number of events (`u32`), then the
//! positions (`u32`, 1-based samples), the types (`u16`) and, for mode 3, the
//! channels (`u16`) and durations (`u32`, samples).

use std::io::Read;

use crate::bytes::{Fields, read_exact};
use crate::{Event, FormatError};

/// One raw entry of the event table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GdfEvent {
    /// Position in samples as stored (1-based: the first sample is 1).
    pub position: u32,
    /// Event type code (e.g. OpenViBE stimulation 33024).
    pub code: u16,
    /// Channel (mode 3; 0 = all channels).
    pub channel: u16,
    /// Duration in samples (mode 3; 0 otherwise).
    pub duration: u32,
}

/// The parsed event table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GdfEventTable {
    /// The table mode (1 or 3); 0 when the file has no table.
    pub mode: u8,
    /// Sample rate of positions and durations (0 = that of the data).
    pub sample_rate: u32,
    /// The entries in file order.
    pub events: Vec<GdfEvent>,
}

/// Upper bound on events accepted (guards allocations).
const MAX_EVENTS: u32 = 1 << 24;

impl GdfEventTable {
    /// Reads the table from `reader`, positioned at file offset `offset`.
    ///
    /// # Errors
    ///
    /// [`FormatError::Truncated`] if the table is cut short,
    /// [`FormatError::BadEventTable`] for an unknown mode or absurd count.
    pub fn read(reader: &mut impl Read, offset: u64) -> Result<Self, FormatError> {
        let mut head = [0u8; 8];
        read_exact(reader, &mut head, || "event table header".into(), offset)?;
        let mode = head[0];
        let sample_rate = u32::from_le_bytes([head[1], head[2], head[3], 0]);
        let n = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let per_event = match mode {
            1 => 6,
            3 => 12,
            _ => {
                return Err(FormatError::BadEventTable {
                    offset,
                    reason: format!("unknown event table mode {mode} (read: 1, 3)"),
                });
            }
        };
        if n > MAX_EVENTS {
            return Err(FormatError::BadEventTable {
                offset: offset.saturating_add(4),
                reason: format!("{n} events is more than {MAX_EVENTS}"),
            });
        }
        let n = n as usize;
        let mut body = vec![0u8; n.saturating_mul(per_event)];
        read_exact(
            reader,
            &mut body,
            || format!("event table ({n} events, mode {mode})"),
            offset.saturating_add(8),
        )?;
        let mut f = Fields::new(&body, offset.saturating_add(8));
        let positions: Vec<u32> = (0..n)
            .map(|_| f.u32("event position"))
            .collect::<Result<_, _>>()?;
        let codes: Vec<u16> = (0..n)
            .map(|_| f.u16("event type"))
            .collect::<Result<_, _>>()?;
        let (channels, durations) = if mode == 3 {
            let c: Vec<u16> = (0..n)
                .map(|_| f.u16("event channel"))
                .collect::<Result<_, _>>()?;
            let d: Vec<u32> = (0..n)
                .map(|_| f.u32("event duration"))
                .collect::<Result<_, _>>()?;
            (c, d)
        } else {
            (vec![0; n], vec![0; n])
        };
        let events = (0..n)
            .map(|i| GdfEvent {
                position: positions[i],
                code: codes[i],
                channel: channels[i],
                duration: durations[i],
            })
            .collect();
        Ok(Self {
            mode,
            sample_rate,
            events,
        })
    }

    /// The entries as [`Event`]s: onset `(position - 1) / rate` seconds,
    /// duration `duration / rate`, `rate` being the table's sample rate or,
    /// when that is 0, `data_rate`; description is the decimal code.
    #[must_use]
    pub fn to_events(&self, data_rate: f64) -> Vec<Event> {
        let rate = if self.sample_rate > 0 {
            f64::from(self.sample_rate)
        } else {
            data_rate
        };
        self.events
            .iter()
            .map(|e| Event {
                onset_s: (f64::from(e.position) - 1.0) / rate,
                duration_s: f64::from(e.duration) / rate,
                code: Some(u32::from(e.code)),
                description: e.code.to_string(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(mode: u8, n: u32, body: &[u8]) -> Vec<u8> {
        let mut b = vec![mode, 0, 1, 0];
        b.extend_from_slice(&n.to_le_bytes());
        b.extend_from_slice(body);
        b
    }

    #[test]
    fn reads_mode_1_and_3() {
        let mut body = Vec::new();
        body.extend_from_slice(&257u32.to_le_bytes());
        body.extend_from_slice(&33024u16.to_le_bytes());
        let t = GdfEventTable::read(&mut table(1, 1, &body).as_slice(), 0).unwrap();
        assert_eq!(t.sample_rate, 256);
        assert_eq!(
            t.events,
            vec![GdfEvent {
                position: 257,
                code: 33024,
                channel: 0,
                duration: 0
            }]
        );
        let e = &t.to_events(0.0)[0];
        assert_eq!((e.onset_s, e.duration_s, e.code), (1.0, 0.0, Some(33024)));
        body.extend_from_slice(&2u16.to_le_bytes());
        body.extend_from_slice(&128u32.to_le_bytes());
        let t = GdfEventTable::read(&mut table(3, 1, &body).as_slice(), 0).unwrap();
        assert_eq!(t.to_events(0.0)[0].duration_s, 0.5);
    }

    #[test]
    fn bad_tables_are_errors() {
        assert!(matches!(
            GdfEventTable::read(&mut table(2, 0, &[]).as_slice(), 500),
            Err(FormatError::BadEventTable { offset: 500, .. })
        ));
        assert!(matches!(
            GdfEventTable::read(&mut table(1, 3, &[0; 10]).as_slice(), 500),
            Err(FormatError::Truncated {
                offset: 508,
                needed: 18,
                available: 10,
                ..
            })
        ));
    }
}
