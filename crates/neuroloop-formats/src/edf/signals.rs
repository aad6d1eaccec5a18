//! The per-signal part of an EDF/BDF header: for `ns` signals, all labels,
//! then all transducers, units, physical minima, ... (fixed-width ASCII).

use super::EdfKind;
use crate::bytes::Fields;
use crate::{ChannelInfo, FormatError};

/// Parses the `256 × ns` per-signal header bytes (file offset 256) and checks
/// each signal's ranges against the sample width of `kind`.
pub(super) fn parse_signals(
    bytes: &[u8],
    ns: usize,
    kind: EdfKind,
) -> Result<Vec<ChannelInfo>, FormatError> {
    let mut f = Fields::new(bytes, 256);
    let texts = |f: &mut Fields<'_>, len: usize, name: &str| -> Result<Vec<String>, FormatError> {
        (0..ns)
            .map(|i| f.text(len, &format!("signal[{i}].{name}")))
            .collect()
    };
    let numbers = |f: &mut Fields<'_>, name: &str| -> Result<Vec<(f64, u64)>, FormatError> {
        (0..ns)
            .map(|i| {
                let offset = f.offset();
                let field = format!("signal[{i}].{name}");
                let v: f64 = f.number(8, &field)?;
                if v.is_finite() {
                    Ok((v, offset))
                } else {
                    Err(FormatError::field(
                        field,
                        offset,
                        v.to_string(),
                        "not finite",
                    ))
                }
            })
            .collect()
    };
    let labels = texts(&mut f, 16, "label")?;
    let transducers = texts(&mut f, 80, "transducer")?;
    let units = texts(&mut f, 8, "physical_dimension")?;
    let pmin = numbers(&mut f, "physical_min")?;
    let pmax = numbers(&mut f, "physical_max")?;
    let dmin = numbers(&mut f, "digital_min")?;
    let dmax = numbers(&mut f, "digital_max")?;
    let prefilters = texts(&mut f, 80, "prefiltering")?;
    let spr: Vec<(usize, u64)> = (0..ns)
        .map(|i| {
            let offset = f.offset();
            f.number::<usize>(8, &format!("signal[{i}].samples_per_record"))
                .map(|n| (n, offset))
        })
        .collect::<Result<_, _>>()?;
    let limit = match kind {
        EdfKind::Edf => 32768.0,
        EdfKind::Bdf => 8_388_608.0,
    };
    let mut out = Vec::with_capacity(ns);
    for i in 0..ns {
        if dmax[i].0 <= dmin[i].0 || dmin[i].0 < -limit || dmax[i].0 > limit - 1.0 {
            return Err(FormatError::field(
                format!("signal[{i}].digital_max"),
                dmax[i].1,
                dmax[i].0.to_string(),
                format!(
                    "digital range {}..{} is empty or exceeds the sample width",
                    dmin[i].0, dmax[i].0
                ),
            ));
        }
        if pmax[i].0 == pmin[i].0 {
            return Err(FormatError::field(
                format!("signal[{i}].physical_max"),
                pmax[i].1,
                pmax[i].0.to_string(),
                "equals physical_min",
            ));
        }
        if spr[i].0 == 0 || spr[i].0 > 1 << 24 {
            return Err(FormatError::field(
                format!("signal[{i}].samples_per_record"),
                spr[i].1,
                spr[i].0.to_string(),
                "must be 1..=16777216",
            ));
        }
        out.push(ChannelInfo {
            label: labels[i].clone(),
            unit: units[i].clone(),
            transducer: transducers[i].clone(),
            prefiltering: prefilters[i].clone(),
            physical_min: pmin[i].0,
            physical_max: pmax[i].0,
            digital_min: dmin[i].0,
            digital_max: dmax[i].0,
            samples_per_record: spr[i].0,
        });
    }
    Ok(out)
}
