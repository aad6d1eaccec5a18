//! `neuroloop list`: the serial ports of this machine and the LSL streams
//! visible from it.

use std::process::ExitCode;

use neuroloop_lsl::{Scope, Settings};

/// Prints every serial port (name, USB vendor:product and names where
/// known), then every visible LSL stream (name, type, channels, rate,
/// source id, host). Exit 1 with the reason if liblsl is missing or fails.
pub fn list(wait_s: f64, lab: bool) -> ExitCode {
    list_serial_ports();
    let settings = Settings {
        scope: if lab { Scope::Lab } else { Scope::Machine },
        ..Settings::default()
    };
    let streams = neuroloop_lsl::load(&settings).and_then(|lsl| lsl.resolve_all(wait_s));
    let streams = match streams {
        Ok(s) => s,
        Err(e) => {
            errln!("neuroloop list: {e}");
            return ExitCode::FAILURE;
        }
    };
    if streams.is_empty() {
        outln!("no LSL streams visible (waited {wait_s} s)");
        return ExitCode::SUCCESS;
    }
    outln!(
        "{:<28} {:<10} {:>8} {:>10}  {:<24} host",
        "name",
        "type",
        "channels",
        "rate_hz",
        "source_id"
    );
    for s in &streams {
        let rate = s.nominal_rate();
        let rate = if rate == 0.0 {
            "irregular".to_string()
        } else {
            format!("{rate}")
        };
        outln!(
            "{:<28} {:<10} {:>8} {:>10}  {:<24} {}",
            s.name(),
            s.kind(),
            s.channel_count(),
            rate,
            s.source_id(),
            s.hostname()
        );
    }
    ExitCode::SUCCESS
}

/// The serial ports, for `[source] type = "serial"`.
fn list_serial_ports() {
    let ports = neuroloop_sources::serial::ports::list_ports();
    if ports.is_empty() {
        outln!("no serial ports found");
        return;
    }
    outln!("{:<40} usb", "serial port");
    for p in &ports {
        outln!("{:<40} {}", p.name, p.usb.as_deref().unwrap_or("-"));
    }
    outln!();
}
