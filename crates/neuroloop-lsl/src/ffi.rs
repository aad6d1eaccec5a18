//! The subset of liblsl's C API (`lsl_c.h`, liblsl ≥ 1.16) that neuroloop
//! uses, declared by hand and resolved from the loaded library.
//!
//! Handles are opaque pointers. Every function here is `unsafe` to call; the
//! safe types in this crate uphold the contracts (valid handles, buffer
//! sizes, zero-terminated strings, freeing what liblsl allocates).

use std::os::raw::{c_char, c_double, c_float, c_ulong};

use libloading::Library;

use crate::LslError;

/// `lsl_streaminfo`.
pub type InfoPtr = *mut std::ffi::c_void;
/// `lsl_outlet`.
pub type OutletPtr = *mut std::ffi::c_void;
/// `lsl_inlet`.
pub type InletPtr = *mut std::ffi::c_void;
/// `lsl_xml_ptr`.
pub type XmlPtr = *mut std::ffi::c_void;

/// `lsl_error_code_t::lsl_no_error`.
pub const NO_ERROR: i32 = 0;
/// `lsl_timeout_error`.
pub const TIMEOUT_ERROR: i32 = -1;
/// `lsl_lost_error`.
pub const LOST_ERROR: i32 = -2;
/// `lsl_argument_error`.
pub const ARGUMENT_ERROR: i32 = -3;

/// `proc_clocksync`: add the time correction to every timestamp.
pub const PROC_CLOCKSYNC: u32 = 1;
/// `proc_dejitter`: regress timestamps onto a linear fit of the sample
/// index (recursive least squares; regular-rate streams).
pub const PROC_DEJITTER: u32 = 2;
/// `proc_monotonize`: never let a timestamp go backwards.
pub const PROC_MONOTONIZE: u32 = 4;

/// `LSL_IRREGULAR_RATE`.
pub const IRREGULAR_RATE: f64 = 0.0;
/// `LSL_FOREVER`.
pub const FOREVER: f64 = 32_000_000.0;

macro_rules! api {
    ($( $field:ident : fn($($arg:ty),*) $(-> $ret:ty)? ; )*) => {
        /// liblsl's functions, resolved once when the library loads.
        #[allow(clippy::struct_field_names)]
        pub struct Api {
            $( pub(crate) $field: unsafe extern "C" fn($($arg),*) $(-> $ret)?, )*
        }

        impl Api {
            /// Resolves every function from `lib`.
            ///
            /// # Safety
            /// `lib` must be liblsl (the declared signatures must match) and
            /// must stay loaded as long as the returned table is used.
            ///
            /// # Errors
            /// [`LslError`] naming the first function the library lacks.
            pub unsafe fn resolve(lib: &Library) -> Result<Self, LslError> {
                Ok(Self {
                    $( $field: unsafe {
                        *lib.get::<unsafe extern "C" fn($($arg),*) $(-> $ret)?>(
                            concat!("lsl_", stringify!($field), "\0").as_bytes(),
                        )
                        .map_err(|e| LslError::Symbol {
                            name: concat!("lsl_", stringify!($field)),
                            message: e.to_string(),
                        })?
                    }, )*
                })
            }
        }
    };
}

api! {
    library_version: fn() -> i32;
    local_clock: fn() -> c_double;
    set_config_content: fn(*const c_char);
    last_error: fn() -> *const c_char;

    create_streaminfo: fn(*const c_char, *const c_char, i32, c_double, i32, *const c_char) -> InfoPtr;
    destroy_streaminfo: fn(InfoPtr);
    get_name: fn(InfoPtr) -> *const c_char;
    get_type: fn(InfoPtr) -> *const c_char;
    get_source_id: fn(InfoPtr) -> *const c_char;
    get_hostname: fn(InfoPtr) -> *const c_char;
    get_channel_count: fn(InfoPtr) -> i32;
    get_nominal_srate: fn(InfoPtr) -> c_double;
    get_channel_format: fn(InfoPtr) -> i32;
    get_desc: fn(InfoPtr) -> XmlPtr;

    child: fn(XmlPtr, *const c_char) -> XmlPtr;
    next_sibling_n: fn(XmlPtr, *const c_char) -> XmlPtr;
    child_value_n: fn(XmlPtr, *const c_char) -> *const c_char;
    append_child: fn(XmlPtr, *const c_char) -> XmlPtr;
    append_child_value: fn(XmlPtr, *const c_char, *const c_char) -> XmlPtr;
    empty: fn(XmlPtr) -> i32;

    resolve_bypred: fn(*mut InfoPtr, u32, *const c_char, i32, c_double) -> i32;
    resolve_all: fn(*mut InfoPtr, u32, c_double) -> i32;

    create_outlet: fn(InfoPtr, i32, i32) -> OutletPtr;
    destroy_outlet: fn(OutletPtr);
    push_chunk_ftnp: fn(OutletPtr, *const c_float, c_ulong, *const c_double, i32) -> i32;
    push_sample_strtp: fn(OutletPtr, *const *const c_char, c_double, i32) -> i32;
    have_consumers: fn(OutletPtr) -> i32;
    wait_for_consumers: fn(OutletPtr, c_double) -> i32;

    create_inlet: fn(InfoPtr, i32, i32, i32) -> InletPtr;
    destroy_inlet: fn(InletPtr);
    open_stream: fn(InletPtr, c_double, *mut i32);
    get_fullinfo: fn(InletPtr, c_double, *mut i32) -> InfoPtr;
    time_correction: fn(InletPtr, c_double, *mut i32) -> c_double;
    set_postprocessing: fn(InletPtr, u32) -> i32;
    pull_sample_f: fn(InletPtr, *mut c_float, i32, c_double, *mut i32) -> c_double;
    pull_sample_str: fn(InletPtr, *mut *mut c_char, i32, c_double, *mut i32) -> c_double;
    pull_chunk_f: fn(InletPtr, *mut c_float, *mut c_double, c_ulong, c_ulong, c_double, *mut i32) -> c_ulong;
    destroy_string: fn(*mut c_char);
}
