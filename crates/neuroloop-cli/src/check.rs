//! `neuroloop check CONFIG`.

use std::path::Path;
use std::process::ExitCode;

use neuroloop_core::StreamSpec;
use neuroloop_runtime::config::WindowMode;

/// Validates `config`; prints every problem (exit 1) or a short summary.
pub fn check(config: &Path) -> ExitCode {
    match neuroloop_runtime::load(config) {
        Ok(s) => {
            let windows = match &s.pipeline.windows.mode {
                WindowMode::Hop => format!(
                    "window {} samples / hop {}",
                    s.pipeline.windows.window_samples, s.pipeline.windows.hop_samples
                ),
                WindowMode::Events(e) => format!(
                    "one window of {} samples per event, from {} s after it",
                    s.pipeline.windows.window_samples, e.offset_s
                ),
            };
            outln!(
                "{}: ok — profile {} ({} channels @ {} Hz){}, {} filter stage(s), {windows}, classes {:?}, intents on {}, preallocates {:.0} MB of {} MB allowed",
                config.display(),
                s.profile.name,
                s.pipeline.source.channel_count(),
                s.pipeline.source.sample_rate,
                decoded(&s.pipeline.source, &s.pipeline.input),
                s.pipeline.filters.chain.stages().len(),
                s.classes,
                s.publish_addr,
                neuroloop_runtime::config::MemoryEstimate::of(&s).total() / 1_048_576.0,
                s.session.max_memory_mb
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            errln!("{}: {} problem(s)", config.display(), errors.len());
            for e in &errors {
                errln!("  {e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `, decoding N of them (left out: ...)` when the pipeline reads fewer
/// channels than the source's stream has; nothing when it reads them all.
fn decoded(source: &StreamSpec, input: &StreamSpec) -> String {
    if input.channel_count() == source.channel_count() {
        return String::new();
    }
    let left_out: Vec<String> = source
        .channels
        .iter()
        .filter(|c| input.channel_index(&c.label).is_none())
        .map(|c| format!("{} ({})", c.label, c.kind))
        .collect();
    format!(
        ", decoding {} of them (left out: {})",
        input.channel_count(),
        left_out.join(", ")
    )
}
