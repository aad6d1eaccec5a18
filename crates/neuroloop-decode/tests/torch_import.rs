//! Import of braindecode weights: the burn nets loaded from the committed
//! PyTorch fixtures (tools/decode/make_fixtures.py) reproduce PyTorch's
//! eval-mode logits, and broken files give their specific errors.

mod torch_fixture;

use burn::tensor::{Device, Tensor, TensorData};
use neuroloop_core::Window;
use neuroloop_decode::import::{TorchImport, load_pytorch};
use neuroloop_decode::{
    DecodeError, EEGNet, EEGNetConfig, EEGNetInference, ShallowConvNet, ShallowConvNetConfig,
    ShallowConvNetInference,
};

const CHANS: usize = 22;
const TIMES: usize = 1000;
const OUTPUTS: usize = 4;
const TOLERANCE: f32 = 1e-4;

use torch_fixture::{fixture, kernel_paths, max_abs_diff};

/// One tensor of reference.safetensors as (shape, values).
fn reference(name: &str) -> (Vec<usize>, Vec<f32>) {
    torch_fixture::tensor("reference.safetensors", name)
}

fn inputs(device: &Device) -> (usize, Tensor<3>) {
    let (shape, values) = reference("inputs");
    assert_eq!(shape[1..], [CHANS, TIMES]);
    (
        shape[0],
        Tensor::from_data(TensorData::new(values, shape.clone()), device),
    )
}

fn eegnet(device: &Device) -> EEGNet {
    EEGNetConfig::new(CHANS, OUTPUTS, TIMES)
        .init(device)
        .unwrap()
}

fn shallow(device: &Device) -> ShallowConvNet {
    ShallowConvNetConfig::new(CHANS, OUTPUTS, TIMES)
        .init(device)
        .unwrap()
}

fn classes() -> Vec<String> {
    (0..OUTPUTS).map(|i| format!("class{i}")).collect()
}

/// Loads `file` into `model`, checks the faithful forward against
/// `reference_key`, and returns the loaded model.
fn check_faithful<M: TorchImport>(
    file: &str,
    model: M,
    forward: fn(&M, Tensor<3>) -> Tensor<2>,
    reference_key: &str,
) -> M {
    let device = Device::flex();
    let model = load_pytorch(fixture(file), model).unwrap();
    let (batch, x) = inputs(&device);
    let (_, want) = reference(reference_key);
    let logits = forward(&model, x);
    assert_eq!(logits.dims(), [batch, OUTPUTS]);
    let got = logits.into_data().try_into_vec::<f32>().unwrap();
    let diff = max_abs_diff(&got, &want);
    eprintln!("{file}: faithful max |burn - torch| = {diff:e}");
    assert!(diff <= TOLERANCE, "{file}: max |burn - torch| = {diff}");
    model
}

/// Runs an inference form window by window against `reference_key`;
/// `path` names its kernels in messages.
fn check_inference(
    file: &str,
    path: &str,
    reference_key: &str,
    mut logits: impl FnMut(&Window<'_>) -> Vec<f32>,
) {
    let (shape, x) = reference("inputs");
    let (_, want) = reference(reference_key);
    let len = CHANS * TIMES;
    let mut got = Vec::new();
    for i in 0..shape[0] {
        let window = Window {
            index: i as u64,
            channels: CHANS,
            samples: TIMES,
            data: &x[i * len..(i + 1) * len],
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        got.extend(logits(&window));
    }
    let diff = max_abs_diff(&got, &want);
    eprintln!("{file}: {path} inference max |burn - torch| = {diff:e}");
    assert!(
        diff <= TOLERANCE,
        "{file}: {path} inference max |burn - torch| = {diff}"
    );
}

fn check_eegnet(file: &str) {
    let model = check_faithful(
        file,
        eegnet(&Device::flex()),
        EEGNet::forward,
        "eegnet_logits",
    );
    for (path, portable) in kernel_paths() {
        let mut inference = EEGNetInference::from_model(&model, classes()).unwrap();
        if portable {
            inference.use_portable_kernels();
        }
        assert_eq!(inference.uses_avx2(), !portable, "{path}");
        check_inference(file, path, "eegnet_logits", |w| {
            inference.logits(w).unwrap().to_vec()
        });
    }
}

fn check_shallow(file: &str) {
    let model = check_faithful(
        file,
        shallow(&Device::flex()),
        ShallowConvNet::forward,
        "shallow_logits",
    );
    for (path, portable) in kernel_paths() {
        let mut inference = ShallowConvNetInference::from_model(&model, classes()).unwrap();
        if portable {
            inference.use_portable_kernels();
        }
        assert_eq!(inference.uses_avx2(), !portable, "{path}");
        check_inference(file, path, "shallow_logits", |w| {
            inference.logits(w).unwrap().to_vec()
        });
    }
}

#[test]
fn eegnet_pt_matches_pytorch_logits() {
    check_eegnet("eegnet.pt");
}

#[test]
fn eegnet_safetensors_matches_pytorch_logits() {
    check_eegnet("eegnet.safetensors");
}

#[test]
fn shallow_pt_matches_pytorch_logits() {
    check_shallow("shallow.pt");
}

#[test]
fn shallow_safetensors_matches_pytorch_logits() {
    check_shallow("shallow.safetensors");
}

#[test]
fn weights_of_one_net_do_not_load_into_the_other() {
    // EEGNet's max-norm parametrization is the first thing ShallowConvNet
    // does not know.
    let err = load_pytorch(fixture("eegnet.safetensors"), shallow(&Device::flex())).unwrap_err();
    match &err {
        DecodeError::ImportUnexpectedKeys { keys, .. } => {
            assert_eq!(
                keys,
                &["conv_spatial.parametrizations.weight.original".to_owned()]
            );
        }
        other => panic!("expected ImportUnexpectedKeys, got {other:?}"),
    }
    // The other way round, the shared classifier name meets a different shape.
    let err = load_pytorch(fixture("shallow.safetensors"), eegnet(&Device::flex())).unwrap_err();
    match &err {
        DecodeError::ImportShape { key, found, .. } => {
            assert_eq!(key, "final_layer.conv_classifier.weight");
            assert_eq!(found, &[4, 40, 61, 1]);
        }
        other => panic!("expected ImportShape, got {other:?}"),
    }
}

#[test]
fn untrained_eegnet_does_not_match() {
    // The comparison can fail: the initial model is far from the file's.
    let device = Device::flex();
    let (_, x) = inputs(&device);
    let (_, want) = reference("eegnet_logits");
    let got = eegnet(&device)
        .forward(x)
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();
    assert!(max_abs_diff(&got, &want) > 1e-2);
}

#[test]
fn missing_key_is_named() {
    let err = load_pytorch(
        fixture("eegnet_missing_key.safetensors"),
        eegnet(&Device::flex()),
    )
    .unwrap_err();
    match &err {
        DecodeError::ImportMissingKeys { keys, .. } => {
            assert_eq!(keys, &["bnorm_1.running_var".to_owned()]);
        }
        other => panic!("expected ImportMissingKeys, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[test]
fn wrong_shape_names_key_and_shapes() {
    let err = load_pytorch(
        fixture("eegnet_wrong_shape.safetensors"),
        eegnet(&Device::flex()),
    )
    .unwrap_err();
    assert_eq!(
        err,
        DecodeError::ImportShape {
            path: fixture("eegnet_wrong_shape.safetensors")
                .display()
                .to_string(),
            key: "conv_temporal.weight".into(),
            expected: vec![8, 1, 1, 64],
            found: vec![8, 1, 1, 32],
        }
    );
    assert!(!err.is_retryable());
}

#[test]
fn unexpected_key_is_named() {
    let err = load_pytorch(fixture("eegnet_extra_key.pt"), eegnet(&Device::flex())).unwrap_err();
    match &err {
        DecodeError::ImportUnexpectedKeys { keys, .. } => {
            assert_eq!(keys, &["final_layer.extra.weight".to_owned()]);
        }
        other => panic!("expected ImportUnexpectedKeys, got {other:?}"),
    }
}

#[test]
fn garbage_files_are_format_errors() {
    let dir = std::env::temp_dir().join(format!("neuroloop-torch-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["garbage.pt", "garbage.safetensors"] {
        let path = dir.join(name);
        std::fs::write(&path, b"this is not a tensor file\0\x01\x02 at all").unwrap();
        let err = load_pytorch(&path, eegnet(&Device::flex())).unwrap_err();
        assert!(
            matches!(err, DecodeError::ImportFormat { .. }),
            "{name}: expected ImportFormat, got {err:?}"
        );
        assert!(!err.is_retryable());
    }
    // A truncated real file is no better, whichever part is cut off.
    for name in ["eegnet.safetensors", "eegnet.pt"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let path = dir.join(format!("truncated-{name}"));
        for keep in [bytes.len() / 2, bytes.len() - 100] {
            std::fs::write(&path, &bytes[..keep]).unwrap();
            let err = load_pytorch(&path, eegnet(&Device::flex())).unwrap_err();
            assert!(
                matches!(err, DecodeError::ImportFormat { .. }),
                "{name} cut at {keep}: {err:?}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_file_and_unknown_extension_are_file_errors() {
    let err = load_pytorch(fixture("absent.pt"), eegnet(&Device::flex())).unwrap_err();
    assert!(matches!(err, DecodeError::ImportFile { .. }), "{err:?}");
    let err = load_pytorch(fixture("keys.json"), eegnet(&Device::flex())).unwrap_err();
    assert!(matches!(err, DecodeError::ImportFile { .. }), "{err:?}");
    assert!(!err.is_retryable());
}
