//! Commands a client sends: acks, e-stop, clear, pause, resume, raw bytes.

use std::io::Write;

use crate::ProtocolError;
use crate::client::Client;
use crate::message::ClientMessage;

impl Client {
    /// Acknowledges intent `seq` (actuators).
    ///
    /// # Errors
    /// Socket errors.
    pub fn ack(&mut self, seq: u64) -> Result<(), ProtocolError> {
        self.send(&ClientMessage::Ack { seq })
    }

    /// Emergency stop for every client (actuators, operators).
    ///
    /// # Errors
    /// Socket errors.
    pub fn estop(&mut self, reason: &str) -> Result<(), ProtocolError> {
        self.send(&ClientMessage::Estop {
            reason: Some(reason.into()),
        })
    }

    /// Lifts an emergency stop (operators).
    ///
    /// # Errors
    /// Socket errors.
    pub fn clear(&mut self) -> Result<(), ProtocolError> {
        self.send(&ClientMessage::Clear {})
    }

    /// Pauses the session's output (operators).
    ///
    /// # Errors
    /// Socket errors.
    pub fn pause(&mut self) -> Result<(), ProtocolError> {
        self.send(&ClientMessage::Pause {})
    }

    /// Resumes the session's output (operators).
    ///
    /// # Errors
    /// Socket errors.
    pub fn resume(&mut self) -> Result<(), ProtocolError> {
        self.send(&ClientMessage::Resume {})
    }

    /// Writes raw bytes (tests of the server's error handling).
    ///
    /// # Errors
    /// Socket errors.
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        self.writer.write_all(bytes)?;
        Ok(())
    }
}
