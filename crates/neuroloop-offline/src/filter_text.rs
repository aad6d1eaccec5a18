//! Short filter chains as text (`"notch 50; bandpass 4-40"`): each stage
//! becomes the `[pipeline] filters` table a session config would hold, and
//! the chain is built by the stage registry from those tables, exactly as
//! a session builds its own.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

use neuroloop_dsp::{ChainConfig, StageRegistry};

use crate::OfflineError;

/// Parses a short filter chain: stages separated by `;`, each one of
/// `bandpass LOW-HIGH [ORDER]`, `bandstop LOW-HIGH [ORDER]`,
/// `highpass HZ [ORDER]`, `lowpass HZ [ORDER]`, `notch HZ [Q]`, `car`
/// (orders default to 4, Q to 30). The empty text is the empty chain.
///
/// # Errors
/// [`OfflineError::Option`] naming the stage that does not parse or
/// that the stage registry rejects.
pub fn parse_filters(text: &str) -> Result<ChainConfig, OfflineError> {
    let tables = filter_tables(text)?;
    ChainConfig::from_toml(&StageRegistry::builtin(), &tables, "filters").map_err(|e| {
        OfflineError::Option {
            what: "filters",
            message: e
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        }
    })
}

/// The `[pipeline] filters` tables of a short filter chain text (see
/// [`parse_filters`]), as a bundle records them; not yet checked by the
/// stage registry.
///
/// # Errors
/// [`OfflineError::Option`] naming the stage that does not parse.
pub fn filter_tables(text: &str) -> Result<Vec<toml::Value>, OfflineError> {
    let bad = |message: String| OfflineError::Option {
        what: "filters",
        message,
    };
    let mut tables = Vec::new();
    for stage in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let words: Vec<&str> = stage.split_whitespace().collect();
        let num = |i: usize| -> Result<Option<f64>, OfflineError> {
            words
                .get(i)
                .map(|w| {
                    w.parse::<f64>()
                        .map_err(|_| bad(format!("{w:?} in {stage:?} is not a number")))
                })
                .transpose()
        };
        let range = || -> Result<(f64, f64), OfflineError> {
            let w = words.get(1).copied().unwrap_or("");
            let (lo, hi) = w
                .split_once('-')
                .ok_or_else(|| bad(format!("{stage:?} needs LOW-HIGH")))?;
            let p = |x: &str| {
                x.parse::<f64>()
                    .map_err(|_| bad(format!("{x:?} in {stage:?} is not a number")))
            };
            Ok((p(lo)?, p(hi)?))
        };
        let order = |i: usize| -> Result<i64, OfflineError> { Ok(num(i)?.unwrap_or(4.0) as i64) };
        let mut t = toml::Table::new();
        t.insert("type".into(), words[0].into());
        match words[0] {
            "bandpass" | "bandstop" => {
                let (lo, hi) = range()?;
                t.insert("low_hz".into(), lo.into());
                t.insert("high_hz".into(), hi.into());
                t.insert("order".into(), order(2)?.into());
            }
            "highpass" | "lowpass" => {
                let hz = num(1)?.ok_or_else(|| bad(format!("{stage:?} needs a cutoff")))?;
                t.insert("cutoff_hz".into(), hz.into());
                t.insert("order".into(), order(2)?.into());
            }
            "notch" => {
                let hz = num(1)?.ok_or_else(|| bad(format!("{stage:?} needs a frequency")))?;
                t.insert("freq_hz".into(), hz.into());
                t.insert("q".into(), num(2)?.unwrap_or(30.0).into());
            }
            "car" => {}
            other => return Err(bad(format!("unknown stage {other:?}"))),
        }
        tables.push(toml::Value::Table(t));
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Value {
        toml::from_str::<toml::Table>(&format!("t = {text}")).unwrap()["t"].clone()
    }

    #[test]
    fn each_stage_becomes_the_table_a_session_config_holds() {
        let tables = filter_tables("notch 50; bandpass 4-40; highpass 1 2; car").unwrap();
        let want = [
            r#"{ type = "notch", freq_hz = 50.0, q = 30.0 }"#,
            r#"{ type = "bandpass", low_hz = 4.0, high_hz = 40.0, order = 4 }"#,
            r#"{ type = "highpass", cutoff_hz = 1.0, order = 2 }"#,
            r#"{ type = "car" }"#,
        ];
        assert_eq!(tables, want.map(table));
        assert!(filter_tables("  ").unwrap().is_empty());
    }

    #[test]
    fn the_stage_registry_builds_the_chain_and_names_what_it_refuses() {
        let chain = parse_filters("bandpass 4-40").unwrap();
        let paths: Vec<&str> = chain.stages().iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["filters[0]"]);
        // A negative order parses as text; the registry refuses it.
        let err = parse_filters("car; bandpass 4-40 -1").unwrap_err();
        assert!(err.to_string().contains("filters[1]"), "{err}");
        for bad in ["wavelet 3", "bandpass 4", "notch x", "lowpass"] {
            assert!(
                matches!(
                    parse_filters(bad),
                    Err(OfflineError::Option {
                        what: "filters",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }
}
