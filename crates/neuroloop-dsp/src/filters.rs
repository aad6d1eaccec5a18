//! The IIR filter stages: `bandpass`, `bandstop`, `highpass`, `lowpass`
//! (Butterworth) and `notch` (scipy `iirnotch`, optional harmonics).
//!
//! TOML shapes (as parsed by [`crate::StageRegistry::builtin`]):
//!
//! ```toml
//! { type = "bandpass", low_hz = 8.0, high_hz = 30.0, order = 4 }
//! { type = "bandstop", low_hz = 48.0, high_hz = 52.0, order = 2 }
//! { type = "highpass", cutoff_hz = 1.0, order = 2 }
//! { type = "lowpass", cutoff_hz = 40.0, order = 4 }
//! { type = "notch", freq_hz = 50.0, q = 30.0, harmonics = 1 }  # harmonics optional, default 1
//! ```
//!
//! All of them run a [`SosFilter`] over every channel; see its docs for the
//! precision and the handling of NaN/Inf.

use neuroloop_core::{BlockMut, ConfigError, Error, ErrorKind, Stage, StageConfig, StreamSpec};
use serde::{Deserialize, Serialize};

use crate::design::{Band, MAX_ORDER, Section, butter, notch_harmonics};
use crate::registry::{StageRegistry, parse_table};
use crate::sosfilt::SosFilter;

/// Butterworth band-pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandpassConfig {
    /// Lower cutoff (-3 dB), Hz.
    pub low_hz: f64,
    /// Upper cutoff (-3 dB), Hz.
    pub high_hz: f64,
    /// scipy's `N` (the filter has `2·N` poles).
    pub order: u32,
}

/// Butterworth band-stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandstopConfig {
    /// Lower edge (-3 dB), Hz.
    pub low_hz: f64,
    /// Upper edge (-3 dB), Hz.
    pub high_hz: f64,
    /// scipy's `N` (the filter has `2·N` poles).
    pub order: u32,
}

/// Butterworth high-pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HighpassConfig {
    /// Cutoff (-3 dB), Hz.
    pub cutoff_hz: f64,
    /// Filter order.
    pub order: u32,
}

/// Butterworth low-pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LowpassConfig {
    /// Cutoff (-3 dB), Hz.
    pub cutoff_hz: f64,
    /// Filter order.
    pub order: u32,
}

/// Second-order notch(es) at the mains frequency and its multiples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotchConfig {
    /// Fundamental frequency, Hz (50 or 60 for mains).
    pub freq_hz: f64,
    /// Quality factor: `freq_hz / q` is the -3 dB bandwidth.
    pub q: f64,
    /// Multiples to notch, the fundamental included (`2` = 50 and 100 Hz);
    /// multiples at or above Nyquist are skipped.
    #[serde(default = "one")]
    pub harmonics: u32,
}

fn one() -> u32 {
    1
}

/// Collects preflight problems at `path`.
struct Checker<'a> {
    path: &'a str,
    errors: Vec<ConfigError>,
}

impl Checker<'_> {
    fn err(&mut self, field: &str, message: String) {
        let path = if field.is_empty() {
            self.path.to_owned()
        } else {
            format!("{}.{field}", self.path)
        };
        self.errors.push(ConfigError::new(path, message));
    }

    /// The sample rate, or an error when the stream is irregular.
    fn rate(&mut self, input: &StreamSpec) -> Option<f64> {
        let fs = input.sample_rate;
        if fs.is_finite() && fs > 0.0 {
            Some(fs)
        } else {
            self.err(
                "",
                format!("needs a regularly sampled stream (sample_rate is {fs})"),
            );
            None
        }
    }

    /// A frequency strictly between 0 and Nyquist.
    fn freq(&mut self, field: &str, v: f64, fs: Option<f64>) -> bool {
        if !v.is_finite() {
            self.err(field, format!("{v} is not a finite number"));
            return false;
        }
        if v <= 0.0 {
            self.err(field, format!("{v} must be above 0 Hz"));
            return false;
        }
        if let Some(fs) = fs {
            let nyq = fs / 2.0;
            if v > nyq {
                self.err(field, format!("{v} is above Nyquist ({nyq} Hz)"));
                return false;
            }
            if v == nyq {
                self.err(
                    field,
                    format!("{v} equals Nyquist ({nyq} Hz); it must be below"),
                );
                return false;
            }
        }
        true
    }

    fn order(&mut self, order: u32) {
        if order == 0 || order as usize > MAX_ORDER {
            self.err("order", format!("{order} is outside 1..={MAX_ORDER}"));
        }
    }

    fn band(&mut self, low: f64, high: f64, order: u32, fs: Option<f64>) {
        let lo_ok = self.freq("low_hz", low, fs);
        let hi_ok = self.freq("high_hz", high, fs);
        if lo_ok && hi_ok && low >= high {
            self.err("low_hz", format!("{low} must be below high_hz ({high})"));
        }
        self.order(order);
    }

    fn finish(self, input: &StreamSpec) -> Result<StreamSpec, Vec<ConfigError>> {
        if self.errors.is_empty() {
            Ok(input.clone())
        } else {
            Err(self.errors)
        }
    }
}

trait SosDesign: std::fmt::Debug + Send + Sync + serde::de::DeserializeOwned {
    const KIND: &'static str;
    const FIELDS: &'static [&'static str];
    fn check(&self, c: &mut Checker<'_>, fs: Option<f64>);
    fn design(&self, fs: f64) -> Result<Vec<Section>, Error>;
}

impl SosDesign for BandpassConfig {
    const KIND: &'static str = "bandpass";
    const FIELDS: &'static [&'static str] = &["low_hz", "high_hz", "order"];
    fn check(&self, c: &mut Checker<'_>, fs: Option<f64>) {
        c.band(self.low_hz, self.high_hz, self.order, fs);
    }
    fn design(&self, fs: f64) -> Result<Vec<Section>, Error> {
        butter(
            self.order as usize,
            Band::Bandpass(self.low_hz, self.high_hz),
            fs,
        )
    }
}

impl SosDesign for BandstopConfig {
    const KIND: &'static str = "bandstop";
    const FIELDS: &'static [&'static str] = &["low_hz", "high_hz", "order"];
    fn check(&self, c: &mut Checker<'_>, fs: Option<f64>) {
        c.band(self.low_hz, self.high_hz, self.order, fs);
    }
    fn design(&self, fs: f64) -> Result<Vec<Section>, Error> {
        butter(
            self.order as usize,
            Band::Bandstop(self.low_hz, self.high_hz),
            fs,
        )
    }
}

impl SosDesign for HighpassConfig {
    const KIND: &'static str = "highpass";
    const FIELDS: &'static [&'static str] = &["cutoff_hz", "order"];
    fn check(&self, c: &mut Checker<'_>, fs: Option<f64>) {
        c.freq("cutoff_hz", self.cutoff_hz, fs);
        c.order(self.order);
    }
    fn design(&self, fs: f64) -> Result<Vec<Section>, Error> {
        butter(self.order as usize, Band::Highpass(self.cutoff_hz), fs)
    }
}

impl SosDesign for LowpassConfig {
    const KIND: &'static str = "lowpass";
    const FIELDS: &'static [&'static str] = &["cutoff_hz", "order"];
    fn check(&self, c: &mut Checker<'_>, fs: Option<f64>) {
        c.freq("cutoff_hz", self.cutoff_hz, fs);
        c.order(self.order);
    }
    fn design(&self, fs: f64) -> Result<Vec<Section>, Error> {
        butter(self.order as usize, Band::Lowpass(self.cutoff_hz), fs)
    }
}

impl SosDesign for NotchConfig {
    const KIND: &'static str = "notch";
    const FIELDS: &'static [&'static str] = &["freq_hz", "q", "harmonics"];
    fn check(&self, c: &mut Checker<'_>, fs: Option<f64>) {
        c.freq("freq_hz", self.freq_hz, fs);
        if !(self.q.is_finite() && self.q > 0.0) {
            c.err("q", format!("{} must be a finite number above 0", self.q));
        }
        if self.harmonics == 0 {
            c.err("harmonics", "0 must be at least 1 (the fundamental)".into());
        }
    }
    fn design(&self, fs: f64) -> Result<Vec<Section>, Error> {
        notch_harmonics(self.freq_hz, self.q, self.harmonics as usize, fs)
    }
}

macro_rules! sos_stage_config {
    ($($t:ty),*) => {$(
        impl StageConfig for $t {
            fn kind(&self) -> &'static str {
                <$t as SosDesign>::KIND
            }

            fn preflight(&self, input: &StreamSpec, path: &str) -> Result<StreamSpec, Vec<ConfigError>> {
                let mut c = Checker { path, errors: Vec::new() };
                let fs = c.rate(input);
                self.check(&mut c, fs);
                c.finish(input)
            }

            fn initialize(&self, input: &StreamSpec, _max_block: usize) -> Result<Box<dyn Stage>, Error> {
                if let Err(errors) = self.preflight(input, <$t as SosDesign>::KIND) {
                    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    return Err(Error::new(ErrorKind::Config, text.join("; ")));
                }
                let sections = self.design(input.sample_rate)?;
                Ok(Box::new(SosStage::new(&sections, input.channel_count())))
            }
        }
    )*};
}

sos_stage_config!(
    BandpassConfig,
    BandstopConfig,
    HighpassConfig,
    LowpassConfig,
    NotchConfig
);

fn register<T: SosDesign + StageConfig + 'static>(r: &mut StageRegistry) {
    r.register(T::KIND, |table, path| {
        parse_table::<T>(table, path, T::FIELDS).map(|c| Box::new(c) as Box<dyn StageConfig>)
    });
}

pub(crate) fn register_builtin(r: &mut StageRegistry) {
    register::<BandpassConfig>(r);
    register::<BandstopConfig>(r);
    register::<HighpassConfig>(r);
    register::<LowpassConfig>(r);
    register::<NotchConfig>(r);
}

/// A [`Stage`] that runs a [`SosFilter`] over every channel.
#[derive(Debug, Clone)]
pub struct SosStage {
    filter: SosFilter,
}

impl SosStage {
    /// A stage filtering `channels` channels with `sections`.
    #[must_use]
    pub fn new(sections: &[Section], channels: usize) -> Self {
        Self {
            filter: SosFilter::new(sections, channels),
        }
    }

    /// The underlying filter (e.g. for its non-finite count).
    #[must_use]
    pub fn filter(&self) -> &SosFilter {
        &self.filter
    }
}

impl Stage for SosStage {
    fn process(&mut self, block: &mut BlockMut<'_>) {
        self.filter.process(block.data);
    }

    fn reset(&mut self) {
        self.filter.reset();
    }
}
