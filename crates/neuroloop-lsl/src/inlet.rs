//! Receiving a stream (`lsl_inlet`).

use std::os::raw::{c_char, c_ulong};

use crate::ffi::{self, InletPtr};
use crate::{Lsl, LslError, StreamInfo};

/// An open inlet; destroyed on drop.
pub struct Inlet {
    lsl: &'static Lsl,
    ptr: InletPtr,
    channels: usize,
}

// SAFETY: an inlet may be used from any one thread at a time (`&mut self`).
unsafe impl Send for Inlet {}

impl Drop for Inlet {
    fn drop(&mut self) {
        // SAFETY: `ptr` is owned by this value and not used after.
        unsafe { (self.lsl.api.destroy_inlet)(self.ptr) }
    }
}

fn check(lsl: &Lsl, ec: i32, what: &'static str) -> Result<(), LslError> {
    match ec {
        ffi::NO_ERROR => Ok(()),
        ffi::TIMEOUT_ERROR => Err(LslError::Timeout(what)),
        ffi::LOST_ERROR => Err(LslError::Lost(what)),
        ffi::ARGUMENT_ERROR => Err(LslError::Argument(format!("{what}: {}", lsl.last_error()))),
        _ => Err(LslError::Internal {
            what,
            message: lsl.last_error(),
        }),
    }
}

impl Inlet {
    /// Connects to the stream `info` describes, buffering up to
    /// `max_buffer_s` seconds (irregular streams: that many hundred samples)
    /// and waiting up to `open_timeout_s` for the connection. The inlet
    /// recovers by itself if the outlet restarts with the same source id.
    ///
    /// # Errors
    /// [`LslError::Timeout`] or [`LslError::Lost`] (retryable) if the
    /// outlet does not answer; [`LslError::Internal`] if liblsl fails.
    pub fn open(
        info: &StreamInfo,
        max_buffer_s: u32,
        open_timeout_s: f64,
    ) -> Result<Self, LslError> {
        let lsl = info.lsl;
        let buflen = i32::try_from(max_buffer_s.max(1)).unwrap_or(i32::MAX);
        // SAFETY: `info.ptr` is valid; the inlet copies it.
        let ptr = unsafe { (lsl.api.create_inlet)(info.ptr, buflen, 0, 1) };
        if ptr.is_null() {
            return Err(LslError::Internal {
                what: "lsl_create_inlet",
                message: lsl.last_error(),
            });
        }
        let inlet = Self {
            lsl,
            ptr,
            channels: info.channel_count(),
        };
        let mut ec = 0;
        // SAFETY: valid inlet and error slot.
        unsafe { (lsl.api.open_stream)(inlet.ptr, open_timeout_s, &raw mut ec) };
        check(lsl, ec, "lsl_open_stream")?;
        Ok(inlet)
    }

    /// The stream's full description, including `desc` (channel labels and
    /// units), which resolved infos lack. Waits up to `timeout_s`.
    ///
    /// # Errors
    /// [`LslError::Timeout`] or [`LslError::Lost`] (both retryable).
    pub fn info(&mut self, timeout_s: f64) -> Result<StreamInfo, LslError> {
        let mut ec = 0;
        // SAFETY: valid inlet and error slot; the returned info is ours.
        let ptr = unsafe { (self.lsl.api.get_fullinfo)(self.ptr, timeout_s, &raw mut ec) };
        check(self.lsl, ec, "lsl_get_fullinfo")?;
        if ptr.is_null() {
            return Err(LslError::Internal {
                what: "lsl_get_fullinfo",
                message: self.lsl.last_error(),
            });
        }
        Ok(StreamInfo { lsl: self.lsl, ptr })
    }

    /// Lets liblsl post-process the timestamps this inlet returns
    /// (`lsl_set_postprocessing`): with `dejitter`, the time correction
    /// is added, timestamps are regressed onto a linear fit of the sample
    /// index (liblsl's recursive least squares) and kept monotonic — the
    /// caller then adds no correction of its own. With `dejitter` false,
    /// timestamps come as sent. Call before the first pull.
    ///
    /// # Errors
    /// [`LslError::Argument`] or [`LslError::Internal`] if liblsl refuses.
    pub fn set_dejitter(&mut self, dejitter: bool) -> Result<(), LslError> {
        let flags = if dejitter {
            ffi::PROC_CLOCKSYNC | ffi::PROC_DEJITTER | ffi::PROC_MONOTONIZE
        } else {
            0
        };
        // SAFETY: valid inlet; the flags are liblsl's own constants.
        let ec = unsafe { (self.lsl.api.set_postprocessing)(self.ptr, flags) };
        check(self.lsl, ec, "lsl_set_postprocessing")
    }

    /// Channels per sample.
    #[must_use]
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Seconds to add to this stream's timestamps to put them on this
    /// machine's `lsl_local_clock`. Blocks up to `timeout_s` for the first
    /// estimate; later calls return liblsl's latest estimate.
    ///
    /// # Errors
    /// [`LslError::Timeout`] or [`LslError::Lost`] (both retryable).
    pub fn time_correction(&mut self, timeout_s: f64) -> Result<f64, LslError> {
        let mut ec = 0;
        // SAFETY: valid inlet and error slot.
        let c = unsafe { (self.lsl.api.time_correction)(self.ptr, timeout_s, &raw mut ec) };
        check(self.lsl, ec, "lsl_time_correction")?;
        Ok(c)
    }

    /// Pulls one sample into `sample` (at least [`Self::channels`] values),
    /// waiting up to `timeout_s`. `Ok(None)` if none came.
    ///
    /// # Errors
    /// [`LslError::Lost`] (retryable) if the outlet is gone for good;
    /// [`LslError::Argument`] if `sample` is too short.
    pub fn pull_sample(
        &mut self,
        sample: &mut [f32],
        timeout_s: f64,
    ) -> Result<Option<f64>, LslError> {
        if sample.len() < self.channels {
            return Err(LslError::Argument(format!(
                "sample buffer of {} for {} channels",
                sample.len(),
                self.channels
            )));
        }
        let mut ec = 0;
        // SAFETY: `sample` holds at least `channels` floats.
        let t = unsafe {
            (self.lsl.api.pull_sample_f)(
                self.ptr,
                sample.as_mut_ptr(),
                self.channels as i32,
                timeout_s,
                &raw mut ec,
            )
        };
        match check(self.lsl, ec, "lsl_pull_sample_f") {
            Err(LslError::Timeout(_)) => Ok(None),
            Err(e) => Err(e),
            Ok(()) if t == 0.0 => Ok(None),
            Ok(()) => Ok(Some(t)),
        }
    }

    /// Pulls up to `times.len()` samples (channel-interleaved into `data`)
    /// waiting up to `timeout_s` (0: take what is there). Returns the number
    /// of samples.
    ///
    /// # Errors
    /// [`LslError::Lost`] (retryable); [`LslError::Argument`] if `data` is
    /// shorter than `times.len() × channels`.
    pub fn pull_chunk(
        &mut self,
        data: &mut [f32],
        times: &mut [f64],
        timeout_s: f64,
    ) -> Result<usize, LslError> {
        let elements = times.len() * self.channels;
        if data.len() < elements {
            return Err(LslError::Argument(format!(
                "chunk buffer of {} values for {} samples × {} channels",
                data.len(),
                times.len(),
                self.channels
            )));
        }
        let mut ec = 0;
        // SAFETY: `data` holds `elements` floats and `times` its length.
        let n = unsafe {
            (self.lsl.api.pull_chunk_f)(
                self.ptr,
                data.as_mut_ptr(),
                times.as_mut_ptr(),
                elements as c_ulong,
                times.len() as c_ulong,
                timeout_s,
                &raw mut ec,
            )
        };
        match check(self.lsl, ec, "lsl_pull_chunk_f") {
            Err(LslError::Timeout(_)) | Ok(()) => {}
            Err(e) => return Err(e),
        }
        // liblsl counts data elements, not samples.
        Ok(n as usize / self.channels.max(1))
    }

    /// Pulls one sample of a single-channel string stream, waiting up to
    /// `timeout_s`, and hands its bytes to `read` (no copy is kept).
    /// `Ok(None)` if none came.
    ///
    /// # Errors
    /// [`LslError::Lost`] (retryable); [`LslError::Argument`] for a
    /// multi-channel stream.
    pub fn pull_string<R>(
        &mut self,
        timeout_s: f64,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Result<Option<(R, f64)>, LslError> {
        if self.channels != 1 {
            return Err(LslError::Argument(format!(
                "string pulls need a 1-channel stream, not {}",
                self.channels
            )));
        }
        let mut value: *mut c_char = std::ptr::null_mut();
        let mut ec = 0;
        // SAFETY: one string slot for one channel; liblsl allocates it.
        let t = unsafe {
            (self.lsl.api.pull_sample_str)(self.ptr, &raw mut value, 1, timeout_s, &raw mut ec)
        };
        let result = check(self.lsl, ec, "lsl_pull_sample_str");
        if value.is_null() || t == 0.0 {
            if !value.is_null() {
                // SAFETY: allocated by liblsl for us.
                unsafe { (self.lsl.api.destroy_string)(value) };
            }
            return match result {
                Ok(()) | Err(LslError::Timeout(_)) => Ok(None),
                Err(e) => Err(e),
            };
        }
        // SAFETY: liblsl wrote a zero-terminated string, freed right after.
        let out = read(unsafe { std::ffi::CStr::from_ptr(value) }.to_bytes());
        unsafe { (self.lsl.api.destroy_string)(value) };
        result.map(|()| Some((out, t)))
    }
}
