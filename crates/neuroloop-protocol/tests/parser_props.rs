//! Property tests: no input makes the parsers or the framing panic, and
//! the framing never holds more than its limit.

use neuroloop_protocol::{ClientMessage, LineReader, LineSplitter, ProtocolError, Split};
use proptest::prelude::*;

/// Bytes that look a bit like protocol lines: JSON punctuation, known
/// type names, digits, newlines, and arbitrary bytes.
fn protocol_ish() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"{\"type\":".to_vec()),
        Just(b"\"hello\"".to_vec()),
        Just(b"\"ack\"".to_vec()),
        Just(b"\"estop\"".to_vec()),
        Just(b"\"intent\"".to_vec()),
        Just(b"\"versions\":[1]".to_vec()),
        Just(b"\"seq\":".to_vec()),
        Just(b"\"role\":\"operator\"".to_vec()),
        Just(b"}".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"18446744073709551616".to_vec()),
        Just(b"-1e999".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(token, 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn client_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = ClientMessage::parse(&bytes);
    }

    #[test]
    fn client_parser_never_panics_on_protocol_like_input(bytes in protocol_ish()) {
        if let Ok(message) = ClientMessage::parse(&bytes) {
            // Whatever parses re-serialises and parses to the same message.
            let mut line = Vec::new();
            message.write_line(&mut line);
            prop_assert_eq!(ClientMessage::parse(&line[..line.len() - 1]), Ok(message));
        }
    }

    #[test]
    fn server_message_reader_never_panics(bytes in protocol_ish(), limit in 1usize..256) {
        let mut reader = LineReader::with_limit(&bytes[..], limit);
        for _ in 0..=bytes.len() {
            if let Err(ProtocolError::Closed) = reader.next_message() {
                break;
            }
        }
    }

    #[test]
    fn splitter_is_bounded_and_agrees_with_a_reference(
        chunks in proptest::collection::vec(protocol_ish(), 0..8),
        limit in 1usize..64,
    ) {
        let mut splitter = LineSplitter::new(limit);
        let mut got = Vec::new();
        for chunk in &chunks {
            splitter.push(chunk);
            prop_assert!(splitter.buffered() <= limit);
            while let Some(item) = splitter.pop() {
                got.push(item);
            }
        }
        let all = chunks.concat();
        let mut expected = Vec::new();
        let mut parts: Vec<&[u8]> = all.split(|&b| b == b'\n').collect();
        parts.pop(); // the unterminated tail is still pending
        for part in parts {
            let too_long = part.len() > limit;
            let part = part.strip_suffix(b"\r").unwrap_or(part);
            if too_long {
                expected.push(Split::TooLong);
            } else if !part.is_empty() {
                expected.push(Split::Line(part.to_vec()));
            }
        }
        prop_assert_eq!(got, expected);
    }
}
