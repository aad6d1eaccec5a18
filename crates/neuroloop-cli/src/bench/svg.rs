//! The report's plots as inline SVG: a stacked bar of the stage means,
//! empirical CDFs on a logarithmic time axis, and a time series with gaps
//! and overruns marked. Plain strings, no script: the page renders offline
//! and in any browser.

use std::fmt::Write as _;

/// One colour per stage, in data-path order (colour-blind-safe Tableau 10).
pub const STAGE_COLORS: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#b07aa1",
];
/// End to end.
pub const TOTAL_COLOR: &str = "#222222";
const GAP_COLOR: &str = "#d62728";
const OVERRUN_COLOR: &str = "#ff7f0e";
const WIDTH: f64 = 760.0;

/// Escapes text for HTML and SVG.
#[must_use]
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Horizontal stacked bars of stage means (ms), one row per `(label,
/// means)`, on one scale, with a legend of `names`.
#[must_use]
pub fn stacked_bars(rows: &[(String, Vec<f64>)], names: &[&str]) -> String {
    let (left, bar_w, row_h) = (150.0, WIDTH - 190.0, 34.0);
    let longest = rows
        .iter()
        .map(|(_, m)| m.iter().sum::<f64>())
        .fold(0.0, f64::max)
        .max(1e-6);
    let height = 30.0 + row_h * rows.len() as f64 + 40.0;
    let mut s = svg_open(height, "stage means");
    for (r, (label, means)) in rows.iter().enumerate() {
        let y = 10.0 + row_h * r as f64;
        let total: f64 = means.iter().sum();
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 17.0,
            escape(label)
        );
        let mut x = left;
        for (i, &m) in means.iter().enumerate() {
            let w = m / longest * bar_w;
            let name = names.get(i).copied().unwrap_or("?");
            let _ = write!(
                s,
                r#"<rect class="stage-{name}" x="{x:.2}" y="{y:.2}" width="{w:.2}" height="24" fill="{}"><title>{name} {m:.4} ms</title></rect>"#,
                STAGE_COLORS[i % STAGE_COLORS.len()]
            );
            x += w;
        }
        let _ = write!(
            s,
            r#"<text x="{:.2}" y="{}">{total:.3} ms</text>"#,
            x + 6.0,
            y + 17.0
        );
    }
    let mut x = left;
    let y = height - 18.0;
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{y}">{name}</text>"#,
            y - 10.0,
            STAGE_COLORS[i % STAGE_COLORS.len()],
            x + 16.0
        );
        x += 90.0;
    }
    s.push_str("</svg>");
    s
}

/// A line of a CDF plot: label, colour, dashed, values in ms.
pub struct CdfLine<'a> {
    /// Legend text.
    pub label: String,
    /// Stroke colour.
    pub color: &'a str,
    /// Dashed (the second report of a comparison).
    pub dashed: bool,
    /// The values, ms (any order).
    pub values: &'a [f64],
}

/// Empirical CDFs on a log10 time axis (values below 1 µs drawn at 1 µs).
#[must_use]
pub fn cdf(lines: &[CdfLine<'_>]) -> String {
    let (left, top, plot_w, plot_h) = (60.0, 10.0, WIDTH - 230.0, 260.0);
    let floor = 1e-3;
    let all = lines
        .iter()
        .flat_map(|l| l.values.iter().copied())
        .filter(|v| v.is_finite());
    let (lo, hi) = all.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v.max(floor)), hi.max(v))
    });
    let lo_dec = if lo.is_finite() {
        lo.log10().floor()
    } else {
        -3.0
    };
    // At most 12 decades (1 µs to 1000 s).
    let hi_dec = hi
        .max(floor)
        .log10()
        .ceil()
        .clamp(lo_dec + 1.0, lo_dec + 12.0);
    let x_of = |v: f64| left + (v.max(floor).log10() - lo_dec) / (hi_dec - lo_dec) * plot_w;
    let y_of = |p: f64| top + (1.0 - p) * plot_h;
    let mut s = svg_open(top + plot_h + 50.0, "cumulative distributions");
    axes(&mut s, left, top, plot_w, plot_h);
    for d in lo_dec as i32..=hi_dec as i32 {
        let x = x_of(10f64.powi(d));
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{}" stroke="#ddd"/><text x="{x:.1}" y="{}" text-anchor="middle">{}</text>"##,
            top + plot_h,
            top + plot_h + 16.0,
            format_ms(10f64.powi(d))
        );
    }
    for p in [0.5, 0.9, 0.99] {
        let y = y_of(p);
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{p}</text>"##,
            left + plot_w,
            left - 6.0,
            y + 4.0
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">latency (log scale)</text>"#,
        left + plot_w / 2.0,
        top + plot_h + 36.0
    );
    for (n, line) in lines.iter().enumerate() {
        let mut v: Vec<f64> = line
            .values
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            continue;
        }
        let step = (v.len() / 600).max(1);
        let mut points = String::new();
        for i in (0..v.len()).step_by(step).chain([v.len() - 1]) {
            let p = (i + 1) as f64 / v.len() as f64;
            let _ = write!(points, "{:.1},{:.1} ", x_of(v[i]), y_of(p));
        }
        let dash = if line.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = write!(
            s,
            r#"<polyline class="cdf" points="{points}" fill="none" stroke="{}" stroke-width="2"{dash}><title>{}</title></polyline>"#,
            line.color,
            escape(&line.label)
        );
        let ly = top + 14.0 + 18.0 * n as f64;
        let lx = left + plot_w + 14.0;
        let _ = write!(
            s,
            r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{}" stroke-width="2"{dash}/><text x="{}" y="{}">{}</text>"#,
            lx + 24.0,
            line.color,
            lx + 30.0,
            ly + 4.0,
            escape(&line.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// `y_ms` over `t_s` (bucketed to its maxima so that spikes stay
/// visible), a dashed line at one hop, gaps (red) and overruns (orange).
#[must_use]
pub fn time_series(
    t_s: &[f64],
    y_ms: &[f64],
    hop_ms: f64,
    gaps: &[f64],
    overruns: &[f64],
) -> String {
    let (left, top, plot_w, plot_h) = (60.0, 10.0, WIDTH - 80.0, 220.0);
    let t_end = t_s.iter().chain(gaps).copied().fold(1e-3, f64::max);
    let y_max = y_ms.iter().copied().fold(hop_ms, f64::max) * 1.1;
    let x_of = |t: f64| left + t.max(0.0) / t_end * plot_w;
    let y_of = |v: f64| top + (1.0 - v / y_max) * plot_h;
    let mut s = svg_open(top + plot_h + 50.0, "end-to-end latency over time");
    axes(&mut s, left, top, plot_w, plot_h);
    for k in 0..=4 {
        let v = y_max * f64::from(k) / 4.0;
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            left - 6.0,
            y_of(v) + 4.0,
            format_ms(v)
        );
        let t = t_end * f64::from(k) / 4.0;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{t:.0} s</text>"#,
            x_of(t),
            top + plot_h + 16.0
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#888" stroke-dasharray="4 4"/><text x="{}" y="{:.1}" text-anchor="end">one hop</text>"##,
        left + plot_w,
        left + plot_w,
        y_of(hop_ms) - 4.0,
        y = y_of(hop_ms)
    );
    for &g in gaps {
        let x = x_of(g);
        let _ = write!(
            s,
            r#"<line class="gap" x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{}" stroke="{GAP_COLOR}" stroke-width="2"><title>gap at {g:.2} s</title></line>"#,
            top + plot_h
        );
    }
    for &o in overruns {
        let x = x_of(o);
        let _ = write!(
            s,
            r#"<path class="overrun" d="M{:.1},{top} l5,-8 l-10,0 z" transform="translate(0,8)" fill="{OVERRUN_COLOR}"><title>overrun at {o:.2} s</title></path>"#,
            x
        );
    }
    let buckets = 1500usize;
    let mut peak = vec![f64::NAN; buckets];
    for (&t, &v) in t_s.iter().zip(y_ms) {
        let b = ((t.max(0.0) / t_end) * (buckets - 1) as f64) as usize;
        let slot = &mut peak[b.min(buckets - 1)];
        *slot = if slot.is_nan() { v } else { slot.max(v) };
    }
    let mut points = String::new();
    for (b, v) in peak.iter().enumerate().filter(|(_, v)| !v.is_nan()) {
        let t = b as f64 / (buckets - 1) as f64 * t_end;
        let _ = write!(points, "{:.1},{:.1} ", x_of(t), y_of(*v));
    }
    let _ = write!(
        s,
        r#"<polyline class="series" points="{points}" fill="none" stroke="{TOTAL_COLOR}" stroke-width="1"/>"#
    );
    s.push_str("</svg>");
    s
}

fn svg_open(height: f64, title: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{title}" font-family="sans-serif" font-size="12">"#
    )
}

fn axes(s: &mut String, left: f64, top: f64, w: f64, h: f64) {
    let _ = write!(
        s,
        r##"<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#444"/>"##
    );
}

/// `ms` with a unit that keeps it short.
#[must_use]
pub fn format_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{} s", trim(ms / 1000.0))
    } else if ms >= 1.0 || ms == 0.0 {
        format!("{} ms", trim(ms))
    } else {
        format!("{} µs", trim(ms * 1000.0))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
