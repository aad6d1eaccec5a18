//! How far behind a client is, in time: which of the lines written to its
//! socket it has not read yet, and when the oldest of them was published.
//!
//! Lines a client has not read wait in the server's send buffer and in the
//! client's receive buffer, whose size the server does not choose (tens of
//! kilobytes: many seconds of intents). The kernel tells how many bytes are
//! unread:
//! * TCP: the bytes not yet acknowledged (`SIOCOUTQ`) plus those
//!   acknowledged but still in the client's receive buffer, which is how
//!   far the client's advertised window (`TCP_INFO` `tcpi_snd_wnd`) is
//!   below the largest one it advertised. The window is only updated by the
//!   client's acknowledgements, so the estimate can run high for a moment;
//!   never low.
//! * Unix sockets: the bytes the peer has not consumed (`SIOCOUTQ`; counted
//!   with the kernel's per-buffer overhead, so also on the high side).
//! * Anything else (the WebSocket bridge): unknown.
//!
//! The TCP estimate is blind to the part of the client's receive buffer
//! below its advertised window (tens of kilobytes). A client that acks
//! (an actuator) says exactly what it has read: every intent or hold it has
//! not acked is unread.
//!
//! [`Backlog`] remembers the byte offset, publish time and sequence number
//! of each line written, so the unread byte count, or the last ack, names
//! the oldest unread line.

use std::collections::VecDeque;
use std::os::fd::RawFd;

/// Lines remembered per connection; older ones count as read.
const REMEMBERED_LINES: usize = 4096;

/// Where to ask the kernel how much of what was written is unread.
#[derive(Debug)]
pub(crate) enum Probe {
    /// A TCP socket, with the largest window its peer advertised.
    Tcp { fd: RawFd, window_max: u32 },
    /// A Unix stream socket.
    Unix(RawFd),
    /// Not known.
    None,
}

impl Probe {
    /// For a TCP socket (its descriptor must outlive the probe's use).
    pub(crate) fn tcp(fd: RawFd) -> Self {
        Probe::Tcp { fd, window_max: 0 }
    }

    /// Bytes written to the socket that the peer has not read.
    fn unread_bytes(&mut self) -> Option<u64> {
        match self {
            Probe::Tcp { fd, window_max } => {
                let outq = outq(*fd)?;
                let window = send_window(*fd)?;
                *window_max = (*window_max).max(window);
                Some(outq + u64::from(*window_max - window))
            }
            Probe::Unix(fd) => outq(*fd),
            Probe::None => None,
        }
    }

    /// Makes closing the socket reset the connection (TCP `SO_LINGER` 0)
    /// instead of ending it in order, so a client whose last line was cut
    /// by a stall sees an error, not a clean end after half a line.
    pub(crate) fn reset_on_close(&self) {
        if let Probe::Tcp { fd, .. } = self {
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: `fd` is an open socket owned by the connection; the
            // option value is a valid `linger` of the size given.
            unsafe {
                libc::setsockopt(
                    *fd,
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    (&raw const linger).cast(),
                    size_of::<libc::linger>() as libc::socklen_t,
                );
            }
        }
    }
}

fn outq(fd: RawFd) -> Option<u64> {
    let mut bytes: libc::c_int = 0;
    // SAFETY: `fd` is an open socket; SIOCOUTQ writes one int.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &raw mut bytes) };
    (rc == 0).then(|| u64::try_from(bytes).unwrap_or(0))
}

fn send_window(fd: RawFd) -> Option<u32> {
    // SAFETY: `tcp_info` is plain integers, valid when zeroed.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `fd` is an open TCP socket; the kernel writes at most `len`
    // bytes into `info` and reports how many.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &raw mut len,
        )
    };
    let needed = std::mem::offset_of!(libc::tcp_info, tcpi_snd_wnd) + size_of::<u32>();
    (rc == 0 && len as usize >= needed).then_some(info.tcpi_snd_wnd)
}

/// One line written: its end offset, publish time and sequence number
/// (0 for lines that are not intents or holds).
#[derive(Debug, Clone, Copy)]
struct Written {
    end: u64,
    published: f64,
    seq: u64,
}

/// The lines written to one connection and how many of their bytes the
/// client has not read.
#[derive(Debug)]
pub(crate) struct Backlog {
    pub(crate) probe: Probe,
    written: u64,
    /// The lines not known to be read.
    lines: VecDeque<Written>,
    /// The newest sequence number acked, once the client acks.
    acked: Option<u64>,
}

impl Backlog {
    pub(crate) fn new(probe: Probe) -> Self {
        Self {
            probe,
            written: 0,
            lines: VecDeque::with_capacity(64),
            acked: None,
        }
    }

    /// Records a line of `len` bytes published at `published`, written now
    /// (`seq` 0 for lines other than intents and holds).
    pub(crate) fn wrote(&mut self, len: usize, published: f64, seq: u64) {
        self.written += len as u64;
        if self.lines.len() == REMEMBERED_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(Written {
            end: self.written,
            published,
            seq,
        });
    }

    /// The client acked `seq`: it has read every intent and hold up to it.
    pub(crate) fn acked(&mut self, seq: u64) {
        self.acked = Some(self.acked.map_or(seq, |a| a.max(seq)));
    }

    /// Publish time of the oldest line the client has not read, by the
    /// kernel's count and by its acks, whichever says older (`None`: all
    /// read, or not known).
    pub(crate) fn oldest_unread(&mut self) -> Option<f64> {
        let probed = self
            .probe
            .unread_bytes()
            .map(|unread| self.written.saturating_sub(unread));
        let acked = self.acked;
        let unacked = |w: &Written| acked.is_some_and(|a| w.seq > a);
        let read = |w: &Written| probed.is_none_or(|r| w.end <= r);
        if probed.is_none() && acked.is_none() {
            return None;
        }
        while self.lines.front().is_some_and(|w| read(w) && !unacked(w)) {
            self.lines.pop_front();
        }
        self.lines
            .iter()
            .find(|w| !read(w) || unacked(w))
            .map(|w| w.published)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_name_the_oldest_unread_intent() {
        let mut b = Backlog::new(Probe::None);
        b.wrote(100, 1.0, 0);
        b.wrote(300, 2.0, 7);
        b.wrote(100, 3.0, 0);
        b.wrote(300, 4.0, 8);
        assert_eq!(b.oldest_unread(), None, "not known without acks");
        b.acked(7);
        assert_eq!(b.oldest_unread(), Some(4.0));
        b.acked(8);
        assert_eq!(b.oldest_unread(), None);
    }
}
