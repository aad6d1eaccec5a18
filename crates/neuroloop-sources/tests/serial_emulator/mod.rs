//! An OpenBCI Cyton (with or without Daisy) emulated on a pseudo-terminal
//! in this process: it answers the command set (`v` banner, `c`, `x…X`,
//! `b`, `s`) and streams packets paced by the clock (a pty ignores the
//! baud rate). The port is a symlink to the pty's device, so a "replugged"
//! board (a new pty) keeps its path. Packets can be dropped, junk can be
//! written between them, and the pty can be closed and opened again.
//! Every tenth packet carries an accelerometer reading, as the board's
//! does; the counts are full-range (every bit of the 24 exercised) or an
//! in-range signal whose class follows a schedule of trials ([`Signal`]).
#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod signal;
pub use signal::Signal;

/// The counts of packet `k`, channel `c`, over the whole 24-bit range.
pub fn count(k: u64, c: usize) -> i32 {
    let v = (k * 104_729 + c as u64 * 1_299_709) % (1 << 24);
    v as i32 - (1 << 23)
}

/// Packets between two accelerometer readings (the board's 25 Hz).
pub const ACCELEROMETER_EVERY: u64 = 10;

/// The accelerometer counts packet `k` carries: a reading on every tenth
/// packet (`k % 10 == 8`, an even packet: a Daisy half on a Daisy board),
/// zeros on the others.
pub fn accelerometer(k: u64) -> Option<[i16; 3]> {
    if k % ACCELEROMETER_EVERY != 8 {
        return None;
    }
    let r = (k / ACCELEROMETER_EVERY) as i64;
    Some([
        (r * 97 % 4001 - 2000) as i16,
        (r * 53 % 4001 - 2000) as i16,
        (8000 - r % 100) as i16,
    ])
}

/// A footer that is not `0xC0` (raw aux), with non-zero aux bytes the
/// source must ignore.
pub const RAW_AUX_FOOTER: u8 = 0xC1;

/// The 33 bytes of packet `k` with the counts `counts(k, c)`, the
/// accelerometer reading of [`accelerometer`] and footer `0xC0`, or
/// `footer` with six non-zero raw aux bytes.
pub fn packet_of(k: u64, counts: impl Fn(u64, usize) -> i32, footer: Option<u8>) -> [u8; 33] {
    let mut b = [0u8; 33];
    b[0] = 0xA0;
    b[1] = (k % 256) as u8;
    for c in 0..8 {
        let v = counts(k, c).to_be_bytes();
        b[2 + 3 * c..5 + 3 * c].copy_from_slice(&v[1..]);
    }
    if let Some(footer) = footer {
        b[26..32].copy_from_slice(&[0x12, 0x34, 0x56, 0x78, 0x9A, (k % 256) as u8 | 1]);
        b[32] = footer;
    } else {
        if let Some(axes) = accelerometer(k) {
            for (a, axis) in axes.iter().enumerate() {
                b[26 + 2 * a..28 + 2 * a].copy_from_slice(&axis.to_be_bytes());
            }
        }
        b[32] = 0xC0;
    }
    b
}

/// The 33 bytes of packet `k`: full-range counts, an accelerometer
/// reading on every tenth.
pub fn packet(k: u64) -> [u8; 33] {
    packet_of(k, count, None)
}

/// Packets whose write time is kept.
pub const WRITE_TIMES: usize = 8192;

/// What the emulated board does.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// A Daisy is attached (the banner says so).
    pub daisy: bool,
    /// Packets per second.
    pub rate_hz: f64,
    /// Packet indices never sent.
    pub drop: Vec<u64>,
    /// Junk after every packet whose index is a multiple of this.
    pub junk_every: Option<u64>,
    /// Close the pty after this many packets, and open a new one after
    /// `replug_s`.
    pub unplug_after: Option<u64>,
    /// Seconds unplugged.
    pub replug_s: f64,
    /// Answer nothing at all.
    pub mute: bool,
    /// Send [`Signal`]'s counts instead of the full-range ones.
    pub signal: Option<Signal>,
    /// Every packet whose index is a multiple of this has footer
    /// [`RAW_AUX_FOOTER`] (and no accelerometer reading).
    pub raw_aux_every: Option<u64>,
}

impl Script {
    /// The 33 bytes this board sends as packet `k`.
    pub fn packet(&self, k: u64) -> [u8; 33] {
        let footer = self
            .raw_aux_every
            .filter(|&every| k.is_multiple_of(every))
            .map(|_| RAW_AUX_FOOTER);
        match self.signal {
            Some(signal) => packet_of(k, |k, c| signal.count(k, c), footer),
            None => packet_of(k, count, footer),
        }
    }
}

/// A running emulator.
pub struct Emulator {
    pub link: PathBuf,
    stop: Arc<AtomicBool>,
    pub sent: Arc<AtomicU64>,
    /// `s` (stop) commands received.
    pub stops: Arc<AtomicU64>,
    /// When each of the first [`WRITE_TIMES`] packets was written (just
    /// before the write)
    /// ([`neuroloop_core::clock::now`] as `f64` bits).
    pub write_times: Arc<Vec<AtomicU64>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.link);
    }
}

/// A raw pty: `(master, slave, device path)`.
fn open_pty() -> (File, OwnedFd, PathBuf) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two fds; null name/termios/winsize are allowed.
    let rc = unsafe {
        libc::openpty(
            &raw mut master,
            &raw mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: fresh fds owned here; termios is plain data filled by tcgetattr.
    let path = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        libc::tcgetattr(slave, &raw mut t);
        libc::cfmakeraw(&raw mut t);
        libc::tcsetattr(slave, libc::TCSANOW, &raw const t);
        let flags = libc::fcntl(master, libc::F_GETFL);
        libc::fcntl(master, libc::F_SETFL, flags | libc::O_NONBLOCK);
        // ptsname_r: tests open ptys on several threads at once, and
        // ptsname's static buffer would hand one its neighbour's name.
        let mut name = [0 as libc::c_char; 128];
        let rc = libc::ptsname_r(master, name.as_mut_ptr(), name.len());
        assert_eq!(
            rc,
            0,
            "ptsname_r: {}",
            std::io::Error::from_raw_os_error(rc)
        );
        PathBuf::from(std::ffi::CStr::from_ptr(name.as_ptr()).to_str().unwrap())
    };
    // SAFETY: each fd is owned by exactly one of these.
    unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave), path) }
}

fn point(link: &Path, target: &Path) {
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link).unwrap();
}

impl Emulator {
    /// Starts the board at the symlink `link`.
    pub fn start(link: &Path, script: Script) -> Self {
        let (master, slave, device) = open_pty();
        point(link, &device);
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let write_times: Arc<Vec<AtomicU64>> =
            Arc::new((0..WRITE_TIMES).map(|_| AtomicU64::new(0)).collect());
        let (s, l) = (Arc::clone(&stop), link.to_path_buf());
        let stops = Arc::new(AtomicU64::new(0));
        let counters = (
            Arc::clone(&sent),
            Arc::clone(&write_times),
            Arc::clone(&stops),
        );
        let thread = std::thread::spawn(move || run(master, slave, &l, &script, &s, &counters));
        Self {
            link: link.to_path_buf(),
            stop,
            sent,
            stops,
            write_times,
            thread: Some(thread),
        }
    }
}

/// Writes all of `bytes` to the non-blocking master, waiting while the
/// pty is full (a reader held up by a loaded machine), so that the board
/// loses nothing the test did not script. It stops waiting (the rest is
/// not sent) when the host has written something (a command such as `s`,
/// which the caller's loop reads), when the emulator stops, or when the
/// slave side is gone.
fn write_patiently(master: &mut File, stop: &AtomicBool, mut bytes: &[u8]) {
    use std::os::fd::AsRawFd;
    while !bytes.is_empty() && !stop.load(Ordering::Relaxed) {
        match master.write(bytes) {
            Ok(0) => return,
            Ok(n) => bytes = &bytes[n..],
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
                ) =>
            {
                let mut fd = libc::pollfd {
                    fd: master.as_raw_fd(),
                    events: libc::POLLIN | libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one valid pollfd for the duration of the call.
                unsafe { libc::poll(&raw mut fd, 1, 1) };
                if fd.revents & libc::POLLIN != 0 {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

fn banner(daisy: bool) -> Vec<u8> {
    let mut b = b"OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\n".to_vec();
    if daisy {
        b.extend_from_slice(b"On Daisy ADS1299 Device ID: 0x3E\n");
    }
    b.extend_from_slice(b"LIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$");
    b
}

/// Packets sent, their write times, `s` commands received.
type Counters = (Arc<AtomicU64>, Arc<Vec<AtomicU64>>, Arc<AtomicU64>);

fn run(
    mut master: File,
    mut slave: OwnedFd,
    link: &Path,
    script: &Script,
    stop: &AtomicBool,
    (sent, write_times, stops): &Counters,
) {
    let mut daisy = script.daisy;
    let (mut streaming, mut k, mut t0) = (false, 0u64, Instant::now());
    let mut command = Vec::new();
    let mut junk = 0x2545_F491_u32;
    let mut total = 0u64;
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::Relaxed) {
        if let Ok(n) = master.read(&mut buf) {
            for &c in &buf[..n] {
                if script.mute {
                    continue;
                }
                if !command.is_empty() {
                    command.push(c);
                    if c == b'X' {
                        write_patiently(
                            &mut master,
                            stop,
                            format!("Success: Channel set for {}$$$", command[1] as char)
                                .as_bytes(),
                        );
                        command.clear();
                    }
                    continue;
                }
                match c {
                    b'v' => {
                        streaming = false;
                        write_patiently(&mut master, stop, &banner(daisy));
                    }
                    b'c' => {
                        daisy = false;
                        write_patiently(&mut master, stop, b"daisy removed$$$");
                    }
                    b'x' => command.push(c),
                    b'b' => (streaming, k, t0) = (true, 0, Instant::now()),
                    b's' => {
                        streaming = false;
                        stops.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        }
        while streaming && t0.elapsed().as_secs_f64() * script.rate_hz >= k as f64 {
            if !script.drop.contains(&total) {
                // Stamped just before the write: a reader can have the
                // packet before the write call returns.
                if let Some(t) = write_times.get(total as usize) {
                    t.store(neuroloop_core::clock::now().to_bits(), Ordering::Release);
                }
                write_patiently(&mut master, stop, &script.packet(k));
                sent.fetch_add(1, Ordering::Relaxed);
            }
            if script.junk_every.is_some_and(|e| total % e == e - 1) {
                let mut bytes = [0u8; 40];
                for b in &mut bytes {
                    junk ^= junk << 13;
                    junk ^= junk >> 17;
                    junk ^= junk << 5;
                    *b = junk as u8;
                }
                let mut fake = packet(k + 100);
                fake[1] = fake[1].wrapping_add(3);
                write_patiently(&mut master, stop, &bytes);
                write_patiently(&mut master, stop, &fake);
            }
            k += 1;
            total += 1;
            if script.unplug_after == Some(total) {
                // Unplugged once the last packet was read: closing the
                // master discards what the slave has not read yet. The
                // device path goes first, as a USB device node does: a
                // reconnect cannot open the freed pty number, which another
                // emulator may be given meanwhile.
                std::thread::sleep(Duration::from_millis(50));
                let _ = std::fs::remove_file(link);
                drop(master);
                drop(slave);
                std::thread::sleep(Duration::from_secs_f64(script.replug_s));
                let (m, s, device) = open_pty();
                (master, slave) = (m, s);
                point(link, &device);
                (streaming, daisy) = (false, script.daisy);
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}
