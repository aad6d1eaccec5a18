//! Stream descriptions (`lsl_streaminfo`) and discovery.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;

use crate::ffi::{self, InfoPtr};
use crate::{Lsl, LslError};

/// The value type of a stream's channels (`lsl_channel_format_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelFormat {
    /// 32-bit float.
    Float32,
    /// 64-bit float.
    Double64,
    /// Strings (marker streams).
    String,
    /// 32-bit integer.
    Int32,
    /// 16-bit integer.
    Int16,
    /// 8-bit integer.
    Int8,
    /// 64-bit integer.
    Int64,
    /// Unknown.
    Undefined,
}

impl ChannelFormat {
    fn from_raw(raw: i32) -> Self {
        match raw {
            1 => Self::Float32,
            2 => Self::Double64,
            3 => Self::String,
            4 => Self::Int32,
            5 => Self::Int16,
            6 => Self::Int8,
            7 => Self::Int64,
            _ => Self::Undefined,
        }
    }

    fn to_raw(self) -> i32 {
        match self {
            Self::Float32 => 1,
            Self::Double64 => 2,
            Self::String => 3,
            Self::Int32 => 4,
            Self::Int16 => 5,
            Self::Int8 => 6,
            Self::Int64 => 7,
            Self::Undefined => 0,
        }
    }

    /// Whether samples are numbers (readable as `f32`).
    #[must_use]
    pub fn is_numeric(self) -> bool {
        !matches!(self, Self::String | Self::Undefined)
    }
}

/// One channel as described in a stream's `desc/channels/channel` entries
/// (the XDF metadata convention); empty strings where absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelDesc {
    /// `label`.
    pub label: String,
    /// `unit`.
    pub unit: String,
    /// `type`.
    pub kind: String,
}

/// An owned stream description; destroyed on drop.
pub struct StreamInfo {
    pub(crate) lsl: &'static Lsl,
    pub(crate) ptr: InfoPtr,
}

// SAFETY: liblsl stream infos are plain heap objects, not tied to a thread.
unsafe impl Send for StreamInfo {}

impl Drop for StreamInfo {
    fn drop(&mut self) {
        // SAFETY: `ptr` is owned by this value and not used after.
        unsafe { (self.lsl.api.destroy_streaminfo)(self.ptr) }
    }
}

impl std::fmt::Debug for StreamInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamInfo")
            .field("name", &self.name())
            .field("type", &self.kind())
            .field("channels", &self.channel_count())
            .field("rate", &self.nominal_rate())
            .field("source_id", &self.source_id())
            .finish()
    }
}

/// Copies a C string liblsl owns (null → empty).
///
/// # Safety
/// `ptr` is null or points to a zero-terminated string.
pub(crate) unsafe fn text(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: see the function's contract.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

pub(crate) fn cstring(value: &str) -> Result<CString, LslError> {
    CString::new(value).map_err(|_| LslError::Argument(format!("{value:?} contains a NUL byte")))
}

impl StreamInfo {
    /// Describes a new stream (for an outlet). `rate` 0 means irregular.
    ///
    /// # Errors
    /// [`LslError::Argument`] for NUL bytes in a name or a rejected
    /// description.
    pub fn new(
        lsl: &'static Lsl,
        name: &str,
        kind: &str,
        channels: usize,
        rate: f64,
        format: ChannelFormat,
        source_id: &str,
    ) -> Result<Self, LslError> {
        let (n, k, s) = (cstring(name)?, cstring(kind)?, cstring(source_id)?);
        let count = i32::try_from(channels)
            .map_err(|_| LslError::Argument(format!("{channels} channels")))?;
        // SAFETY: zero-terminated strings that outlive the call.
        let ptr = unsafe {
            (lsl.api.create_streaminfo)(
                n.as_ptr(),
                k.as_ptr(),
                count,
                rate,
                format.to_raw(),
                s.as_ptr(),
            )
        };
        if ptr.is_null() {
            return Err(LslError::Argument(format!(
                "stream {name:?} rejected: {}",
                lsl.last_error()
            )));
        }
        Ok(Self { lsl, ptr })
    }

    /// Adds `desc/channels/channel` entries with label, unit and type.
    ///
    /// # Errors
    /// [`LslError::Argument`] for NUL bytes.
    pub fn set_channels(&mut self, channels: &[ChannelDesc]) -> Result<(), LslError> {
        let api = &self.lsl.api;
        let (tag_channels, tag_channel) = (cstring("channels")?, cstring("channel")?);
        let keys = [cstring("label")?, cstring("unit")?, cstring("type")?];
        // SAFETY: `ptr` is valid; every string outlives its call; xml
        // handles returned by liblsl stay valid while the info lives.
        unsafe {
            let parent = (api.append_child)((api.get_desc)(self.ptr), tag_channels.as_ptr());
            for ch in channels {
                let node = (api.append_child)(parent, tag_channel.as_ptr());
                for (key, value) in keys.iter().zip([&ch.label, &ch.unit, &ch.kind]) {
                    let value = cstring(value)?;
                    (api.append_child_value)(node, key.as_ptr(), value.as_ptr());
                }
            }
        }
        Ok(())
    }

    fn string(&self, get: unsafe extern "C" fn(InfoPtr) -> *const c_char) -> String {
        // SAFETY: `ptr` is valid; the result is owned by the info.
        unsafe { text(get(self.ptr)) }
    }

    /// The stream's name.
    #[must_use]
    pub fn name(&self) -> String {
        self.string(self.lsl.api.get_name)
    }

    /// The content type (`EEG`, `Markers`, ...).
    #[must_use]
    pub fn kind(&self) -> String {
        self.string(self.lsl.api.get_type)
    }

    /// The source identifier (stable across restarts of the same device).
    #[must_use]
    pub fn source_id(&self) -> String {
        self.string(self.lsl.api.get_source_id)
    }

    /// The host the outlet runs on.
    #[must_use]
    pub fn hostname(&self) -> String {
        self.string(self.lsl.api.get_hostname)
    }

    /// Number of channels.
    #[must_use]
    pub fn channel_count(&self) -> usize {
        // SAFETY: `ptr` is valid.
        usize::try_from(unsafe { (self.lsl.api.get_channel_count)(self.ptr) }).unwrap_or(0)
    }

    /// Nominal rate in Hz; 0 for irregular streams.
    #[must_use]
    pub fn nominal_rate(&self) -> f64 {
        // SAFETY: `ptr` is valid.
        unsafe { (self.lsl.api.get_nominal_srate)(self.ptr) }
    }

    /// The channel value type.
    #[must_use]
    pub fn format(&self) -> ChannelFormat {
        // SAFETY: `ptr` is valid.
        ChannelFormat::from_raw(unsafe { (self.lsl.api.get_channel_format)(self.ptr) })
    }

    /// The channels listed in the description (`desc/channels/channel`),
    /// in order; empty if the stream describes none.
    #[must_use]
    pub fn channels(&self) -> Vec<ChannelDesc> {
        let api = &self.lsl.api;
        let mut out = Vec::new();
        let tags = [c"channels", c"channel", c"label", c"unit", c"type"];
        // SAFETY: `ptr` is valid; xml handles live as long as the info;
        // liblsl returns an empty node (never null) where one is missing.
        unsafe {
            let channels = (api.child)((api.get_desc)(self.ptr), tags[0].as_ptr());
            let mut node = (api.child)(channels, tags[1].as_ptr());
            while (api.empty)(node) == 0 {
                out.push(ChannelDesc {
                    label: text((api.child_value_n)(node, tags[2].as_ptr())),
                    unit: text((api.child_value_n)(node, tags[3].as_ptr())),
                    kind: text((api.child_value_n)(node, tags[4].as_ptr())),
                });
                node = (api.next_sibling_n)(node, tags[1].as_ptr());
            }
        }
        out
    }
}

/// Most streams one resolve call returns.
const MAX_RESOLVED: usize = 256;

impl Lsl {
    /// Streams matching an XPath `predicate` over the stream info (e.g.
    /// `name='EEG' and type='EEG'`), waiting up to `timeout_s` for at least
    /// one.
    ///
    /// # Errors
    /// [`LslError::NotResolved`] (retryable) if none appeared,
    /// [`LslError::Argument`] for a malformed predicate.
    pub fn resolve(
        &'static self,
        predicate: &str,
        timeout_s: f64,
    ) -> Result<Vec<StreamInfo>, LslError> {
        let pred = cstring(predicate)?;
        let mut buffer: Vec<InfoPtr> = vec![std::ptr::null_mut(); MAX_RESOLVED];
        // SAFETY: `buffer` holds MAX_RESOLVED slots; `pred` outlives the call.
        let n = unsafe {
            (self.api.resolve_bypred)(
                buffer.as_mut_ptr(),
                MAX_RESOLVED as u32,
                pred.as_ptr(),
                1,
                timeout_s,
            )
        };
        self.collect(n, &buffer, "lsl_resolve_bypred")
            .and_then(|found| {
                if found.is_empty() {
                    Err(LslError::NotResolved {
                        query: predicate.to_string(),
                        timeout_s,
                    })
                } else {
                    Ok(found)
                }
            })
    }

    /// Every stream visible within `wait_s` seconds.
    ///
    /// # Errors
    /// [`LslError::Internal`] if liblsl fails.
    pub fn resolve_all(&'static self, wait_s: f64) -> Result<Vec<StreamInfo>, LslError> {
        let mut buffer: Vec<InfoPtr> = vec![std::ptr::null_mut(); MAX_RESOLVED];
        // SAFETY: `buffer` holds MAX_RESOLVED slots.
        let n = unsafe { (self.api.resolve_all)(buffer.as_mut_ptr(), MAX_RESOLVED as u32, wait_s) };
        self.collect(n, &buffer, "lsl_resolve_all")
    }

    fn collect(
        &'static self,
        n: i32,
        buffer: &[InfoPtr],
        what: &'static str,
    ) -> Result<Vec<StreamInfo>, LslError> {
        if n < 0 {
            return Err(match n {
                ffi::ARGUMENT_ERROR => LslError::Argument(self.last_error()),
                _ => LslError::Internal {
                    what,
                    message: self.last_error(),
                },
            });
        }
        // Each returned info is owned by the caller: wrap it to destroy it.
        Ok(buffer[..n as usize]
            .iter()
            .map(|&ptr| StreamInfo { lsl: self, ptr })
            .collect())
    }
}

/// Quotes `value` for an XPath predicate.
///
/// # Errors
/// [`LslError::Argument`] if it contains both quote characters.
pub fn xpath_literal(value: &str) -> Result<String, LslError> {
    if !value.contains('\'') {
        Ok(format!("'{value}'"))
    } else if !value.contains('"') {
        Ok(format!("\"{value}\""))
    } else {
        Err(LslError::Argument(format!(
            "{value:?} contains both quote characters"
        )))
    }
}
