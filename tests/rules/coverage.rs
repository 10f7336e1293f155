//! Coverage of `RULES.md`: the list there and `qwave_sim::rules::RULES` name the same ids, and
//! every testable id has a `#[test]` somewhere under `tests/` whose name starts with the id in
//! snake case (`ADD-3` -> `add_3_`).
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use qwave_sim::rules::{test_prefix, RULES};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(id, testable)` of every rule line of `RULES.md` (lines starting with "- `ID`").
fn rules_md() -> Vec<(String, bool)> {
    let text = std::fs::read_to_string(root().join("RULES.md")).expect("RULES.md at the repo root");
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("- `")?;
            let (id, tail) = rest.split_once('`')?;
            Some((id.to_string(), !tail.contains("*Not testable:*")))
        })
        .collect()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable tests dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Names of the functions marked `#[test]` in `src` (attributes between them are skipped).
fn test_names(src: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut armed = false;
    for line in src.lines().map(str::trim) {
        if line.starts_with("#[test]") {
            armed = true;
            continue;
        }
        if !armed {
            continue;
        }
        if line.starts_with("#[") || line.starts_with("//") || line.is_empty() {
            continue;
        }
        armed = false;
        let Some(after) = line.split("fn ").nth(1) else {
            continue;
        };
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

fn all_test_names() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&root().join("tests"), &mut files);
    files
        .iter()
        .flat_map(|f| test_names(&std::fs::read_to_string(f).expect("readable test file")))
        .collect()
}

#[test]
fn rules_md_and_rules_rs_list_the_same_ids() {
    let md = rules_md();
    let rs: Vec<(String, bool)> = RULES.iter().map(|r| (r.id.to_string(), r.testable)).collect();
    let md_ids: BTreeSet<&String> = md.iter().map(|(id, _)| id).collect();
    let rs_ids: BTreeSet<&String> = rs.iter().map(|(id, _)| id).collect();
    let only_md: Vec<_> = md_ids.difference(&rs_ids).collect();
    let only_rs: Vec<_> = rs_ids.difference(&md_ids).collect();
    assert!(
        only_md.is_empty() && only_rs.is_empty(),
        "only in RULES.md: {only_md:?}; only in sim/rules.rs: {only_rs:?}"
    );
    assert_eq!(md.len(), md_ids.len(), "an id appears twice in RULES.md");
    assert_eq!(md, rs, "RULES.md and sim/rules.rs differ in order or testability");
}

#[test]
fn test_names_are_found_after_attributes() {
    let src = "#[test]\n#[allow(x)]\nfn a_1_x() {}\nfn helper() {}\n#[test]\n  pub fn b_2_y() {}\n";
    assert_eq!(test_names(src), ["a_1_x", "b_2_y"]);
}

#[test]
fn every_testable_rule_has_a_test_named_after_it() {
    let names = all_test_names();
    let missing: Vec<&str> = RULES
        .iter()
        .filter(|r| r.testable)
        .filter(|r| {
            let p = test_prefix(r.id);
            !names.iter().any(|n| n.starts_with(&p))
        })
        .map(|r| r.id)
        .collect();
    assert!(
        missing.is_empty(),
        "{} testable rules have no test named after them: {}",
        missing.len(),
        missing.join(", ")
    );
}
