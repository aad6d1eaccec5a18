//! Value parsers of the numeric flags: each names the allowed range in its
//! error, so no value a user types reaches the code unbounded.

/// Longest `run --duration`, seconds (one year).
pub const MAX_DURATION_S: f64 = 31_536_000.0;

/// A float in `lo..=hi` (NaN never is).
fn float_in(text: &str, lo: f64, hi: f64, unit: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(format!(
            "{v} is outside the allowed range {lo} to {hi}{unit}"
        ))
    }
}

/// A positive float of at most `hi`.
fn positive(text: &str, hi: f64, unit: &str) -> Result<f64, String> {
    let v = float_in(text, 0.0, hi, unit)?;
    if v > 0.0 {
        Ok(v)
    } else {
        Err(format!(
            "{v} must be above 0 (allowed: above 0 to {hi}{unit})"
        ))
    }
}

/// An integer in `lo..=hi`.
fn int_in(text: &str, lo: usize, hi: usize) -> Result<usize, String> {
    let v: usize = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number in the allowed range {lo} to {hi}"))?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside the allowed range {lo} to {hi}"))
    }
}

/// `run --duration`.
pub fn duration_s(text: &str) -> Result<f64, String> {
    positive(text, MAX_DURATION_S, " s")
}

/// `bench loopback --interval`: seconds between clicks.
pub fn click_interval_s(text: &str) -> Result<f64, String> {
    float_in(text, 0.05, 10.0, " s")
}

/// `list --wait`.
pub fn wait_s(text: &str) -> Result<f64, String> {
    positive(text, 600.0, " s")
}

/// `--tmin`, `--tmax`: seconds from an event onset.
pub fn epoch_s(text: &str) -> Result<f64, String> {
    float_in(text, -3600.0, 3600.0, " s")
}

/// `--max-epochs`.
pub fn passes(text: &str) -> Result<usize, String> {
    int_in(text, 1, 100_000)
}

/// `--patience`.
pub fn patience(text: &str) -> Result<usize, String> {
    int_in(text, 0, 100_000)
}

/// `--batch-size`.
pub fn batch_size(text: &str) -> Result<usize, String> {
    int_in(text, 1, 65_536)
}

/// `--folds`.
pub fn folds(text: &str) -> Result<usize, String> {
    int_in(text, 2, 1000)
}

/// `--learning-rate`.
pub fn learning_rate(text: &str) -> Result<f64, String> {
    positive(text, 10.0, "")
}

/// `--weight-decay`.
pub fn weight_decay(text: &str) -> Result<f32, String> {
    float_in(text, 0.0, 1000.0, "").map(|v| v as f32)
}

/// `--validation-fraction`.
pub fn fraction(text: &str) -> Result<f64, String> {
    float_in(text, 0.0, 0.5, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parser_refuses_what_is_out_of_range() {
        for bad in ["NaN", "inf", "-1", "0", "1e20", "abc", ""] {
            assert!(duration_s(bad).is_err(), "{bad}");
        }
        assert_eq!(duration_s("2.5"), Ok(2.5));
        assert!(epoch_s("1e18").is_err_and(|e| e.contains("-3600 to 3600")));
        assert!(passes("0").is_err() && passes("9223372036854775807").is_err());
        assert!(batch_size("1.5").is_err() && batch_size("-3").is_err());
        assert!(folds("1").is_err() && folds("5").is_ok());
        assert!(fraction("0.6").is_err() && fraction("0.2").is_ok());
    }
}
