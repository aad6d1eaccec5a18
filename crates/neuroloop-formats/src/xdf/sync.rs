//! Clock synchronisation and jitter removal, as pyxdf's `load_xdf` does
//! them with its defaults, so a file reads to the same timestamps here and
//! there.
//!
//! * Clock offsets (`ClockOffset` chunks: when, and how far the stream's
//!   clock was from the recorder's) are split at clock resets (a collection
//!   time going backwards, or a jump in both time and value beyond a
//!   median-absolute-deviation bound), and each segment gets a robust linear
//!   fit (Huber loss by ADMM); each timestamp moves by the fitted offset at
//!   its time.
//! * Jitter removal: a regular stream's timestamps are split at breaks
//!   (more than 1 s or 500 sample periods), and each segment's timestamps
//!   are replaced by their least-squares line over the sample index.

/// pyxdf's defaults.
const RESET_TIME_STDS: f64 = 5.0;
const RESET_TIME_SECONDS: f64 = 5.0;
const RESET_VALUE_STDS: f64 = 10.0;
const RESET_VALUE_SECONDS: f64 = 1.0;
const WINSOR: f64 = 0.0001;
const ADMM_ITERATIONS: usize = 1000;
const BREAK_SECONDS: f64 = 1.0;
const BREAK_SAMPLES: f64 = 500.0;

/// Inclusive `(first, last)` index ranges.
pub type Segments = Vec<(usize, usize)>;

/// The median (the mean of the middle two for an even count; NaN for none).
pub(super) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// Differences that are outliers both in MAD units and in absolute size.
fn glitches(diff: &[f64], stds: f64, seconds: f64) -> Vec<bool> {
    let m = median(diff);
    let deviations: Vec<f64> = diff.iter().map(|d| (d - m).abs()).collect();
    let mad = median(&deviations) + f64::EPSILON;
    diff.iter()
        .map(|d| ((d - m) / mad).abs() > stds && (d - m).abs() > seconds)
        .collect()
}

/// The segments between breaks (`breaks[i]`: a break between `i` and
/// `i + 1`).
pub fn segments(breaks: &[bool]) -> Segments {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in breaks.iter().enumerate().filter(|(_, b)| **b) {
        out.push((start, i));
        start = i + 1;
    }
    out.push((start, breaks.len()));
    out
}

/// The clock-offset segments between resets.
fn reset_segments(times: &[f64], values: &[f64]) -> Segments {
    let diff = |v: &[f64]| v.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>();
    let (time_diff, value_diff) = (diff(times), diff(values));
    let time_glitch = glitches(&time_diff, RESET_TIME_STDS, RESET_TIME_SECONDS);
    let value_glitch = glitches(&value_diff, RESET_VALUE_STDS, RESET_VALUE_SECONDS);
    let resets: Vec<bool> = (0..time_diff.len())
        .map(|i| time_diff[i] < 0.0 || (time_glitch[i] && value_glitch[i]))
        .collect();
    segments(&resets)
}

/// `(intercept, slope)` of a Huber-loss fit of `values` over `times` by
/// ADMM (pyxdf's `_robust_fit` on winsorised units, ρ = 1).
fn robust_fit(times: &[f64], values: &[f64]) -> Option<(f64, f64)> {
    let x1: Vec<f64> = times.iter().map(|t| t / WINSOR).collect();
    let y: Vec<f64> = values.iter().map(|v| v / WINSOR).collect();
    let shift = x1.iter().copied().fold(f64::INFINITY, f64::min);
    let a1: Vec<f64> = x1.iter().map(|x| x - shift).collect();
    let n = y.len() as f64;
    // AᵀA = [[n, Σa], [Σa, Σa²]], solved by its 2×2 inverse.
    let (sa, saa) = (
        a1.iter().sum::<f64>(),
        a1.iter().map(|a| a * a).sum::<f64>(),
    );
    let det = n * saa - sa * sa;
    if det.abs() <= f64::EPSILON * n * saa || !det.is_finite() {
        return None;
    }
    let solve = |b0: f64, b1: f64| ((saa * b0 - sa * b1) / det, (n * b1 - sa * b0) / det);
    let aty = (
        y.iter().sum::<f64>(),
        a1.iter().zip(&y).map(|(a, y)| a * y).sum::<f64>(),
    );
    let (mut z, mut u) = (vec![0.0; y.len()], vec![0.0; y.len()]);
    let mut x = (0.0, 0.0);
    for _ in 0..ADMM_ITERATIONS {
        let (r0, r1) = z
            .iter()
            .zip(&u)
            .zip(&a1)
            .fold((0.0, 0.0), |(s0, s1), ((z, u), a)| {
                (s0 + (z - u), s1 + a * (z - u))
            });
        x = solve(aty.0 + r0, aty.1 + r1);
        for i in 0..y.len() {
            let d = x.0 + x.1 * a1[i] - y[i] + u[i];
            let inv = if d == 0.0 { 0.0 } else { 1.0 / d };
            let shrink = (1.0 - 2.0 * inv.abs()).max(0.0);
            z[i] = 0.5 * d + 0.5 * shrink * d;
            u[i] = d - z[i];
        }
    }
    Some(((x.0 - x.1 * shift) * WINSOR, x.1))
}

/// Moves `stamps` by the stream's clock offsets; returns the segments of
/// samples each clock segment corrected.
pub fn synchronize(stamps: &mut [f64], times: &[f64], values: &[f64]) -> Segments {
    if stamps.is_empty() || times.is_empty() {
        return Vec::new();
    }
    let ranges = if times.len() > 1 {
        reset_segments(times, values)
    } else {
        vec![(0, 0)]
    };
    let coefficients: Vec<(f64, f64)> = ranges
        .iter()
        .map(|&(a, b)| match a == b {
            true => (values[a], 0.0),
            false => robust_fit(&times[a..=b], &values[a..=b]).unwrap_or((0.0, 0.0)),
        })
        .collect();
    if ranges.len() == 1 {
        let (c0, c1) = coefficients[0];
        stamps.iter_mut().for_each(|t| *t += c0 + c1 * *t);
        return vec![(0, stamps.len() - 1)];
    }
    let mut applied = Vec::new();
    let mut start = 0;
    for (&(c0, c1), &(_, last)) in coefficients.iter().zip(&ranges) {
        let stop = match times.get(last + 1) {
            Some(&next) => {
                let end = times[last];
                let rest = &stamps[start..];
                start
                    + rest
                        .iter()
                        .position(|t| (t - end).abs() >= (t - next).abs())
                        .unwrap_or(rest.len())
            }
            None => stamps.len(),
        };
        if stop > start {
            stamps[start..stop]
                .iter_mut()
                .for_each(|t| *t += c0 + c1 * *t);
            applied.push((start, stop - 1));
            start = stop;
        }
    }
    applied
}

/// Replaces each segment's timestamps by their least-squares line over the
/// sample index; returns the segments and the effective rate.
pub fn dejitter(stamps: &mut [f64], nominal_srate: f64) -> (Segments, f64) {
    if stamps.is_empty() {
        return (Vec::new(), 0.0);
    }
    let threshold = BREAK_SECONDS.max(BREAK_SAMPLES / nominal_srate);
    let breaks: Vec<bool> = stamps
        .windows(2)
        .map(|w| (w[1] - w[0]).abs() > threshold)
        .collect();
    let segs = segments(&breaks);
    for &(a, b) in &segs {
        fit_line(&mut stamps[a..=b], a);
    }
    let (samples, seconds) = segs.iter().fold((0.0, 0.0), |(n, d), &(a, b)| {
        (n + (b - a) as f64, d + stamps[b] - stamps[a])
    });
    let effective = if segs.iter().any(|(a, b)| b > a) {
        samples / seconds
    } else {
        0.0
    };
    (segs, effective)
}

/// Least-squares line of `stamps` over indices `first..`, centred for
/// precision.
fn fit_line(stamps: &mut [f64], first: usize) {
    let n = stamps.len() as f64;
    let mean_i = first as f64 + (n - 1.0) / 2.0;
    let mean_t = stamps.iter().sum::<f64>() / n;
    let (mut sit, mut sii) = (0.0, 0.0);
    for (k, t) in stamps.iter().enumerate() {
        let di = (first + k) as f64 - mean_i;
        sit += di * (t - mean_t);
        sii += di * di;
    }
    let slope = if sii > 0.0 { sit / sii } else { 0.0 };
    for (k, t) in stamps.iter_mut().enumerate() {
        *t = mean_t + slope * ((first + k) as f64 - mean_i);
    }
}
