//! Sending a stream (`lsl_outlet`).

use std::os::raw::{c_char, c_ulong};
use std::sync::Arc;

use crate::ffi::OutletPtr;
use crate::info::ChannelFormat;
use crate::{Lsl, LslError, StreamInfo};

/// An open outlet, visible to peers until it and every
/// [`ConsumerWatch`] of it are dropped.
pub struct Outlet {
    raw: Arc<RawOutlet>,
    channels: usize,
    format: ChannelFormat,
    text: Vec<u8>,
}

/// The liblsl outlet object, destroyed with its last owner.
struct RawOutlet {
    lsl: &'static Lsl,
    ptr: OutletPtr,
}

// SAFETY: liblsl's outlet functions may be called from several threads at
// once (its send buffer and consumer list are locked inside liblsl); this
// crate only shares the consumer queries (`ConsumerWatch`), while pushing
// stays with the one `Outlet` (`&mut self`).
unsafe impl Send for RawOutlet {}
// SAFETY: as above.
unsafe impl Sync for RawOutlet {}

impl Drop for RawOutlet {
    fn drop(&mut self) {
        // SAFETY: `ptr` is owned by this value and not used after.
        unsafe { (self.lsl.api.destroy_outlet)(self.ptr) }
    }
}

/// Asks, from any thread, whether inlets are connected to an outlet that
/// another thread pushes to. Keeps the outlet open while held.
#[derive(Clone)]
pub struct ConsumerWatch(Arc<RawOutlet>);

impl ConsumerWatch {
    /// Whether an inlet is connected.
    #[must_use]
    pub fn have_consumers(&self) -> bool {
        self.0.have_consumers()
    }

    /// Waits up to `timeout_s` for an inlet to connect (liblsl registers it
    /// on the outlet's side after the inlet's `open_stream` returned); whether
    /// one did.
    #[must_use]
    pub fn wait_for_consumers(&self, timeout_s: f64) -> bool {
        self.0.wait_for_consumers(timeout_s)
    }
}

impl RawOutlet {
    fn have_consumers(&self) -> bool {
        // SAFETY: valid outlet.
        unsafe { (self.lsl.api.have_consumers)(self.ptr) != 0 }
    }

    fn wait_for_consumers(&self, timeout_s: f64) -> bool {
        // SAFETY: valid outlet.
        unsafe { (self.lsl.api.wait_for_consumers)(self.ptr, timeout_s) != 0 }
    }
}

impl Outlet {
    /// Opens an outlet for the stream `info` describes, buffering up to
    /// `max_buffered_s` seconds (irregular streams: that many hundred
    /// samples) for slow consumers.
    ///
    /// # Errors
    /// [`LslError::Internal`] if liblsl cannot open it (retry may help once
    /// ports are free).
    pub fn open(info: &StreamInfo, max_buffered_s: u32) -> Result<Self, LslError> {
        let lsl = info.lsl;
        let buffered = i32::try_from(max_buffered_s.max(1)).unwrap_or(i32::MAX);
        // SAFETY: `info.ptr` is valid; the outlet copies it.
        let ptr = unsafe { (lsl.api.create_outlet)(info.ptr, 0, buffered) };
        if ptr.is_null() {
            return Err(LslError::Internal {
                what: "lsl_create_outlet",
                message: lsl.last_error(),
            });
        }
        Ok(Self {
            raw: Arc::new(RawOutlet { lsl, ptr }),
            channels: info.channel_count(),
            format: info.format(),
            text: Vec::with_capacity(512),
        })
    }

    fn pushed(&self, ec: i32, what: &'static str) -> Result<(), LslError> {
        if ec == 0 {
            Ok(())
        } else {
            Err(LslError::Internal {
                what,
                message: self.raw.lsl.last_error(),
            })
        }
    }

    /// Pushes channel-interleaved numeric samples, one timestamp each
    /// (`lsl_local_clock` domain), and sends them at once.
    ///
    /// # Errors
    /// [`LslError::Argument`] if the lengths disagree or the stream holds
    /// strings; [`LslError::Internal`] if liblsl fails.
    pub fn push_chunk(&mut self, data: &[f32], times: &[f64]) -> Result<(), LslError> {
        if !self.format.is_numeric() || data.len() != times.len() * self.channels {
            return Err(LslError::Argument(format!(
                "{} values and {} timestamps for {} {:?} channels",
                data.len(),
                times.len(),
                self.channels,
                self.format
            )));
        }
        if times.is_empty() {
            return Ok(());
        }
        // SAFETY: `data` has `times.len() × channels` values.
        let ec = unsafe {
            (self.raw.lsl.api.push_chunk_ftnp)(
                self.raw.ptr,
                data.as_ptr(),
                data.len() as c_ulong,
                times.as_ptr(),
                1,
            )
        };
        self.pushed(ec, "lsl_push_chunk_ftnp")
    }

    /// Pushes one sample of a single-channel string stream with timestamp
    /// `time` and sends it at once. Reuses an internal buffer.
    ///
    /// # Errors
    /// [`LslError::Argument`] for a NUL byte or a stream that is not one
    /// string channel; [`LslError::Internal`] if liblsl fails.
    pub fn push_str(&mut self, value: &str, time: f64) -> Result<(), LslError> {
        if self.format != ChannelFormat::String || self.channels != 1 || value.contains('\0') {
            return Err(LslError::Argument(format!(
                "cannot push {value:?} to {} {:?} channels",
                self.channels, self.format
            )));
        }
        self.text.clear();
        self.text.extend_from_slice(value.as_bytes());
        self.text.push(0);
        let one: [*const c_char; 1] = [self.text.as_ptr().cast()];
        // SAFETY: one zero-terminated string for one channel; liblsl copies.
        let ec =
            unsafe { (self.raw.lsl.api.push_sample_strtp)(self.raw.ptr, one.as_ptr(), time, 1) };
        self.pushed(ec, "lsl_push_sample_strtp")
    }

    /// Whether an inlet is connected.
    #[must_use]
    pub fn have_consumers(&self) -> bool {
        self.raw.have_consumers()
    }

    /// Waits up to `timeout_s` for an inlet to connect; whether one did.
    #[must_use]
    pub fn wait_for_consumers(&self, timeout_s: f64) -> bool {
        self.raw.wait_for_consumers(timeout_s)
    }

    /// A handle that answers [`Self::have_consumers`] and
    /// [`Self::wait_for_consumers`] from another thread; the outlet stays
    /// open until it and every watch are dropped.
    #[must_use]
    pub fn consumer_watch(&self) -> ConsumerWatch {
        ConsumerWatch(Arc::clone(&self.raw))
    }
}
