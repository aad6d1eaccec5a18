//! `neuroloop --help` lists every command, and `neuroloop score --help` and
//! `neuroloop replay --help` explain their flags.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_neuroloop");

fn help(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The subcommands declared in `main.rs` (the variants of `enum Command`),
/// in kebab case.
fn declared_commands() -> Vec<String> {
    let main = include_str!("../src/main.rs");
    let body = &main[main.find("enum Command {").unwrap()..];
    let body = &body[..body.find("\n}").unwrap()];
    body.lines()
        .filter_map(|l| {
            let l = l.strip_prefix("    ")?;
            let name: String = l.chars().take_while(char::is_ascii_alphanumeric).collect();
            (name.starts_with(|c: char| c.is_ascii_uppercase())).then(|| name.to_lowercase())
        })
        .collect()
}

#[test]
fn help_lists_every_command_with_a_description() {
    let commands = declared_commands();
    assert!(commands.len() >= 8, "{commands:?}");
    assert!(commands.contains(&"score".to_string()), "{commands:?}");
    assert!(commands.contains(&"replay".to_string()), "{commands:?}");
    let text = help(&["--help"]);
    for c in &commands {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{c} ")))
            .unwrap_or_else(|| panic!("{c} is not listed in\n{text}"));
        let words = line.split_whitespace().count();
        assert!(words >= 3, "{c} has no description: {line:?}");
    }
}

#[test]
fn score_help_explains_every_flag() {
    let text = help(&["score", "--help"]);
    let flags = [
        "--recording",
        "--events",
        "--tmin",
        "--tmax",
        "--channels",
        "--filters",
        "--config",
        "--hop",
        "--json",
    ];
    for flag in flags {
        let at = text
            .find(&format!("{flag} <"))
            .unwrap_or_else(|| panic!("{flag} missing in\n{text}"));
        // The flag's own text runs to the next flag.
        let rest = &text[at + flag.len()..];
        let end = rest.find("\n  -").unwrap_or(rest.len());
        let words = rest[..end].split_whitespace().count();
        assert!(words >= 6, "{flag} is not explained: {:?}", &rest[..end]);
    }
    // Every flag of the command is in the list above.
    let listed = text
        .lines()
        .filter(|l| l.trim_start().starts_with("--"))
        .count();
    assert_eq!(listed, flags.len(), "{text}");
    for word in ["BUNDLE", "mean probability", "bundle's"] {
        assert!(text.contains(word), "{word:?} missing in\n{text}");
    }
}

#[test]
fn replay_help_explains_its_file_flags_and_exit_status() {
    let text = help(&["replay", "--help"]);
    for flag in ["--config", "--bundle", "--json"] {
        let at = text
            .find(&format!("{flag} <"))
            .unwrap_or_else(|| panic!("{flag} missing in\n{text}"));
        let rest = &text[at + flag.len()..];
        let end = rest.find("\n  -").unwrap_or(rest.len());
        let words = rest[..end].split_whitespace().count();
        assert!(words >= 6, "{flag} is not explained: {:?}", &rest[..end]);
    }
    for word in [
        "FILE",
        "[record]",
        "bit for bit",
        "0 identical, 1 different, 2",
    ] {
        assert!(text.contains(word), "{word:?} missing in\n{text}");
    }
}
