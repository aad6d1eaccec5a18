//! Writing cut epochs for other tools: `epochs.npy` (float32
//! `[n, channels, samples]`), `labels.npy` (int64 `[n]`) and `meta.json`
//! (classes, channels, rate, recordings, and the fold of each epoch), so a
//! reference pipeline in Python scores exactly the epochs and folds that
//! neuroloop does.

use std::io::Write;
use std::path::Path;

use neuroloop_decode::fit::EpochSet;

use crate::OfflineError;

/// Writes `epochs` and their fold assignment into `dir` (created if
/// missing).
///
/// # Errors
/// [`OfflineError::Io`] if a file cannot be written.
pub fn export_epochs(
    dir: &Path,
    epochs: &EpochSet,
    recordings: &[String],
    fold_of: &[usize],
    folds: usize,
) -> Result<(), OfflineError> {
    std::fs::create_dir_all(dir)?;
    let shape = [epochs.len(), epochs.channels, epochs.samples];
    let mut data = Vec::with_capacity(epochs.data.len() * 4);
    for v in &epochs.data {
        data.extend_from_slice(&v.to_le_bytes());
    }
    write_npy(&dir.join("epochs.npy"), "<f4", &shape, &data)?;
    let mut labels = Vec::with_capacity(epochs.labels.len() * 8);
    for &l in &epochs.labels {
        labels.extend_from_slice(&(l as i64).to_le_bytes());
    }
    write_npy(&dir.join("labels.npy"), "<i8", &[epochs.len()], &labels)?;
    let meta = serde_json::json!({
        "classes": epochs.classes,
        "channels": epochs.channel_labels,
        "sample_rate": epochs.sample_rate,
        "samples": epochs.samples,
        "recordings": recordings,
        "recording_of_epoch": epochs.recording,
        "folds": fold_of,
        "n_folds": folds,
    });
    std::fs::write(dir.join("meta.json"), format!("{meta}\n"))?;
    Ok(())
}

/// One array in NumPy's `.npy` format (version 1.0, C order).
fn write_npy(path: &Path, dtype: &str, shape: &[usize], bytes: &[u8]) -> Result<(), OfflineError> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let tuple = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '{dtype}', 'fortran_order': False, 'shape': {tuple}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n', a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    file.write_all(b"\x93NUMPY\x01\x00")?;
    let len = u16::try_from(header.len()).map_err(|_| {
        OfflineError::Io(std::io::Error::other("npy header longer than 65535 bytes"))
    })?;
    file.write_all(&len.to_le_bytes())?;
    file.write_all(header.as_bytes())?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(())
}
