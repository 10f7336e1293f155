//! The README's "Testing your app" snippets that rustdoc cannot run: the Cargo.toml pieces and
//! the `ignore`d Rust lines (file-module declarations). Each must be what the example app crate
//! (`examples/voice_app_crate`, built and tested by CI) actually uses, so none of them can rot.
//! The Rust snippets rustdoc can run are doctests (`sim/lib.rs` includes the README).

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The code blocks of the README's "Testing your app" section: (info string, lines).
fn blocks() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("\n## Testing your app").expect("the section");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in section.lines() {
        let t = line.trim_start();
        if let Some(info) = t.strip_prefix("```") {
            match current.take() {
                Some(block) => out.push(block),
                None => current = Some((info.to_string(), Vec::new())),
            }
        } else if let Some((_, lines)) = &mut current {
            lines.push(t.to_string());
        }
    }
    assert!(current.is_none(), "an unclosed code block");
    out
}

/// A Cargo.toml line as the example crate spells it: a path dependency where users put a
/// version, and the example's extra `fuzz` feature ignored.
fn toml_norm(line: &str) -> String {
    line.replace("version = \"0.1\"", "path = \"../..\"")
        .replace(", features = [\"fuzz\"]", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn meaningful(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#') && !t.starts_with("//")
}

#[test]
fn the_cargo_toml_snippets_are_the_example_crates() {
    let manifest = std::fs::read_to_string(root().join("examples/voice_app_crate/Cargo.toml")).unwrap();
    let have: Vec<String> = manifest
        .lines()
        .filter(|l| meaningful(l))
        .map(toml_norm)
        .collect();
    let toml: Vec<_> = blocks().into_iter().filter(|(info, _)| info == "toml").collect();
    assert!(toml.len() >= 2, "the unit-test and integration-test setups");
    let mut checked = 0;
    for (_, lines) in toml {
        for l in lines.iter().filter(|l| meaningful(l)) {
            assert!(
                have.contains(&toml_norm(l)),
                "README line `{l}` is not in examples/voice_app_crate/Cargo.toml"
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "{checked} lines");
}

#[test]
fn the_rust_snippets_rustdoc_skips_are_lines_of_the_example_crate() {
    let mut ignored = 0;
    for (info, lines) in blocks() {
        if !info.starts_with("rust") {
            continue;
        }
        assert!(
            info == "rust" || info == "rust,ignore",
            "`{info}`: run it as a doctest, or mark it `rust,ignore` and name its file"
        );
        if info == "rust" {
            continue;
        }
        ignored += 1;
        let file = lines
            .first()
            .and_then(|l| l.strip_prefix("// "))
            .unwrap_or_else(|| panic!("an ignored snippet names its file in its first line: {lines:?}"));
        let text = std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let have: Vec<&str> = text.lines().map(str::trim).collect();
        for l in lines.iter().skip(1).filter(|l| meaningful(l)) {
            assert!(have.contains(&l.trim()), "README line `{l}` is not in {file}");
        }
    }
    assert!(ignored >= 1);
}

#[test]
fn the_unit_test_cfg_lines_are_the_example_crates() {
    // The doctest runs the `src/qos.rs` snippet; its cfg lines must be the example's too.
    let qos = std::fs::read_to_string(root().join("examples/voice_app_crate/src/qos.rs")).unwrap();
    let qos: Vec<&str> = qos.lines().map(str::trim).collect();
    let snippet = blocks()
        .into_iter()
        .find(|(info, lines)| info == "rust" && lines.first().is_some_and(|l| l.starts_with("// src/qos.rs")))
        .expect("the src/qos.rs snippet")
        .1;
    for l in ["#[cfg(not(windows))]", "use qwave_sim::windows;"] {
        assert!(snippet.iter().any(|s| s == l), "README lacks `{l}`");
        assert!(qos.contains(&l), "the example lacks `{l}`");
    }
}
