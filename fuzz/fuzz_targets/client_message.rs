//! Arbitrary bytes as one client line: the server's parser must answer
//! with a message or an error code, never panic, and whatever parses must
//! round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neuroloop_protocol::ClientMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = ClientMessage::parse(data) {
        let mut line = Vec::new();
        message.write_line(&mut line);
        assert_eq!(
            ClientMessage::parse(&line[..line.len() - 1]).as_ref(),
            Ok(&message)
        );
    }
});
