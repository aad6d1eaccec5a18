//! A decoder architecture the runtime does not know (`nearest_mean`,
//! defined in the decode crate's tests) calibrated in a live session on
//! the simulated headset: the config is parsed with a registry that holds
//! it, the trainer thread fits it through the spec alone, the session
//! saves it as a bundle, and a second session loads that bundle.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use neuroloop_decode::bundle::Bundle;
use neuroloop_decode::fit::DecoderRegistry;
use neuroloop_runtime::config::{Registries, parse, parse_with};
use neuroloop_runtime::{StartOptions, start};

#[path = "../../neuroloop-decode/tests/nearest_mean/mod.rs"]
mod nearest_mean;

use nearest_mean::{NAME, NearestMean, NearestMeanSpec};

const FS: f64 = 250.0;
const SECONDS: f64 = 60.0;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo session (simulated headset, motor imagery), not live, with
/// `decoder` as its `[decoder]` section.
fn session_text(decoder: &str) -> String {
    let text = std::fs::read_to_string(repo().join("configs/demo.toml")).unwrap();
    let profile = repo().join("hardware-profiles/simulated.toml");
    let mut text = text
        .replace(
            r#"hardware_profile = "simulated""#,
            &format!("hardware_profile = {:?}", profile.display().to_string()),
        )
        .replace("realtime = true", "realtime = false");
    let decoder_at = text.find("[decoder]").unwrap();
    let policy_at = text.find("[policy]").unwrap();
    text.replace_range(decoder_at..policy_at, &format!("{decoder}\n"));
    text
}

fn registry() -> Arc<DecoderRegistry> {
    let mut r = DecoderRegistry::builtin();
    r.register(NearestMean);
    Arc::new(r)
}

fn run(cfg: neuroloop_runtime::ValidatedSession) -> neuroloop_runtime::SessionReport {
    let session = start(
        cfg,
        StartOptions {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            sample_limit: Some((SECONDS * FS) as u64),
            ..StartOptions::default()
        },
    )
    .unwrap();
    while !session.source_finished() {
        std::thread::sleep(Duration::from_millis(20));
    }
    session.finish().unwrap()
}

#[test]
fn a_registered_architecture_calibrates_in_a_session_and_its_bundle_reloads() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("registry-session");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("calibrate.toml");
    let text = session_text(&format!(
        "[decoder]\ntype = \"{NAME}\"\nhyperparameters = {{ temperature = 2.0 }}\n\
         calibration_s = 30.0\nlabel_delay_s = 0.5\nsave_bundle = \"saved\"\n"
    ));

    // The built-in registry refuses the name, listing what it knows.
    let errors = parse(&text, &path).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.path == "decoder.type" && e.message.contains("unknown decoder")),
        "{errors:?}"
    );
    // A bad hyperparameter is reported at its path by the architecture.
    let cold = text.replace("temperature = 2.0", "temperature = -1.0");
    let errors = parse_with(&cold, &path, &with(registry())).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.path.contains("nearest_mean.temperature")),
        "{errors:?}"
    );

    let cfg = parse_with(&text, &path, &with(registry())).unwrap();
    let spec = cfg.decoder.model_spec().unwrap();
    assert_eq!(spec.spec::<NearestMeanSpec>().unwrap().temperature, 2.0);
    let report = run(cfg);
    let training = report.training.as_ref().expect("trained");
    assert!(training.error.is_none(), "{training:?}");
    let p = &report.pipeline;
    assert!(p.calibration_windows > 0 && p.decoded > 0, "{p:?}");
    let accuracy = report.online_accuracy.expect("online accuracy");
    eprintln!("nearest_mean in a session: {training:?}, online accuracy {accuracy:.3}");
    // Two classes: a decoder that ignored the calibration would sit near 0.5.
    assert!(accuracy >= 0.8, "online accuracy {accuracy}");

    let saved = Bundle::load_with(dir.join("saved"), &registry()).unwrap();
    assert_eq!(saved.manifest().model.architecture(), NAME);
    assert!(
        Bundle::load(dir.join("saved")).is_err(),
        "not a built-in architecture"
    );

    // A second session decodes with the saved bundle from its first window.
    let load_path = dir.join("load.toml");
    let load_text = session_text("[decoder]\ntype = \"bundle\"\npath = \"saved\"\n");
    assert!(
        parse(&load_text, &load_path).is_err(),
        "the bundle needs the registry"
    );
    let loaded = run(parse_with(&load_text, &load_path, &with(registry())).unwrap());
    let p = &loaded.pipeline;
    assert_eq!(p.calibration_windows, 0, "{p:?}");
    assert_eq!(p.decoded, p.windows, "{p:?}");
    assert!(p.windows > 500, "{p:?}");
}

/// The built-in sources and stages with the decoders of `decoders`.
fn with(decoders: std::sync::Arc<neuroloop_decode::fit::DecoderRegistry>) -> Registries {
    Registries {
        decoders,
        ..Registries::builtin()
    }
}
