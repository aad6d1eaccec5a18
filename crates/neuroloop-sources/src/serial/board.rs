//! The Cyton's ASCII command set: `s` (stop streaming), `v` (soft reset,
//! answered by a banner ending in `$$$` that lists a Daisy's ADS1299 when
//! one is attached), `c` (drop the Daisy: 8 channels), `x…X` (one
//! channel's settings, answered by a line ending in `$$$`) and `b` (start
//! streaming).
//!
//! Everything here runs while the board is being initialised, before any
//! sample: it may allocate.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use super::samples::Board;
use super::scale::gain_digit;
use crate::SourceError;

/// The end of every answer the firmware sends to a command.
pub const END_OF_ANSWER: &[u8] = b"$$$";
/// The word of the reset banner that says a Daisy is attached.
pub const DAISY_MARK: &str = "Daisy";
/// The channel letters of a settings command: channels 1–8, then the
/// Daisy's 9–16.
pub const CHANNEL_KEYS: &[u8; 16] = b"12345678QWERTYUI";
/// The command that stops streaming.
pub const STOP: u8 = b's';
/// The command that starts streaming.
pub const START: u8 = b'b';
/// The soft reset, answered by the banner.
pub const RESET: u8 = b'v';
/// Use the Cyton's 8 channels only.
pub const CYTON_ONLY: u8 = b'c';

/// The settings command of channel `index` (0-based): powered on, `gain`,
/// normal electrode input, in the bias, SRB2 connected, SRB1 open.
///
/// # Errors
/// [`SourceError::Config`] for a gain the ADS1299 does not have or a
/// channel past 16.
pub fn channel_settings(index: usize, gain: u32) -> Result<[u8; 9], SourceError> {
    let key = *CHANNEL_KEYS
        .get(index)
        .ok_or_else(|| SourceError::Config(format!("no channel {}", index + 1)))?;
    let digit = gain_digit(gain).ok_or_else(|| {
        SourceError::Config(format!(
            "gain {gain} is not an ADS1299 gain (1, 2, 4, 6, 8, 12, 24)"
        ))
    })?;
    Ok([b'x', key, b'0', digit, b'0', b'1', b'1', b'0', b'X'])
}

/// What the board said to `v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// The banner's text (lossy UTF-8, `$$$` removed).
    pub text: String,
    /// Whether a Daisy is attached.
    pub daisy: bool,
}

/// Sends `command` and reads until the answer's `$$$`, for at most
/// `timeout`; the bytes before `$$$` as text.
///
/// # Errors
/// [`SourceError::Unavailable`] naming `port` and what was expected if no
/// complete answer came; [`SourceError::Io`] if the port failed.
pub fn ask<P: Read + Write + ?Sized>(
    port: &mut P,
    port_name: &str,
    command: &[u8],
    expected: &str,
    timeout: Duration,
) -> Result<String, SourceError> {
    port.write_all(command)?;
    port.flush()?;
    let deadline = Instant::now() + timeout;
    let mut answer = Vec::new();
    let mut buf = [0u8; 256];
    while Instant::now() < deadline {
        match port.read(&mut buf) {
            Ok(0) => std::thread::sleep(Duration::from_millis(5)),
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if let Some(end) = find(&answer, END_OF_ANSWER) {
                    return Ok(String::from_utf8_lossy(&answer[..end]).into_owned());
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let heard = String::from_utf8_lossy(&answer[..answer.len().min(80)]).into_owned();
    Err(SourceError::Unavailable(format!(
        "{port_name}: no answer to {:?} within {:.1} s (expected {expected} ending in \"$$$\"{})",
        String::from_utf8_lossy(command),
        timeout.as_secs_f64(),
        if heard.is_empty() {
            "; nothing was received".to_owned()
        } else {
            format!("; received {heard:?}")
        }
    )))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Stops any stream, resets the board and reads its banner, sets `board`'s
/// channels to `gain` and starts streaming. A Daisy the profile does not
/// expect is switched off; a missing one the profile needs is an error.
///
/// # Errors
/// [`SourceError::Unavailable`] if the board does not answer (naming the
/// port and the answer expected); [`SourceError::Config`] if a Daisy is
/// expected and the banner names none, or `gain` is invalid.
pub fn initialise<P: Read + Write + ?Sized>(
    port: &mut P,
    port_name: &str,
    board: Board,
    gain: u32,
    timeout: Duration,
) -> Result<Banner, SourceError> {
    port.write_all(&[STOP])?;
    drain(port, Duration::from_millis(50));
    let text = ask(port, port_name, &[RESET], "an OpenBCI banner", timeout)?;
    let banner = Banner {
        daisy: text.contains(DAISY_MARK),
        text,
    };
    match (board, banner.daisy) {
        (Board::CytonDaisy, false) => {
            return Err(SourceError::Config(format!(
                "{port_name}: the board reports no Daisy module, but the hardware profile \
                 expects 16 channels (banner: {:?})",
                banner.text.trim()
            )));
        }
        (Board::Cyton, true) => {
            ask(
                port,
                port_name,
                &[CYTON_ONLY],
                "the 8-channel confirmation",
                timeout,
            )?;
        }
        _ => {}
    }
    for channel in 0..board.channels() {
        let command = channel_settings(channel, gain)?;
        ask(
            port,
            port_name,
            &command,
            "the channel-settings confirmation",
            timeout,
        )?;
    }
    port.write_all(&[START])?;
    port.flush()?;
    Ok(banner)
}

/// Reads and drops whatever arrives for `quiet` (a stream still running,
/// stale answers).
fn drain<P: Read + ?Sized>(port: &mut P, quiet: Duration) {
    let mut buf = [0u8; 512];
    let until = Instant::now() + quiet;
    while Instant::now() < until {
        match port.read(&mut buf) {
            Ok(n) if n > 0 => {}
            Ok(_) | Err(_) => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_settings_commands_match_the_firmware_syntax() {
        assert_eq!(&channel_settings(0, 24).unwrap(), b"x1060110X");
        assert_eq!(&channel_settings(8, 1).unwrap(), b"xQ000110X");
        assert_eq!(&channel_settings(15, 12).unwrap(), b"xI050110X");
        assert!(channel_settings(16, 24).is_err());
        let e = channel_settings(0, 3).unwrap_err().to_string();
        assert!(e.contains("gain 3"), "{e}");
    }
}
