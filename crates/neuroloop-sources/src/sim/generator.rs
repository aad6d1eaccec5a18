//! The simulated EEG signal.
//!
//! Each channel is a mixture of shared cortical rhythms weighted by the
//! electrode's position (parsed from its 10-20 label) plus its own noise:
//!
//! * 1/f ("pink") background, 8 µV RMS, per channel;
//! * posterior alpha (10 Hz), strongest over O/PO/P channels;
//! * sensorimotor mu (11 Hz) and beta (22 Hz), one source per hemisphere,
//!   strongest at C3/C4; motor imagery of one hand desynchronises the
//!   contralateral source by `erd_depth` (left hand → C4, right hand → C3);
//! * SSVEP: during a trial, the attended flicker frequency and its second
//!   harmonic over occipital channels;
//! * mains line noise (50/60 Hz) with a per-channel amplitude;
//! * a per-channel gain (0.8–1.2) and white sensor noise (1–2 µV).
//!
//! Everything is drawn from one seeded generator: equal seeds, equal signal.

use super::config::ParadigmConfig;
use super::resonator::Resonator;
use super::rng::Rng;
use super::schedule::Schedule;

/// Whether a 10-20 label sits over occipital cortex.
#[must_use]
pub fn is_occipital(label: &str) -> bool {
    let l = label.to_ascii_uppercase();
    l.starts_with('O') || l.starts_with("PO") || l.starts_with("IZ")
}

/// Splits a 10-20 label into its letters and lateral number (`None` for `z`).
fn parse_label(label: &str) -> (String, Option<u32>) {
    let letters: String = label
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let rest = &label[letters.len()..];
    let letters = letters.to_ascii_uppercase();
    if let Some(stripped) = letters.strip_suffix('Z') {
        return (stripped.to_string(), None);
    }
    (letters, rest.parse().ok())
}

/// Weights of the left and right sensorimotor sources on a channel.
fn motor_weights(label: &str) -> (f64, f64) {
    let (region, number) = parse_label(label);
    let region_weight = match region.as_str() {
        "C" => 1.0,
        "FC" | "CP" => 0.55,
        "T" | "F" | "P" => 0.15,
        _ => 0.0,
    };
    match number {
        None => (0.3 * region_weight, 0.3 * region_weight),
        Some(n) => {
            let lateral = match n {
                3 | 4 => 1.0,
                1 | 2 | 5 | 6 => 0.5,
                _ => 0.2,
            };
            let w = region_weight * lateral;
            if n % 2 == 1 {
                (w, 0.1 * w)
            } else {
                (0.1 * w, w)
            }
        }
    }
}

fn alpha_weight(label: &str) -> f64 {
    let (region, _) = parse_label(label);
    if is_occipital(label) {
        1.0
    } else if region == "P" || region == "TP" {
        0.5
    } else {
        0.15
    }
}

#[derive(Debug, Clone)]
struct ChannelModel {
    gain: f64,
    white_sd: f64,
    line_amp: f64,
    line_phase: f64,
    alpha: f64,
    mu_left: f64,
    mu_right: f64,
    occipital: bool,
    pink: [f64; 3],
}

/// How the paradigm modulates the signal.
#[derive(Debug, Clone)]
enum Effect {
    MotorImagery {
        erd_depth: f64,
    },
    Ssvep {
        frequencies: Vec<f64>,
        amplitude: f64,
    },
}

/// Generates simulated samples and paradigm events.
#[derive(Debug, Clone)]
pub struct SimGenerator {
    fs: f64,
    line_hz: f64,
    channels: Vec<ChannelModel>,
    rng: Rng,
    alpha: Resonator,
    mu: [Resonator; 2],
    beta: [Resonator; 2],
    schedule: Schedule,
    effect: Effect,
    /// Smoothed task activation per class (0 rest … 1 full task).
    activation: Vec<f64>,
    activation_rate: f64,
    index: u64,
}

/// RMS of the per-channel 1/f background, µV.
const PINK_UV: f64 = 8.0;
/// Amplitudes of the shared rhythms at full weight, µV.
const ALPHA_UV: f64 = 6.0;
const MU_UV: f64 = 6.0;
const BETA_UV: f64 = 3.0;

impl SimGenerator {
    /// A generator for channels `labels` at `fs` Hz.
    #[must_use]
    pub fn new(
        labels: &[&str],
        fs: f64,
        line_hz: f64,
        paradigm: &ParadigmConfig,
        seed: u64,
    ) -> Self {
        let mut rng = Rng::new(seed);
        let channels = labels
            .iter()
            .map(|label| {
                let (mu_left, mu_right) = motor_weights(label);
                ChannelModel {
                    gain: rng.range(0.8, 1.2),
                    white_sd: rng.range(1.0, 2.0),
                    line_amp: rng.range(2.0, 8.0),
                    line_phase: rng.range(0.0, std::f64::consts::TAU),
                    alpha: alpha_weight(label),
                    mu_left,
                    mu_right,
                    occipital: is_occipital(label),
                    pink: [0.0; 3],
                }
            })
            .collect();
        let (n_classes, trial_s, rest_s, effect) = match paradigm {
            ParadigmConfig::MotorImagery {
                trial_s,
                rest_s,
                erd_depth,
                ..
            } => (
                2,
                *trial_s,
                *rest_s,
                Effect::MotorImagery {
                    erd_depth: *erd_depth,
                },
            ),
            ParadigmConfig::Ssvep {
                frequencies_hz,
                trial_s,
                rest_s,
                amplitude_uv,
                ..
            } => (
                frequencies_hz.len(),
                *trial_s,
                *rest_s,
                Effect::Ssvep {
                    frequencies: frequencies_hz.clone(),
                    amplitude: *amplitude_uv,
                },
            ),
        };
        Self {
            fs,
            line_hz,
            channels,
            alpha: Resonator::new(10.0, 1.5, fs),
            mu: [Resonator::new(11.0, 3.0, fs), Resonator::new(11.5, 3.0, fs)],
            beta: [Resonator::new(22.0, 4.0, fs), Resonator::new(21.0, 4.0, fs)],
            schedule: Schedule::new(n_classes, trial_s, rest_s, fs, seed),
            effect,
            activation: vec![0.0; n_classes],
            // Task onset/offset ramps with a ~0.25 s time constant.
            activation_rate: 1.0 - (-1.0 / (0.25 * fs)).exp(),
            rng,
            index: 0,
        }
    }

    /// Index of the next sample to be generated.
    #[must_use]
    pub fn position(&self) -> u64 {
        self.index
    }

    /// Fills `data` (interleaved, `channels` values per sample) with the next
    /// samples and calls `on_event(sample_index, code)` for each paradigm
    /// event. Never allocates.
    pub fn fill(&mut self, data: &mut [f32], mut on_event: impl FnMut(u64, i32)) {
        let n_ch = self.channels.len();
        for frame in data.chunks_exact_mut(n_ch) {
            if let Some(code) = self.schedule.step(self.index) {
                on_event(self.index, code);
            }
            self.generate_frame(frame);
            self.index += 1;
        }
    }

    fn generate_frame(&mut self, frame: &mut [f32]) {
        let current = self.schedule.current();
        for (class, a) in self.activation.iter_mut().enumerate() {
            let target = if current == Some(class) { 1.0 } else { 0.0 };
            *a += (target - *a) * self.activation_rate;
        }
        let t = self.index as f64 / self.fs;
        let alpha = ALPHA_UV * self.alpha.step(self.rng.normal());
        let mut motor = [0.0; 2];
        for ((out, mu), beta) in motor.iter_mut().zip(&mut self.mu).zip(&mut self.beta) {
            *out = MU_UV * mu.step(self.rng.normal()) + BETA_UV * beta.step(self.rng.normal());
        }
        let mut occipital_evoked = 0.0;
        match &self.effect {
            Effect::MotorImagery { erd_depth } => {
                // Left-hand imagery (class 0) suppresses the right hemisphere.
                motor[1] *= 1.0 - erd_depth * self.activation[0];
                motor[0] *= 1.0 - erd_depth * self.activation[1];
            }
            Effect::Ssvep {
                frequencies,
                amplitude,
            } => {
                for (f, a) in frequencies.iter().zip(&self.activation) {
                    let phase = std::f64::consts::TAU * f * t;
                    occipital_evoked += a * amplitude * (phase.sin() + 0.4 * (2.0 * phase).sin());
                }
            }
        }
        let line_phase = std::f64::consts::TAU * self.line_hz * t;
        for (ch, out) in self.channels.iter_mut().zip(frame.iter_mut()) {
            // Paul Kellet's economy 1/f filter.
            let w = self.rng.normal();
            ch.pink[0] = 0.99765 * ch.pink[0] + w * 0.099_046;
            ch.pink[1] = 0.96300 * ch.pink[1] + w * 0.296_516_4;
            ch.pink[2] = 0.57000 * ch.pink[2] + w * 1.052_691_3;
            let pink = (ch.pink[0] + ch.pink[1] + ch.pink[2] + w * 0.1848) * (PINK_UV / 3.0);
            let mut v = pink
                + ch.alpha * alpha
                + ch.mu_left * motor[0]
                + ch.mu_right * motor[1]
                + self.rng.normal() * ch.white_sd;
            if ch.occipital {
                v += occipital_evoked;
            }
            if self.line_hz > 0.0 {
                v += ch.line_amp * (line_phase + ch.line_phase).sin();
            }
            *out = (v * ch.gain) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_map_to_hemispheres() {
        let (l, r) = motor_weights("C3");
        assert!(l > 0.9 && r < 0.2);
        let (l, r) = motor_weights("C4");
        assert!(r > 0.9 && l < 0.2);
        let (l, r) = motor_weights("Cz");
        assert!((l - r).abs() < 1e-12 && l > 0.0);
        assert_eq!(motor_weights("O1"), (0.0, 0.0));
        assert!(is_occipital("POz") && is_occipital("O2") && !is_occipital("Pz"));
    }

    fn mi() -> ParadigmConfig {
        ParadigmConfig::MotorImagery {
            classes: vec!["left".into(), "right".into()],
            trial_s: 4.0,
            rest_s: 2.0,
            erd_depth: 0.6,
        }
    }

    #[test]
    fn same_seed_same_signal() {
        let labels = ["C3", "Cz", "C4"];
        let mut a = SimGenerator::new(&labels, 250.0, 50.0, &mi(), 9);
        let mut b = SimGenerator::new(&labels, 250.0, 50.0, &mi(), 9);
        let mut c = SimGenerator::new(&labels, 250.0, 50.0, &mi(), 10);
        let (mut xa, mut xb, mut xc) = (vec![0f32; 3000], vec![0f32; 3000], vec![0f32; 3000]);
        a.fill(&mut xa, |_, _| {});
        b.fill(&mut xb, |_, _| {});
        c.fill(&mut xc, |_, _| {});
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn imagery_desynchronises_the_contralateral_hemisphere() {
        let labels = ["C3", "C4"];
        let fs = 250.0;
        let mut g = SimGenerator::new(&labels, fs, 0.0, &mi(), 4);
        // Variance of C3 and C4 during each class, skipping 0.5 s after cues.
        let mut sums = [[0.0f64; 2]; 2];
        let mut counts = [0usize; 2];
        let mut class: Option<usize> = None;
        let mut since = 0u64;
        let mut frame = [0f32; 2];
        for _ in 0..(fs as usize * 240) {
            let mut event = None;
            g.fill(&mut frame, |_, code| event = Some(code));
            if let Some(code) = event {
                class = usize::try_from(code).ok();
                since = 0;
            }
            since += 1;
            if let Some(k) = class.filter(|_| since > (fs as u64) / 2) {
                sums[k][0] += f64::from(frame[0]).powi(2);
                sums[k][1] += f64::from(frame[1]).powi(2);
                counts[k] += 1;
            }
        }
        let var = |k: usize, ch: usize| sums[k][ch] / counts[k] as f64;
        // Left imagery: C4 quieter than during right imagery, and vice versa.
        assert!(
            var(0, 1) < 0.85 * var(1, 1),
            "C4 {} vs {}",
            var(0, 1),
            var(1, 1)
        );
        assert!(
            var(1, 0) < 0.85 * var(0, 0),
            "C3 {} vs {}",
            var(1, 0),
            var(0, 0)
        );
    }
}
