//! Parsing the text of a CSV recording into columns: the header row, then
//! one numeric row per sample, every cell checked with its line and column.

use std::io::BufRead;

use crate::FormatError;

/// The name of the time column (unix seconds).
pub const TIME_COLUMN: &str = "timestamps";
/// The name of the optional event-marker column (0: none).
pub const MARKER_COLUMN: &str = "Marker";

/// The parsed table: sample times, channel columns and markers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    /// Channel column names, in file order.
    pub(crate) labels: Vec<String>,
    /// Time of each row, unix seconds, strictly increasing.
    pub(crate) times: Vec<f64>,
    /// Channel-major values, `labels.len() * times.len()`, filled by
    /// [`Table::channel_major`]; row-major while parsing.
    pub(crate) rows: Vec<f64>,
    /// Marker code of each row (0: none); empty when the file has no marker column.
    pub(crate) markers: Vec<u32>,
}

/// Where each header column goes.
struct Layout {
    time: usize,
    marker: Option<usize>,
    channels: Vec<usize>,
    names: Vec<String>,
}

/// A [`FormatError::BadCsv`].
pub(crate) fn bad(line: u64, column: Option<&str>, reason: impl Into<String>) -> FormatError {
    FormatError::BadCsv {
        line,
        column: column.map(str::to_string),
        reason: reason.into(),
    }
}

fn layout(header: &str) -> Result<Layout, FormatError> {
    let names: Vec<String> = header
        .split(',')
        .map(|n| n.trim().trim_matches('"').to_string())
        .collect();
    let find = |wanted: &str| names.iter().position(|n| n == wanted);
    let time = find(TIME_COLUMN).ok_or_else(|| {
        bad(
            1,
            Some(TIME_COLUMN),
            format!("the header {names:?} has no {TIME_COLUMN:?} column"),
        )
    })?;
    let marker = find(MARKER_COLUMN);
    let channels: Vec<usize> = (0..names.len())
        .filter(|&i| i != time && Some(i) != marker)
        .collect();
    if channels.is_empty() {
        return Err(bad(
            1,
            None,
            format!("the header {names:?} has no channel column"),
        ));
    }
    if let Some((i, _)) = names.iter().enumerate().find(|(_, n)| n.is_empty()) {
        return Err(bad(
            1,
            None,
            format!("column {} has an empty name", i.saturating_add(1)),
        ));
    }
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(bad(1, Some(n), "the column name appears twice"));
        }
    }
    Ok(Layout {
        time,
        marker,
        channels,
        names,
    })
}

/// A finite number, or an error naming the cell.
fn number(cell: &str, line: u64, column: &str) -> Result<f64, FormatError> {
    let v: f64 = cell
        .trim()
        .parse()
        .map_err(|_| bad(line, Some(column), format!("{cell:?} is not a number")))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(bad(line, Some(column), format!("{cell:?} is not finite")))
    }
}

/// A marker code: a non-negative whole number below 2³².
fn marker(cell: &str, line: u64) -> Result<u32, FormatError> {
    let v = number(cell, line, MARKER_COLUMN)?;
    if v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
        // Checked: whole, in range.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(v as u32)
    } else {
        Err(bad(
            line,
            Some(MARKER_COLUMN),
            format!("{cell:?} is not a non-negative whole event code"),
        ))
    }
}

impl Table {
    /// Parses the whole text of `reader`.
    ///
    /// # Errors
    /// [`FormatError::BadCsv`] naming the line (1-based, the header is
    /// line 1) and column of the first bad cell: no header, a missing
    /// `timestamps` or channel column, a row with another number of fields,
    /// a cell that is not a finite number, a marker that is not a whole
    /// non-negative number, a time not after the previous one, fewer than
    /// two rows; [`FormatError::Io`] for read errors (invalid UTF-8 included).
    pub(crate) fn parse(reader: impl BufRead) -> Result<Self, FormatError> {
        let mut lines = reader.lines();
        let header = match lines.next() {
            Some(line) => line?,
            None => return Err(bad(1, None, "empty file: no header row")),
        };
        let layout = layout(header.trim_end_matches('\r'))?;
        let mut table = Table {
            labels: layout
                .channels
                .iter()
                .map(|&i| layout.names[i].clone())
                .collect(),
            times: Vec::new(),
            rows: Vec::new(),
            markers: Vec::new(),
        };
        for (index, line) in lines.enumerate() {
            let line = line?;
            let number_of_line = (index as u64).saturating_add(2);
            let text = line.trim_end_matches('\r');
            if text.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = text.split(',').collect();
            table.push_row(&layout, &cells, number_of_line)?;
        }
        if table.times.len() < 2 {
            return Err(bad(
                2,
                None,
                format!(
                    "{} data rows: at least two are needed to derive the sample rate",
                    table.times.len()
                ),
            ));
        }
        table.channel_major();
        Ok(table)
    }

    fn push_row(&mut self, layout: &Layout, cells: &[&str], line: u64) -> Result<(), FormatError> {
        if cells.len() != layout.names.len() {
            return Err(bad(
                line,
                None,
                format!(
                    "{} fields where the header has {}",
                    cells.len(),
                    layout.names.len()
                ),
            ));
        }
        let time = number(cells[layout.time], line, TIME_COLUMN)?;
        if let Some(&previous) = self.times.last()
            && time <= previous
        {
            return Err(bad(
                line,
                Some(TIME_COLUMN),
                format!("time {time} is not after the previous row's {previous}"),
            ));
        }
        for &c in &layout.channels {
            self.rows.push(number(cells[c], line, &layout.names[c])?);
        }
        if let Some(m) = layout.marker {
            self.markers.push(marker(cells[m], line)?);
        }
        self.times.push(time);
        Ok(())
    }

    /// Reorders [`Table::rows`] from row-major to channel-major.
    fn channel_major(&mut self) {
        let (n, c) = (self.times.len(), self.labels.len());
        let mut out = vec![0.0; self.rows.len()];
        for (s, row) in self.rows.chunks_exact(c).enumerate() {
            for (ch, v) in row.iter().enumerate() {
                out[ch.saturating_mul(n).saturating_add(s)] = *v;
            }
        }
        self.rows = out;
    }
}
