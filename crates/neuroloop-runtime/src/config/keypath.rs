//! Names the key of a type error: a section that does not deserialise is
//! read again from the file text, where toml knows the byte span of the
//! offending value, and the span is turned into `section.key` (the table
//! header above it, then the key before the `=`).

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

/// Deserialises only the root table's `name` entry as `T`.
struct Section<'a, T> {
    name: &'a str,
    ty: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Section<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == self.name {
                map.next_value::<T>()?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Section<'_, T> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// The config path of the value that makes section `name` of `text` fail
/// to deserialise as `T`, e.g. `decoder.calibration_s`; `None` if the
/// text-based pass finds no spanned error.
pub(super) fn locate<T: DeserializeOwned>(text: &str, name: &str) -> Option<String> {
    let de = toml::Deserializer::parse(text).ok()?;
    let seed = Section::<T> {
        name,
        ty: PhantomData,
    };
    let error = seed.deserialize(de).err()?;
    let span = error.span()?;
    let at = key_at(text, span.start, name);
    // A span on a whole table (no `key =` before it) names no key.
    at.contains('.').then_some(at)
}

/// The leaf of `value` (a section, at config path `base`) whose removal
/// changes the deserialisation error `message` of `T`: the key of an error
/// inside an internally tagged table, where toml keeps no span. Each leaf
/// is tried once (a removed required key gives another message).
pub(super) fn locate_by_removal<T: DeserializeOwned>(
    value: &toml::Value,
    base: &str,
    message: &str,
) -> Option<String> {
    let mut leaves = Vec::new();
    collect_leaves(value, &mut Vec::new(), &mut leaves);
    let join = |path: &[String]| {
        let mut at = base.to_string();
        for key in path {
            at.push('.');
            at.push_str(key);
        }
        at
    };
    // "unknown field `x`" names the key itself.
    if let Some(name) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        return leaves
            .iter()
            .find(|p| p.last().is_some_and(|k| k == name))
            .map(|p| join(p));
    }
    // Otherwise the leaf whose removal clears the error, or turns it into
    // "missing field" for that very leaf (a required key of a wrong type).
    leaves.into_iter().find_map(|path| {
        let mut probe = value.clone();
        remove(&mut probe, &path);
        let culprit = match probe.try_into::<T>() {
            Ok(_) => true,
            Err(e) => path
                .last()
                .is_some_and(|k| e.message().starts_with(&format!("missing field `{k}`"))),
        };
        culprit.then(|| join(&path))
    })
}

/// Paths of every leaf under tables (arrays count as leaves).
fn collect_leaves(value: &toml::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                path.push(k.clone());
                collect_leaves(v, path, out);
                path.pop();
            }
        }
        _ if !path.is_empty() => out.push(path.clone()),
        _ => {}
    }
}

fn remove(value: &mut toml::Value, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            if let toml::Value::Table(t) = value {
                t.remove(last);
            }
        }
        [first, rest @ ..] => {
            if let Some(v) = value.get_mut(first.as_str()) {
                remove(v, rest);
            }
        }
    }
}

/// Deserialises `value`, the root table's `name` entry in the file
/// `text`, as `T`; a type error names its key (`name.key`), found again in
/// the text or, failing that, by removing keys one at a time.
///
/// # Errors
/// The error at its config path.
pub(crate) fn deserialize_at<T: DeserializeOwned>(
    text: &str,
    value: &toml::Value,
    name: &str,
) -> Result<T, neuroloop_core::ConfigError> {
    value.clone().try_into().map_err(|e: toml::de::Error| {
        let at = locate::<T>(text, name)
            .or_else(|| locate_by_removal::<T>(value, name, e.message()))
            .unwrap_or_else(|| name.to_string());
        neuroloop_core::ConfigError::new(at, e.message().to_string())
    })
}

/// `header.key` of the value starting at byte `offset` of `text`.
pub(crate) fn key_at(text: &str, offset: usize, section: &str) -> String {
    let offset = (0..=offset.min(text.len()))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    let header = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map_or_else(
            || section.to_string(),
            |l| {
                l.trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            },
        );
    let line = &before[line_start..];
    let key = line.rfind('=').map(|eq| {
        line[..eq]
            .rsplit(['{', ',', ' ', '\t'])
            .find(|w| !w.trim().is_empty())
            .unwrap_or("")
            .trim()
            .trim_matches('"')
            .to_string()
    });
    match key {
        Some(k) if !k.is_empty() => format!("{header}.{k}"),
        _ => header,
    }
}

#[cfg(test)]
mod tests {
    use super::key_at;

    #[test]
    fn finds_header_and_key() {
        let text = "[session]\nname = \"x\"\n\n[decoder]\ntype = \"bandpower\"\ncalibration_s = \"long\"\n";
        let at = text.find("\"long\"").unwrap_or(0);
        assert_eq!(key_at(text, at, "decoder"), "decoder.calibration_s");
        let inline = "[pipeline]\nfilters = [ { type = \"notch\", freq_hz = \"a\" } ]\n";
        let at = inline.find("\"a\"").unwrap_or(0);
        assert_eq!(key_at(inline, at, "pipeline"), "pipeline.freq_hz");
    }
}
