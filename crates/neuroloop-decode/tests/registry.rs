//! The decoder registry: the built-in architectures by name, and one
//! defined here (`nearest_mean`, in `nearest_mean/`) registered, fitted,
//! saved as a bundle, loaded back and decoding without allocating, with
//! no change to the decode crate.

use neuroloop_core::Window;
use neuroloop_decode::DecodeError;
use neuroloop_decode::bundle::{Bundle, BundleMeta};
use neuroloop_decode::fit::{DecoderRegistry, EpochSet, FitOptions, ModelSpec, fit};
use neuroloop_decode::synthetic::MotorImagery;

mod counting;
mod nearest_mean;

use counting::allocations;
use nearest_mean::{NAME, NearestMean, NearestMeanSpec};

const CHANNELS: usize = 8;
const SAMPLES: usize = 128;
const RATE: f64 = 128.0;

fn epochs(n: usize, seed: u64) -> EpochSet {
    let (x, y) = MotorImagery::new(CHANNELS, SAMPLES, RATE).generate(n, seed);
    EpochSet::new(
        CHANNELS,
        SAMPLES,
        RATE,
        vec!["left".into(), "right".into()],
        x,
        y,
    )
    .unwrap()
}

fn registry() -> DecoderRegistry {
    let mut r = DecoderRegistry::builtin();
    r.register(NearestMean);
    r
}

fn accuracy(probabilities: &[f32], labels: &[usize]) -> f64 {
    let hits = probabilities
        .chunks_exact(2)
        .zip(labels)
        .filter(|(p, y)| usize::from(p[1] > p[0]) == **y)
        .count();
    hits as f64 / labels.len() as f64
}

#[test]
fn builtin_registry_knows_the_fourteen_architectures() {
    let r = DecoderRegistry::builtin();
    let names: Vec<&str> = r.names().collect();
    assert_eq!(
        names,
        [
            "bandpower",
            "cca_lr",
            "csp_lda",
            "eegnet",
            "erp_mdm",
            "erp_tangent_space",
            "fbcsp",
            "mdm",
            "shallow_convnet",
            "stacked_tangent_space",
            "tangent_space",
            "transformer",
            "xdawn_mdm",
            "xdawn_tangent_space",
        ]
    );
    for name in &names {
        let spec = r.default_spec(name).unwrap();
        assert_eq!(spec.architecture(), *name);
        assert!(!r.description(name).unwrap().is_empty(), "{name}");
        // The JSON form round-trips through serde (the built-in registry).
        let text = serde_json::to_string(&spec).unwrap();
        assert!(
            text.starts_with(&format!(r#"{{"architecture":"{name}""#)),
            "{text}"
        );
        let back: ModelSpec = serde_json::from_str(&text).unwrap();
        assert_eq!(back, spec, "{text}");
    }
    assert!(!r.contains(NAME), "not built in");
}

#[test]
fn a_registered_architecture_is_found_by_name_and_its_spec_checked() {
    let r = registry();
    assert!(r.contains(NAME));
    let spec = r.default_spec(NAME).unwrap();
    assert_eq!(
        spec.spec::<NearestMeanSpec>(),
        Some(&NearestMeanSpec::default())
    );
    assert_eq!(
        serde_json::to_value(&spec).unwrap(),
        serde_json::json!({"architecture": NAME, "temperature": 1.0})
    );
    let from_json = r
        .spec_from_json(serde_json::json!({"architecture": NAME, "temperature": 2.0}))
        .unwrap();
    assert_eq!(
        from_json.spec::<NearestMeanSpec>().unwrap().temperature,
        2.0
    );

    // Every unknown field is refused at its path, with the known ones.
    let mut typos = serde_json::Map::new();
    typos.insert("temprature".into(), 2.0.into());
    typos.insert("scale".into(), 2.0.into());
    let Err(DecodeError::Config(errors)) = r.spec(NAME, typos) else {
        panic!("misspelt hyperparameters were accepted");
    };
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["nearest_mean.scale", "nearest_mean.temprature"]);
    assert!(
        errors[0].message.contains("known: temperature"),
        "{errors:?}"
    );
    // A value of the wrong type is serde's message, naming the field.
    let mut wrong = serde_json::Map::new();
    wrong.insert("temperature".into(), "warm".into());
    let Err(DecodeError::Config(errors)) = r.spec(NAME, wrong) else {
        panic!("a string temperature was accepted");
    };
    assert_eq!(errors[0].path, "nearest_mean hyperparameters");
    assert!(errors[0].message.contains("invalid type"), "{errors:?}");

    // A value out of range is reported at its path, before fitting.
    let mut cold = serde_json::Map::new();
    cold.insert("temperature".into(), (-1.0).into());
    let cold = r.spec(NAME, cold).unwrap();
    let classes = ["left".to_string(), "right".to_string()];
    let Err(DecodeError::Config(errors)) = cold.check_against(CHANNELS, SAMPLES, &classes, RATE)
    else {
        panic!("a negative temperature passed the check");
    };
    assert_eq!(errors[0].path, "nearest_mean.temperature");
    assert!(fit(&cold, &epochs(8, 1), &FitOptions::default(), &mut |_| {}).is_err());

    // The built-in registry does not know it.
    assert!(matches!(
        ModelSpec::named(NAME),
        Err(DecodeError::ArchitectureUnavailable(n)) if n == NAME
    ));
    assert!(
        serde_json::from_value::<ModelSpec>(serde_json::json!({"architecture": NAME})).is_err()
    );
}

#[test]
fn a_registered_architecture_fits_saves_loads_and_decodes_without_allocating() {
    let r = registry();
    let spec = r.default_spec(NAME).unwrap();
    let train = epochs(60, 1);
    let test = epochs(40, 2);
    let mut progress = 0;
    let model = fit(&spec, &train, &FitOptions::default(), &mut |_| {
        progress += 1;
    })
    .unwrap();
    assert_eq!(progress, 1);
    assert_eq!(model.report().architecture, NAME);
    let fitted = model.predict(&test).unwrap();
    let held_out = accuracy(&fitted, &test.labels);
    assert!(held_out >= 0.8, "held-out accuracy {held_out}");

    let dir = std::env::temp_dir().join(format!("neuroloop-registry-{}", std::process::id()));
    let meta = BundleMeta {
        channels: (0..CHANNELS).map(|c| format!("C{c}")).collect(),
        ..BundleMeta::default()
    };
    model.save_bundle(&dir, &meta).unwrap();
    let builtin = Bundle::load(&dir).unwrap_err();
    let bundle = Bundle::load_with(&dir, &r).unwrap();
    let manifest = Bundle::read_manifest_with(&dir, &r).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        matches!(&builtin, DecodeError::BundleManifest { message, .. }
            if message.contains("unknown architecture `nearest_mean`")),
        "{builtin}"
    );
    assert_eq!(manifest.model, spec);
    assert_eq!(manifest.weights, "nearest_mean.json");
    assert_eq!(
        bundle.model().predict(&test).unwrap(),
        fitted,
        "same model after loading"
    );

    let mut decoder = bundle.into_decoder().unwrap();
    assert_eq!(decoder.input_shape(), (CHANNELS, SAMPLES));
    let mut p = [0.0_f32; 2];
    let mut counts = Vec::new();
    for i in 0..2000 {
        let w = Window {
            index: i as u64,
            channels: CHANNELS,
            samples: SAMPLES,
            data: test.epoch(i % test.len()),
            oldest_time: 0.0,
            newest_time: 0.0,
            newest_arrival: 0.0,
        };
        let (result, made) = allocations(|| decoder.decode(&w, &mut p));
        result.unwrap();
        counts.push(made);
        if i < test.len() {
            assert_eq!(&p[..], &fitted[2 * i..2 * i + 2], "window {i}");
        }
    }
    assert!(
        counts.iter().all(|&c| c == 0),
        "allocations per decode: {counts:?}"
    );
}
