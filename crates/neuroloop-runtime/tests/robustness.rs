//! Outside values never panic: every numeric key of every shipped config
//! (and of the simulated profile) gets edge and random values — 0,
//! negative, fractional, huge, NaN, ±inf, i64 extremes, wrong types — and
//! each edited config either fails validation with errors that name a key,
//! or validates and (simulated sources) runs a short session to its report.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use neuroloop_runtime::StartOptions;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Edge values, as TOML.
const EDGES: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.5",
    "-0.25",
    "3",
    "1e9",
    "1e300",
    "nan",
    "inf",
    "-inf",
    "9223372036854775807",
    "-9223372036854775808",
    "65537",
    "\"7\"",
    "true",
];

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A random integer or float of random magnitude and sign, as TOML.
    fn value(&mut self) -> String {
        let bits = self.next();
        let magnitude = 10f64.powi((bits % 24) as i32 - 6);
        let x = (self.next() % 10_000) as f64 / 10_000.0 * magnitude;
        let x = if bits & (1 << 40) == 0 { x } else { -x };
        if bits & (1 << 41) == 0 {
            format!("{}", x.round() as i64)
        } else {
            format!("{x:e}")
        }
    }
}

/// Paths of every numeric leaf (`["pipeline", "filters", "1", "order"]`).
fn numeric_leaves(value: &toml::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                path.push(k.clone());
                numeric_leaves(v, path, out);
                path.pop();
            }
        }
        toml::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                numeric_leaves(v, path, out);
                path.pop();
            }
        }
        toml::Value::Integer(_) | toml::Value::Float(_) => out.push(path.clone()),
        _ => {}
    }
}

fn set(value: &mut toml::Value, path: &[String], new: toml::Value) {
    let mut at = value;
    for key in path {
        at = match at {
            toml::Value::Table(t) => t.get_mut(key).unwrap(),
            toml::Value::Array(a) => &mut a[key.parse::<usize>().unwrap()],
            _ => unreachable!(),
        };
    }
    *at = new;
}

/// Parses one TOML value.
fn toml_value(text: &str) -> toml::Value {
    let doc: toml::Table = toml::from_str(&format!("v = {text}")).unwrap();
    doc["v"].clone()
}

/// Validates `text` (as the file `path`); if it validates and the source is
/// simulated, runs 20 samples and finishes. Panics are caught and returned.
fn exercise(text: &str, path: &Path) -> Result<&'static str, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        match neuroloop_runtime::parse(text, path) {
            Err(errors) => {
                assert!(!errors.is_empty());
                for e in &errors {
                    assert!(!e.path.is_empty() && !e.message.is_empty(), "{e}");
                }
                "refused"
            }
            Ok(cfg) if cfg.source.kind() == "sim" => {
                let options = StartOptions {
                    listen: Some("127.0.0.1:0".parse().unwrap()),
                    sample_limit: Some(20),
                    ..StartOptions::default()
                };
                match neuroloop_runtime::start(cfg, options) {
                    Ok(session) => {
                        let report = session.finish().expect("a started session reports");
                        assert!(report.samples_produced <= 20);
                        "ran"
                    }
                    // A clear error (e.g. the port) is fine; a panic is not.
                    Err(e) => {
                        assert!(!e.to_string().is_empty());
                        "start refused"
                    }
                }
            }
            Ok(_) => "validated",
        }
    }));
    outcome.map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn every_numeric_config_key_survives_edge_and_random_values() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut configs: Vec<PathBuf> = std::fs::read_dir(repo().join("configs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    configs.sort();
    assert!(configs.len() >= 8, "{configs:?}");
    for config in &configs {
        let text = std::fs::read_to_string(config).unwrap();
        let doc: toml::Value = toml::from_str(&text).unwrap();
        let mut leaves = Vec::new();
        numeric_leaves(&doc, &mut Vec::new(), &mut leaves);
        assert!(!leaves.is_empty(), "{}", config.display());
        for leaf in &leaves {
            let mut values: Vec<String> = EDGES.iter().map(|s| (*s).to_string()).collect();
            values.extend((0..4).map(|_| rng.value()));
            for value in values {
                let mut edited = doc.clone();
                set(&mut edited, leaf, toml_value(&value));
                let edited = toml::to_string(&edited).unwrap();
                match exercise(&edited, config) {
                    Ok(outcome) => *counts.entry(outcome).or_default() += 1,
                    Err(panic) => failures.push(format!(
                        "{} {} = {value}: panicked: {panic}",
                        config.display(),
                        leaf.join(".")
                    )),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // Both outcomes happen: the edits are not all refused, nor all taken.
    assert!(counts["refused"] > 100 && counts["ran"] > 20, "{counts:?}");
}

#[test]
fn every_numeric_profile_key_survives_edge_values() {
    let dir = std::env::temp_dir().join(format!("neuroloop-profile-props-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("configs")).unwrap();
    std::fs::create_dir_all(dir.join("hardware-profiles")).unwrap();
    let config = dir.join("configs/demo.toml");
    std::fs::copy(repo().join("configs/demo.toml"), &config).unwrap();
    let text = std::fs::read_to_string(config.as_path()).unwrap();
    let profile = std::fs::read_to_string(repo().join("hardware-profiles/simulated.toml")).unwrap();
    let doc: toml::Value = toml::from_str(&profile).unwrap();
    let mut leaves = Vec::new();
    numeric_leaves(&doc, &mut Vec::new(), &mut leaves);
    let mut failures = Vec::new();
    for leaf in &leaves {
        for value in EDGES {
            let mut edited = doc.clone();
            set(&mut edited, leaf, toml_value(value));
            std::fs::write(
                dir.join("hardware-profiles/simulated.toml"),
                toml::to_string(&edited).unwrap(),
            )
            .unwrap();
            if let Err(panic) = exercise(&text, &config) {
                failures.push(format!("{} = {value}: {panic}", leaf.join(".")));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
