//! xDAWN spatial filters and ERP ("super-trial") covariances, as
//! pyriemann's `Xdawn` and `XdawnCovariances` compute them.
//!
//! Fitting, for `k` classes (labels `0..k`) and `nfilter` filters per class:
//! * `Cx`: the covariance of every training epoch concatenated in time;
//! * per class, `P_k` = the mean of its epochs (`C × T`) and the
//!   generalized eigenvectors of `cov(P_k) x = λ Cx x`, sorted by
//!   descending `λ` and scaled to unit Euclidean norm; the first `nfilter`
//!   are the class's filters (rows of `W`, `[k·nfilter, C]`) and
//!   `W_k P_k` its filtered prototype (rows of `E`, `[k·nfilter, T]`).
//!
//! An epoch `X` then becomes the covariance of the stacked signal
//! `[E; W X]` (`2·k·nfilter` rows): how the epoch's filtered signals
//! co-vary with each class's average response.
//!
//! [`fit_erp`] gives the same form without xDAWN (pyriemann's
//! `ERPCovariances`): `W` the identity, `E` the class means, so an epoch's
//! matrix is the covariance of `[P_0; …; P_{k−1}; X]` (`(k + 1)·C` rows).
//!
//! The eigenvectors' signs are arbitrary (pyriemann keeps LAPACK's); here
//! each filter's entry of largest magnitude is positive. A sign flip turns a
//! covariance into `D C D` (`D` diagonal ±1), which changes no tangent-space
//! logistic regression or MDM probability.

use faer::Mat;

use super::record::{check_len, mat_from_rows};
use crate::DecodeError;
use crate::fit::EpochSet;
use crate::spd::{CovarianceWorkspace, Estimator, generalized_eigh, normalise_signs};

/// Fitted spatial filters `W` and filtered class prototypes `E` (xDAWN, or
/// the identity and the class means for ERP covariances), in stored form.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XdawnRecord {
    /// Covariance estimator of the filters' fit and of every epoch covariance.
    pub estimator: Estimator,
    /// Spatial filters, `[classes · nfilter][channels]` (ERP: the identity).
    pub filters: Vec<Vec<f64>>,
    /// Filtered class prototypes, `[classes · nfilter][samples]` (ERP:
    /// `[classes · channels][samples]`, the class means).
    pub evokeds: Vec<Vec<f64>>,
}

/// Fits `nfilter` xDAWN filters per class on `data`.
///
/// # Errors
/// [`DecodeError::Numerical`] if `nfilter` is 0 or exceeds the channels, a
/// class has no epoch, or the baseline covariance is singular.
pub fn fit_xdawn(
    estimator: Estimator,
    nfilter: usize,
    data: &EpochSet,
) -> Result<XdawnRecord, DecodeError> {
    let (c, t, n) = (data.channels, data.samples, data.len());
    if nfilter == 0 || nfilter > c {
        return Err(DecodeError::Numerical {
            what: "xDAWN",
            message: format!("{nfilter} filters per class for {c} channels (1..={c} allowed)"),
        });
    }
    // Every epoch side by side: channel ch is [epoch 0 | epoch 1 | ...].
    let mut concatenated = vec![0.0_f64; c * n * t];
    for i in 0..n {
        for (ch, row) in data.epoch(i).chunks_exact(t).enumerate() {
            let dst = &mut concatenated[ch * n * t + i * t..][..t];
            dst.iter_mut()
                .zip(row)
                .for_each(|(d, &v)| *d = f64::from(v));
        }
    }
    let mut baseline = Mat::zeros(c, c);
    CovarianceWorkspace::new(c, n * t).estimate(estimator, &concatenated, baseline.as_mut())?;
    drop(concatenated);
    let mut ws = CovarianceWorkspace::new(c, t);
    let mut filters = Vec::new();
    let mut evokeds = Vec::new();
    for k in 0..data.classes.len() {
        let prototype = class_mean(data, k)?;
        let mut proto_cov = Mat::zeros(c, c);
        ws.estimate(estimator, &prototype, proto_cov.as_mut())?;
        let eig = generalized_eigh(proto_cov.as_ref(), baseline.as_ref())?;
        // Descending eigenvalues, unit-norm columns, signs fixed.
        let mut vectors = Mat::from_fn(c, c, |i, j| eig.vectors[(i, c - 1 - j)]);
        for j in 0..c {
            let norm = (0..c).map(|i| vectors[(i, j)].powi(2)).sum::<f64>().sqrt();
            (0..c).for_each(|i| vectors[(i, j)] /= norm);
        }
        normalise_signs(&mut vectors);
        for j in 0..nfilter {
            let w: Vec<f64> = (0..c).map(|i| vectors[(i, j)]).collect();
            let mut e = vec![0.0; t];
            for (ch, wc) in w.iter().enumerate() {
                let row = &prototype[ch * t..(ch + 1) * t];
                e.iter_mut().zip(row).for_each(|(e, p)| *e += wc * p);
            }
            filters.push(w);
            evokeds.push(e);
        }
    }
    Ok(XdawnRecord {
        estimator,
        filters,
        evokeds,
    })
}

/// The ERP-covariance form of `data`: the identity as filters and the mean
/// epoch of each class (labels `0..k` in order) as prototypes.
///
/// # Errors
/// [`DecodeError::Numerical`] if a class has no epoch.
pub fn fit_erp(estimator: Estimator, data: &EpochSet) -> Result<XdawnRecord, DecodeError> {
    let (c, t) = (data.channels, data.samples);
    let mut evokeds = Vec::with_capacity(data.classes.len() * c);
    for k in 0..data.classes.len() {
        evokeds.extend(class_mean(data, k)?.chunks_exact(t).map(<[f64]>::to_vec));
    }
    Ok(XdawnRecord {
        estimator,
        filters: (0..c)
            .map(|i| (0..c).map(|j| f64::from(u8::from(i == j))).collect())
            .collect(),
        evokeds,
    })
}

/// The mean epoch of class `k`, channel-major `f64`.
fn class_mean(data: &EpochSet, k: usize) -> Result<Vec<f64>, DecodeError> {
    let mut mean = vec![0.0; data.channels * data.samples];
    let mut count = 0_usize;
    for i in (0..data.len()).filter(|&i| data.labels[i] == k) {
        mean.iter_mut()
            .zip(data.epoch(i))
            .for_each(|(m, &v)| *m += f64::from(v));
        count += 1;
    }
    if count == 0 {
        return Err(DecodeError::Numerical {
            what: "xDAWN",
            message: format!("class {} has no epoch", data.classes[k]),
        });
    }
    mean.iter_mut().for_each(|m| *m /= count as f64);
    Ok(mean)
}

/// The ERP covariance of one window, with every buffer preallocated.
#[derive(Debug, Clone)]
pub struct XdawnCovariance {
    estimator: Estimator,
    /// `[rows, channels]`.
    filters: Mat<f64>,
    /// Rows of `E`.
    prototypes: usize,
    channels: usize,
    samples: usize,
    /// `[E; W X]`, channel-major `[prototypes + rows, samples]`; `E` is
    /// written once and for all.
    stacked: Vec<f64>,
    ws: CovarianceWorkspace,
}

impl XdawnCovariance {
    /// The transform of `record` for `channels × samples` windows.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] if the record's sizes disagree with each
    /// other or with the shape, or a value is not finite.
    pub fn new(record: &XdawnRecord, channels: usize, samples: usize) -> Result<Self, DecodeError> {
        let rows = record.filters.len();
        if rows == 0 {
            return Err(DecodeError::Numerical {
                what: "decoder record",
                message: "xDAWN: no filter".into(),
            });
        }
        let filters = mat_from_rows("xDAWN filters", &record.filters, channels)?;
        let prototypes = record.evokeds.len();
        if prototypes == 0 {
            return Err(DecodeError::Numerical {
                what: "decoder record",
                message: "xDAWN: no prototype".into(),
            });
        }
        let evokeds = mat_from_rows("xDAWN prototypes", &record.evokeds, samples)?;
        let mut stacked = vec![0.0; (prototypes + rows) * samples];
        for r in 0..prototypes {
            for s in 0..samples {
                stacked[r * samples + s] = evokeds[(r, s)];
            }
        }
        Ok(Self {
            estimator: record.estimator,
            filters,
            prototypes,
            channels,
            samples,
            stacked,
            ws: CovarianceWorkspace::new(prototypes + rows, samples),
        })
    }

    /// Side of the covariances: prototypes plus filters (xDAWN:
    /// `2 · classes · nfilter`; ERP: `(classes + 1) · channels`).
    #[must_use]
    pub fn dim(&self) -> usize {
        self.prototypes + self.filters.nrows()
    }

    /// The covariance of `[E; W X]` for the channel-major window `x`
    /// (`channels × samples`) into `out` (`dim × dim`). No allocation.
    ///
    /// # Errors
    /// [`DecodeError::Numerical`] for wrong sizes or non-finite values.
    pub fn estimate<T: Copy + Into<f64>>(
        &mut self,
        x: &[T],
        out: faer::MatMut<'_, f64>,
    ) -> Result<(), DecodeError> {
        let (c, t) = (self.channels, self.samples);
        check_len("xDAWN window values", x.len(), c * t)?;
        let filtered = &mut self.stacked[self.prototypes * t..];
        filtered.fill(0.0);
        for (r, out_row) in filtered.chunks_exact_mut(t).enumerate() {
            for (ch, row) in x.chunks_exact(t).enumerate() {
                let w = self.filters[(r, ch)];
                out_row
                    .iter_mut()
                    .zip(row)
                    .for_each(|(o, &v)| *o += w * v.into());
            }
        }
        self.ws.estimate(self.estimator, &self.stacked, out)?;
        Ok(())
    }

    /// The covariance of every epoch of `data` (fitting code, allocating).
    ///
    /// # Errors
    /// As [`XdawnCovariance::estimate`].
    pub fn all(&mut self, data: &EpochSet) -> Result<Vec<Mat<f64>>, DecodeError> {
        (0..data.len())
            .map(|i| {
                let mut cov = Mat::zeros(self.dim(), self.dim());
                self.estimate(data.epoch(i), cov.as_mut())?;
                Ok(cov)
            })
            .collect()
    }
}
