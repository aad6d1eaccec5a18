//! The self-contained HTML pages of a latency report and of a comparison:
//! inline CSS and SVG, no script, no external resource.

use std::fmt::Write as _;

use neuroloop_runtime::LatencySummary;

use super::doc::{LatencyDoc, STAGE_NAMES};
use super::svg::{self, CdfLine, STAGE_COLORS, TOTAL_COLOR, escape};

const STYLE: &str = "body{font-family:sans-serif;max-width:820px;margin:2em auto;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}\
td:first-child,th:first-child{text-align:left}h2{margin-top:1.6em}.note{color:#555;font-size:90%}";

/// The page of one report.
#[must_use]
pub fn report_page(doc: &LatencyDoc) -> String {
    let mut p = head(&format!("neuroloop latency — {}", doc.session.name));
    facts(&mut p, &[doc]);
    let _ = write!(
        p,
        "<h2>Per stage</h2><p class=\"note\">Means of the {} decided windows; the stages add up to the \
         end-to-end mean ({:.3} ms).</p>",
        doc.counts.decided, doc.end_to_end.mean_ms
    );
    p.push_str(&svg::stacked_bars(
        &[(doc.session.name.clone(), means(doc))],
        &STAGE_NAMES,
    ));
    p.push_str("<h2>Percentiles</h2>");
    percentile_table(&mut p, doc);
    p.push_str("<h2>Distributions</h2>");
    let mut lines = vec![CdfLine {
        label: "end to end".into(),
        color: TOTAL_COLOR,
        dashed: false,
        values: &doc.series.end_to_end_ms,
    }];
    for (i, name) in STAGE_NAMES.iter().enumerate() {
        if let Some(values) = doc.series.stage_ms.get(i) {
            lines.push(CdfLine {
                label: (*name).to_string(),
                color: STAGE_COLORS[i],
                dashed: false,
                values,
            });
        }
    }
    p.push_str(&svg::cdf(&lines));
    let s = &doc.series;
    let _ = write!(
        p,
        "<h2>Over time</h2><p class=\"note\">End to end per decided window (bucketed maxima); \
         {} gaps (red) and {} overruns (orange: published more than one hop after arrival).</p>",
        s.gaps_s.len(),
        s.overruns_s.len()
    );
    p.push_str(&svg::time_series(
        &s.t_s,
        &s.end_to_end_ms,
        doc.session.hop_s * 1e3,
        &s.gaps_s,
        &s.overruns_s,
    ));
    p.push_str("</body></html>\n");
    p
}

/// Two reports side by side; ratios are `b / a`.
#[must_use]
pub fn compare_page(a: &LatencyDoc, b: &LatencyDoc) -> String {
    let mut p = head("neuroloop latency — comparison");
    facts(&mut p, &[a, b]);
    p.push_str("<h2>Per stage</h2>");
    p.push_str(&svg::stacked_bars(
        &[("A".to_string(), means(a)), ("B".to_string(), means(b))],
        &STAGE_NAMES,
    ));
    p.push_str(
        "<h2>Percentiles</h2><table><tr><th></th><th>A p50</th><th>B p50</th><th>B/A</th>\
         <th>A p99</th><th>B p99</th><th>B/A</th></tr>",
    );
    for (name, sa, sb) in rows(a)
        .into_iter()
        .zip(rows(b))
        .map(|((n, sa), (_, sb))| (n, sa, sb))
    {
        let ratio = |x: f64, y: f64| {
            if x > 0.0 {
                format!("{:.2}", y / x)
            } else {
                "–".into()
            }
        };
        let _ = write!(
            p,
            "<tr><td>{name}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{}</td></tr>",
            sa.p50_ms,
            sb.p50_ms,
            ratio(sa.p50_ms, sb.p50_ms),
            sa.p99_ms,
            sb.p99_ms,
            ratio(sa.p99_ms, sb.p99_ms)
        );
    }
    p.push_str("</table><p class=\"note\">ms; B/A below 1: B is faster.</p><h2>Distributions</h2>");
    p.push_str(&svg::cdf(&[
        CdfLine {
            label: "A end to end".into(),
            color: TOTAL_COLOR,
            dashed: false,
            values: &a.series.end_to_end_ms,
        },
        CdfLine {
            label: "B end to end".into(),
            color: TOTAL_COLOR,
            dashed: true,
            values: &b.series.end_to_end_ms,
        },
        CdfLine {
            label: "A decode".into(),
            color: STAGE_COLORS[3],
            dashed: false,
            values: decode(a),
        },
        CdfLine {
            label: "B decode".into(),
            color: STAGE_COLORS[3],
            dashed: true,
            values: decode(b),
        },
    ]));
    p.push_str("</body></html>\n");
    p
}

/// The decode stage's values of `d`.
fn decode(d: &LatencyDoc) -> &[f64] {
    d.series.stage_ms.get(3).map_or(&[], Vec::as_slice)
}

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>{STYLE}</style></head><body><h1>{t}</h1>",
        t = escape(title)
    )
}

fn means(doc: &LatencyDoc) -> Vec<f64> {
    doc.stages.iter().map(|s| s.summary.mean_ms).collect()
}

/// End to end, the stages, the socket write, the ack and the transport.
fn rows(doc: &LatencyDoc) -> Vec<(String, LatencySummary)> {
    let mut rows = vec![("end to end".to_string(), doc.end_to_end)];
    rows.extend(doc.stages.iter().map(|s| (escape(&s.name), s.summary)));
    rows.push(("socket write".into(), doc.socket_write));
    rows.push(("actuator ack".into(), doc.ack_rtt));
    rows.push(("transport".into(), doc.transport.delay));
    rows
}

fn percentile_table(p: &mut String, doc: &LatencyDoc) {
    p.push_str(
        "<table><tr><th>ms</th><th>n</th><th>mean</th><th>p50</th><th>p90</th><th>p99</th>\
         <th>p99.9</th><th>max</th></tr>",
    );
    for (name, s) in rows(doc) {
        let _ = write!(
            p,
            "<tr><td>{name}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td></tr>",
            s.count, s.mean_ms, s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms
        );
    }
    p.push_str("</table>");
    let t = &doc.transport;
    let _ = write!(
        p,
        "<p class=\"note\">Transport: arrival − sample time, jitter (sd) {:.3} ms; {} windows with \
         timestamps on another clock left out.",
        t.delay.stdev_ms, t.out_of_range
    );
    if let Some(c) = &t.clock {
        let drift = c
            .drift_ppm
            .map_or_else(|| "n/a".into(), |d| format!("{d:.2} ppm"));
        let _ = write!(
            p,
            " Clock offset {:.6} → {:.6} s over {} corrections, drift {drift}.",
            c.first_offset_s, c.last_offset_s, c.corrections
        );
    }
    p.push_str("</p>");
}

/// The facts of one report, named, in table order (escaped).
fn fact_rows(d: &LatencyDoc, with_bundle: bool) -> Vec<(&'static str, String)> {
    let hash = |h: &super::machine::Hashed| {
        let short: String = h
            .sha256
            .as_deref()
            .map_or_else(|| "unreadable".into(), |s| s.chars().take(12).collect());
        format!("{} ({})", escape(&h.path), escape(&short))
    };
    let (s, c, m) = (&d.session, &d.counts, &d.machine);
    let mut rows = vec![
        ("session", escape(&s.name)),
        (
            "source",
            format!(
                "{}: {} ch @ {} Hz, hop {} ms",
                escape(&s.source),
                s.channels,
                s.rate_hz,
                s.hop_s * 1e3
            ),
        ),
        (
            "duration",
            format!("{:.1} s, actuator {}", s.duration_s, escape(&s.client)),
        ),
        (
            "counts",
            format!(
                "{} samples, {} windows, {} decided, {} gaps, {} overruns, {} acks",
                c.samples, c.windows, c.decided, c.signal_loss_holds, c.overruns, c.acks
            ),
        ),
        (
            "machine",
            escape(&format!(
                "{}; {} threads; {}; kernel {}",
                m.cpu, m.threads, m.os, m.kernel
            )),
        ),
        ("neuroloop", escape(&d.neuroloop_version)),
        ("config", hash(&d.config)),
    ];
    if with_bundle {
        let bundle = d.bundle.as_ref().map_or_else(|| "–".into(), hash);
        rows.push(("bundle", bundle));
    }
    rows
}

/// The facts table, one column per report.
fn facts(p: &mut String, docs: &[&LatencyDoc]) {
    let with_bundle = docs.iter().any(|d| d.bundle.is_some());
    let columns: Vec<_> = docs.iter().map(|d| fact_rows(d, with_bundle)).collect();
    p.push_str("<table>");
    if docs.len() > 1 {
        p.push_str("<tr><th></th><th>A</th><th>B</th></tr>");
    }
    let names: Vec<&str> = columns
        .first()
        .map_or_else(Vec::new, |c| c.iter().map(|(n, _)| *n).collect());
    for (i, name) in names.iter().enumerate() {
        let _ = write!(p, "<tr><td>{name}</td>");
        for column in &columns {
            let _ = write!(p, "<td style=\"text-align:left\">{}</td>", column[i].1);
        }
        p.push_str("</tr>");
    }
    p.push_str("</table>");
}
