//! Shared by the tests that compare the nets with PyTorch or across their
//! kernel paths: the committed PyTorch fixtures (`tests/fixtures/torch/`,
//! written by tools/decode/make_fixtures.py and
//! make_transformer_fixture.py) and which kernel paths this CPU can run.
#![allow(dead_code)]

use std::path::PathBuf;

use burn::store::{ModuleStore, SafetensorsStore, bridge};

/// The path of the fixture file `name`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/torch")
        .join(name)
}

/// Tensor `name` of the safetensors fixture `file` as (shape, values).
pub fn tensor(file: &str, name: &str) -> (Vec<usize>, Vec<f32>) {
    let mut store = SafetensorsStore::from_file(fixture(file));
    let tensor = store.get_tensor(name).unwrap().expect(name);
    let data = bridge::to_data(tensor).unwrap();
    (data.shape().to_vec(), data.try_into_vec::<f32>().unwrap())
}

/// Largest absolute difference of two equally long slices.
pub fn max_abs_diff(got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len());
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f32::max)
}

/// Whether this CPU can run the AVX2 + FMA kernels.
pub fn cpu_has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The kernel paths to check: the portable one on every CPU, the AVX2 one
/// where the CPU has it; each as (name, whether to force the portable one).
pub fn kernel_paths() -> Vec<(&'static str, bool)> {
    let mut paths = vec![("portable", true)];
    if cpu_has_avx2_fma() {
        paths.push(("avx2", false));
    } else {
        eprintln!("this CPU has no AVX2 + FMA: only the portable kernels run here");
    }
    paths
}
