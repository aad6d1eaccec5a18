//! A plain TCP protocol client (an observer: it sends nothing) that counts
//! what the session publishes until the session says `bye` or closes.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;

/// What the client received.
#[derive(Debug, Default)]
pub struct Received {
    /// `intent` and `hold` lines.
    pub lines: u64,
    /// Of those, `intent` lines (a class to act on).
    pub intents: u64,
    /// Jumps in `seq` (lines lost for this client).
    pub seq_gaps: u64,
}

/// Connects now and reads on its own thread until the connection ends.
pub fn spawn(addr: SocketAddr) -> JoinHandle<Received> {
    let stream = TcpStream::connect(addr).expect("connect to the session");
    std::thread::Builder::new()
        .name("bench-client".into())
        .spawn(move || {
            let mut got = Received::default();
            let mut last_seq = None;
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                match v["type"].as_str() {
                    Some(kind @ ("intent" | "hold")) => {
                        got.lines += 1;
                        if kind == "intent" {
                            got.intents += 1;
                        }
                        let seq = v["seq"].as_u64();
                        if let (Some(prev), Some(seq)) = (last_seq, seq)
                            && seq != prev + 1
                        {
                            got.seq_gaps += 1;
                        }
                        last_seq = seq;
                    }
                    Some("bye") => break,
                    _ => {}
                }
            }
            got
        })
        .expect("client thread")
}
