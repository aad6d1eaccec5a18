//! `[publish]` timing: heartbeat interval and deadman time, the maximum
//! age of an intent and the lag bound of a client, each with its allowed
//! range; fills in the default maximum age (one hop plus a margin).

use neuroloop_core::ConfigError;

use super::sections::PublishSection;

/// Longest heartbeat interval, milliseconds.
pub const MAX_HEARTBEAT_MS: u64 = 10_000;
/// Longest deadman time (`heartbeat_ms × deadman_missed`), milliseconds.
pub const MAX_DEADMAN_MS: u64 = 60_000;
/// Allowed `intent_max_age_ms`.
pub const INTENT_MAX_AGE_MS: std::ops::RangeInclusive<u64> = 10..=10_000;
/// Added to one hop for the default `intent_max_age_ms`.
pub const INTENT_AGE_MARGIN_MS: u64 = 100;
/// `intent_max_age_ms` of settings that were not validated against a
/// session (one 100 ms hop plus the margin).
pub const FALLBACK_INTENT_MAX_AGE_MS: u64 = 100 + INTENT_AGE_MARGIN_MS;
/// Allowed `max_lag_ms`.
pub const MAX_LAG_MS: std::ops::RangeInclusive<u64> = 50..=60_000;
/// Default `max_lag_ms`.
pub const DEFAULT_MAX_LAG_MS: u64 = 1_000;

/// Checks the timing keys of `[publish]` and sets `intent_max_age_ms` to
/// its default, one hop (`hop_s`) plus [`INTENT_AGE_MARGIN_MS`], when it is
/// not given.
pub(super) fn check_publish_timing(
    p: &mut PublishSection,
    hop_s: f64,
    errors: &mut Vec<ConfigError>,
) {
    if p.heartbeat_ms > MAX_HEARTBEAT_MS {
        errors.push(ConfigError::new(
            "publish.heartbeat_ms",
            format!(
                "{} is out of range: allowed 1 to {MAX_HEARTBEAT_MS} ms",
                p.heartbeat_ms
            ),
        ));
    } else if p.heartbeat_ms > 0 {
        let deadman = p.heartbeat_ms.saturating_mul(u64::from(p.deadman_missed));
        if deadman > MAX_DEADMAN_MS {
            errors.push(ConfigError::new(
                "publish.deadman_missed",
                format!(
                    "heartbeat_ms × deadman_missed = {deadman} ms is above the longest deadman time, {MAX_DEADMAN_MS} ms (allowed deadman_missed: 1 to {})",
                    MAX_DEADMAN_MS.checked_div(p.heartbeat_ms).unwrap_or(0)
                ),
            ));
        }
    }
    match p.intent_max_age_ms {
        Some(age) if !INTENT_MAX_AGE_MS.contains(&age) => errors.push(ConfigError::new(
            "publish.intent_max_age_ms",
            format!(
                "{age} is out of range: allowed {} to {} ms",
                INTENT_MAX_AGE_MS.start(),
                INTENT_MAX_AGE_MS.end()
            ),
        )),
        Some(_) => {}
        None if hop_s.is_finite() && hop_s > 0.0 => {
            let hop_ms = (hop_s * 1e3).ceil().min(*INTENT_MAX_AGE_MS.end() as f64) as u64;
            p.intent_max_age_ms = Some(
                hop_ms
                    .saturating_add(INTENT_AGE_MARGIN_MS)
                    .clamp(*INTENT_MAX_AGE_MS.start(), *INTENT_MAX_AGE_MS.end()),
            );
        }
        None => {}
    }
    if let Some(lag) = p.max_lag_ms.filter(|l| !MAX_LAG_MS.contains(l)) {
        errors.push(ConfigError::new(
            "publish.max_lag_ms",
            format!(
                "{lag} is out of range: allowed {} to {} ms",
                MAX_LAG_MS.start(),
                MAX_LAG_MS.end()
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: &mut PublishSection) -> Vec<String> {
        let mut errors = Vec::new();
        check_publish_timing(p, 0.1, &mut errors);
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn huge_values_are_refused_with_the_allowed_range() {
        let mut p = PublishSection {
            heartbeat_ms: i64::MAX as u64,
            intent_max_age_ms: Some(u64::MAX),
            max_lag_ms: Some(1),
            ..PublishSection::default()
        };
        let errors = check(&mut p);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("publish.heartbeat_ms") && errors[0].contains("1 to 10000 ms"));
        assert!(errors[1].contains("intent_max_age_ms") && errors[1].contains("10 to 10000 ms"));
        assert!(errors[2].contains("max_lag_ms") && errors[2].contains("50 to 60000 ms"));
        let mut p = PublishSection {
            heartbeat_ms: 10_000,
            deadman_missed: u32::MAX,
            ..PublishSection::default()
        };
        let errors = check(&mut p);
        assert!(
            errors[0].contains("deadman_missed") && errors[0].contains("1 to 6"),
            "{errors:?}"
        );
    }

    #[test]
    fn the_default_maximum_age_is_one_hop_plus_the_margin() {
        let mut p = PublishSection::default();
        assert!(check(&mut p).is_empty());
        assert_eq!(p.intent_max_age_ms, Some(200));
    }
}
