//! Numbers that can go on the wire: never NaN or ±∞.
//!
//! JSON has no NaN or infinity (serde_json writes them as `null`), and an
//! actuator must never read a probability of `null`. Every floating-point
//! member of a server message is one of these types, whose constructors
//! refuse non-finite values, so a message holding one cannot be built.
//! Deserialising refuses them too.

use serde::{Deserialize, Deserializer, Serialize, de::Error as _};

/// A finite `f64` (a time in seconds, on the wire).
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Finite(f64);

impl Finite {
    /// Zero.
    pub const ZERO: Finite = Finite(0.0);

    /// `x` if it is finite.
    #[must_use]
    pub fn new(x: f64) -> Option<Self> {
        x.is_finite().then_some(Self(x))
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> f64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Finite {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(d)?;
        Finite::new(x).ok_or_else(|| D::Error::custom(format!("{x} is not a finite number")))
    }
}

impl std::ops::Sub for Finite {
    type Output = f64;
    fn sub(self, rhs: Finite) -> f64 {
        self.0 - rhs.0
    }
}

impl std::ops::Sub<Finite> for f64 {
    type Output = f64;
    fn sub(self, rhs: Finite) -> f64 {
        self - rhs.0
    }
}

impl std::fmt::Display for Finite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A probability: a finite `f32` in `[0, 1]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize)]
#[serde(transparent)]
pub struct Probability(f32);

impl Probability {
    /// `p` if it is finite and in `[0, 1]`.
    #[must_use]
    pub fn new(p: f32) -> Option<Self> {
        (0.0..=1.0).contains(&p).then_some(Self(p))
    }

    /// The value.
    #[must_use]
    pub fn get(self) -> f32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = f32::deserialize(d)?;
        Probability::new(p)
            .ok_or_else(|| D::Error::custom(format!("{p} is not a probability in [0, 1]")))
    }
}

impl std::fmt::Display for Probability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How far the sum of [`Probabilities`] may be from 1.
pub const SUM_TOLERANCE: f32 = 1e-3;

/// One probability per class, each in `[0, 1]`, summing to 1 (within
/// [`SUM_TOLERANCE`]): the output of a decode.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Probabilities(Vec<Probability>);

impl Probabilities {
    /// `ps` if it is a distribution: not empty, every value a probability,
    /// summing to 1. All zeros (no decode) and any NaN or infinity give
    /// `None`.
    #[must_use]
    pub fn new(ps: &[f32]) -> Option<Self> {
        let values: Option<Vec<Probability>> = ps.iter().map(|&p| Probability::new(p)).collect();
        let values = values.filter(|v| !v.is_empty())?;
        let sum: f32 = ps.iter().sum();
        ((sum - 1.0).abs() <= SUM_TOLERANCE).then_some(Self(values))
    }

    /// The probabilities in class order.
    #[must_use]
    pub fn values(&self) -> &[Probability] {
        &self.0
    }

    /// The probabilities as plain numbers.
    #[must_use]
    pub fn to_f32(&self) -> Vec<f32> {
        self.0.iter().map(|p| p.get()).collect()
    }

    /// Number of classes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true for a constructed value; for clippy's `len` rule.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for Probabilities {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ps = Vec::<f32>::deserialize(d)?;
        Probabilities::new(&ps).ok_or_else(|| {
            D::Error::custom(format!(
                "{ps:?} is not a probability distribution (each in [0, 1], sum 1)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_values_cannot_be_built() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Finite::new(x), None);
        }
        assert_eq!(Finite::new(1.5).map(Finite::get), Some(1.5));
        for p in [f32::NAN, f32::INFINITY, -0.1, 1.1, -3.4e38] {
            assert_eq!(Probability::new(p), None, "{p}");
        }
        assert_eq!(Probabilities::new(&[f32::NAN, f32::NAN]), None);
        assert_eq!(Probabilities::new(&[0.0, 0.0]), None, "no decode");
        assert_eq!(Probabilities::new(&[]), None);
        assert_eq!(Probabilities::new(&[0.5, 0.6]), None, "sum 1.1");
        let p = Probabilities::new(&[0.25, 0.75]).unwrap();
        assert_eq!(p.to_f32(), [0.25, 0.75]);
        assert_eq!(serde_json::to_string(&p).unwrap(), "[0.25,0.75]");
    }

    #[test]
    fn null_and_out_of_range_do_not_deserialise() {
        assert!(serde_json::from_str::<Finite>("null").is_err());
        assert!(serde_json::from_str::<Finite>("1e999").is_err());
        assert!(serde_json::from_str::<Probabilities>("[null,null]").is_err());
        assert!(serde_json::from_str::<Probabilities>("[0.0,0.0]").is_err());
        assert!(serde_json::from_str::<Probability>("2").is_err());
        assert_eq!(
            serde_json::from_str::<Probabilities>("[0.5,0.5]")
                .unwrap()
                .to_f32(),
            [0.5, 0.5]
        );
    }
}
