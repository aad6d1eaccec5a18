//! The patch transformer against PyTorch: weights of an
//! `nn.TransformerEncoder`-based model (tools/decode/make_transformer_fixture.py,
//! committed fixtures) load into the burn model, and both its burn forward
//! and its real-time form — portable and AVX2 kernels — reproduce PyTorch's
//! eval-mode logits.

mod torch_fixture;

use burn::tensor::{Device, Tensor, TensorData};
use neuroloop_core::Window;
use neuroloop_decode::import::load_pytorch;
use neuroloop_decode::{DecodeError, EegTransformer, TransformerConfig, TransformerInference};

const CHANS: usize = 22;
const TIMES: usize = 1000;
const OUTPUTS: usize = 4;
/// Logits are of order 1; float32 sums over 881 tokens differ from
/// PyTorch's by a few 1e-6.
const TOLERANCE: f32 = 2e-5;

use torch_fixture::{fixture, kernel_paths, max_abs_diff};

/// One tensor of transformer_reference.safetensors as (shape, values).
fn reference(name: &str) -> (Vec<usize>, Vec<f32>) {
    torch_fixture::tensor("transformer_reference.safetensors", name)
}

fn untrained() -> EegTransformer {
    TransformerConfig::new(CHANS, OUTPUTS, TIMES)
        .init(&Device::flex())
        .unwrap()
}

fn loaded() -> EegTransformer {
    load_pytorch(fixture("transformer.safetensors"), untrained()).unwrap()
}

fn burn_logits(model: &EegTransformer) -> Vec<f32> {
    let (shape, x) = reference("inputs");
    assert_eq!(shape[1..], [CHANS, TIMES]);
    let input = Tensor::from_data(TensorData::new(x, shape.clone()), &Device::flex());
    let logits = model.forward(input);
    assert_eq!(logits.dims(), [shape[0], OUTPUTS]);
    logits.into_data().try_into_vec::<f32>().unwrap()
}

/// Logits of the real-time form, window by window.
fn inference_logits(model: &EegTransformer, portable: bool) -> Vec<f32> {
    let classes = (0..OUTPUTS).map(|i| format!("class{i}")).collect();
    let mut inference = TransformerInference::from_model(model, classes).unwrap();
    if portable {
        inference.use_portable_kernels();
    }
    let (shape, x) = reference("inputs");
    let len = CHANS * TIMES;
    let mut got = Vec::new();
    for (i, data) in x.chunks_exact(len).enumerate().take(shape[0]) {
        let window = Window {
            index: i as u64,
            channels: CHANS,
            samples: TIMES,
            data,
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        got.extend_from_slice(inference.logits(&window).unwrap());
    }
    got
}

#[test]
fn the_burn_forward_reproduces_pytorch_logits() {
    let (_, want) = reference("logits");
    let diff = max_abs_diff(&burn_logits(&loaded()), &want);
    eprintln!("burn forward: max |burn - torch| = {diff:e}");
    assert!(diff <= TOLERANCE, "max |burn - torch| = {diff}");
}

#[test]
fn the_real_time_form_reproduces_pytorch_logits_on_both_kernel_paths() {
    let model = loaded();
    let (_, want) = reference("logits");
    for (path, portable) in kernel_paths() {
        let diff = max_abs_diff(&inference_logits(&model, portable), &want);
        eprintln!("{path}: max |inference - torch| = {diff:e}");
        assert!(
            diff <= TOLERANCE,
            "{path}: max |inference - torch| = {diff}"
        );
    }
}

/// The comparison has power: the untrained model is far from PyTorch's
/// logits, and so is the loaded one with the two norms of a layer swapped
/// (PyTorch's `norm1` before attention is burn's `norm_2`).
#[test]
fn a_model_with_other_or_swapped_weights_does_not_match() {
    let (_, want) = reference("logits");
    let untrained = max_abs_diff(&burn_logits(&untrained()), &want);
    assert!(untrained > 0.1, "untrained model within {untrained}");

    let mut swapped = loaded();
    let layer = &mut swapped.encoder.layers[0];
    std::mem::swap(&mut layer.norm_1, &mut layer.norm_2);
    let diff = max_abs_diff(&burn_logits(&swapped), &want);
    assert!(diff > 100.0 * TOLERANCE, "swapped norms within {diff}");
}

#[test]
fn weights_for_another_shape_are_refused_with_the_key() {
    let other = TransformerConfig::new(CHANS, OUTPUTS, TIMES)
        .with_d_ff(32)
        .init(&Device::flex())
        .unwrap();
    match load_pytorch(fixture("transformer.safetensors"), other) {
        Err(DecodeError::ImportShape { key, .. }) => {
            assert!(key.contains("pwff.linear_"), "{key}");
        }
        other => panic!("expected a shape error, got {:?}", other.map(|_| ())),
    }
}
