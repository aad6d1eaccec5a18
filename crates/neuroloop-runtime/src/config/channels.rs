//! `[pipeline] channels`: which of the source stream's channels the
//! pipeline reads.
//!
//! Named by label (case-insensitive, in the order given), or by default
//! every channel of the profile's main kind (`channel_kind`, EEG unless it
//! says otherwise; see [`crate::channel_kinds`]), so that the counters,
//! trigger words and motion channels a headset's LSL application puts in
//! its EEG stream never reach the filters, the artifact detector or the
//! decoder. The ring stores only these channels
//! ([`neuroloop_core::channel_pick`]).

use neuroloop_core::channel_pick::ChannelPick;
use neuroloop_core::{ConfigError, StreamSpec};

/// The source's stream narrowed to the channels the pipeline reads.
#[derive(Debug, Clone)]
pub struct ChannelSelection {
    /// Which channels of a source sample the ring keeps.
    pub pick: ChannelPick,
    /// The stream the pipeline reads.
    pub spec: StreamSpec,
}

/// The channels `labels` names of `stream`; when `labels` is `None`, every
/// channel of kind `main_kind` (case-insensitive).
///
/// # Errors
/// Every problem at `pipeline.channels`: an empty list, a label the stream
/// lacks (the message lists the stream's labels), a label named twice, or
/// a stream with no channel of `main_kind` to decode by default.
pub fn select_channels(
    labels: Option<&[String]>,
    stream: &StreamSpec,
    main_kind: &str,
) -> Result<ChannelSelection, Vec<ConfigError>> {
    let keep = match labels {
        Some(labels) => by_label(labels, stream)?,
        None => stream
            .channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind.eq_ignore_ascii_case(main_kind))
            .map(|(i, _)| i)
            .collect(),
    };
    let pick = ChannelPick::new(stream.channel_count(), keep).map_err(|_| {
        vec![ConfigError::new(
            "pipeline.channels",
            format!(
                "the stream {:?} has no channel of kind {main_kind:?} to decode; name the \
                 channels to decode here",
                stream.name
            ),
        )]
    })?;
    let spec = StreamSpec {
        channels: pick
            .kept()
            .iter()
            .map(|&i| stream.channels[i].clone())
            .collect(),
        ..stream.clone()
    };
    Ok(ChannelSelection { pick, spec })
}

/// The indices of `labels` in `stream`, in the order given.
fn by_label(labels: &[String], stream: &StreamSpec) -> Result<Vec<usize>, Vec<ConfigError>> {
    if labels.is_empty() {
        return Err(vec![ConfigError::new(
            "pipeline.channels",
            "an empty list decodes nothing; leave the key out to decode the profile's \
             channel_kind channels",
        )]);
    }
    let mut keep = Vec::with_capacity(labels.len());
    let mut errors = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let at = format!("pipeline.channels[{i}]");
        match stream.channel_index(label) {
            Some(index) if keep.contains(&index) => {
                errors.push(ConfigError::new(at, format!("{label:?} is named twice")));
            }
            Some(index) => keep.push(index),
            None => errors.push(ConfigError::new(
                at,
                format!(
                    "unknown channel label {label:?}; the stream has: {}",
                    stream.labels().collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(keep)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use neuroloop_core::ChannelSpec;

    use super::*;

    /// Trigger, three EEG channels, a counter.
    fn stream() -> StreamSpec {
        let channel = |label: &str, kind: &str| ChannelSpec {
            label: label.into(),
            kind: kind.into(),
            unit: "microvolts".into(),
        };
        StreamSpec {
            name: "amp".into(),
            channels: vec![
                channel("Trig1", "Trigger"),
                channel("C3", "EEG"),
                channel("Cz", "EEG"),
                channel("C4", "EEG"),
                channel("Counter", "Counter"),
            ],
            sample_rate: 512.0,
            block_size: 16,
        }
    }

    fn labels(selection: &ChannelSelection) -> Vec<&str> {
        selection.spec.labels().collect()
    }

    #[test]
    fn by_default_the_channels_of_the_main_kind_are_decoded() {
        let s = select_channels(None, &stream(), "eeg").unwrap();
        assert_eq!(s.pick.kept(), &[1, 2, 3]);
        assert_eq!(labels(&s), ["C3", "Cz", "C4"]);
        assert_eq!((s.spec.sample_rate, s.spec.name.as_str()), (512.0, "amp"));
    }

    #[test]
    fn named_channels_are_decoded_in_the_order_given() {
        let named = ["c4".to_string(), "Trig1".into()];
        let s = select_channels(Some(&named), &stream(), "EEG").unwrap();
        assert_eq!(s.pick.kept(), &[3, 0]);
        assert_eq!(labels(&s), ["C4", "Trig1"]);
    }

    #[test]
    fn every_wrong_name_is_reported_at_its_place() {
        let named = ["C3".to_string(), "Fz".into(), "c3".into()];
        let errors = select_channels(Some(&named), &stream(), "EEG").unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[0].starts_with("pipeline.channels[1]: unknown channel label \"Fz\""));
        assert!(
            text[0].contains("Trig1, C3, Cz, C4, Counter"),
            "{}",
            text[0]
        );
        assert!(text[1].starts_with("pipeline.channels[2]: \"c3\" is named twice"));
        let empty = select_channels(Some(&[]), &stream(), "EEG").unwrap_err();
        assert!(empty[0].to_string().contains("empty list"));
    }

    #[test]
    fn a_stream_without_its_main_kind_needs_named_channels() {
        let errors = select_channels(None, &stream(), "EMG").unwrap_err();
        assert!(
            errors[0].to_string().contains("no channel of kind \"EMG\""),
            "{errors:?}"
        );
    }
}
