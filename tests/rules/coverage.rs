//! Coverage of `RULES.md`: every rule line there (`- \`ADD-3\` ...`) is parsed at test time, and
//! every testable id must have a `#[test]` somewhere under `tests/` whose name starts with the id
//! in snake case (`ADD-3` -> `add_3_`). A test that proves several rules starts with their ids one
//! after another (`gen_5_cre_10_...` proves GEN-5 and CRE-10). `RULES.md` is the only list: the
//! library carries no copy of it.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `RULES.md`, read when this test is compiled (a change to it rebuilds the test).
const RULES_MD: &str = include_str!("../../RULES.md");

/// One rule line of `RULES.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    /// The id, `ADD-3`, `SET-6b`, `SIM-1`.
    id: String,
    /// The rest of the line after the id.
    text: String,
    /// False when the line says `*Not testable:*` (the reason follows).
    testable: bool,
}

/// Every rule line of `text` (lines starting with "- `ID`"), in order.
fn parse_rules(text: &str) -> Vec<Rule> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("- `")?;
            let (id, tail) = rest.split_once('`')?;
            Some(Rule {
                id: id.to_string(),
                text: tail.trim().to_string(),
                testable: !tail.contains("*Not testable:*"),
            })
        })
        .collect()
}

/// The rules of `RULES.md`.
fn rules() -> Vec<Rule> {
    parse_rules(RULES_MD)
}

/// The prefix a test proving `id` starts with: `ADD-3` -> `add_3_`, `SET-6b` -> `set_6b_`.
fn test_prefix(id: &str) -> String {
    let mut p = id.to_ascii_lowercase().replace('-', "_");
    p.push('_');
    p
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// The rule ids a test name starts with, in snake case with a trailing `_`: `gen_5_cre_10_x`
/// gives `["gen_5_", "cre_10_"]`. Each id is a known rule prefix (`gen`, `set`, ...), `_`, and
/// digits with an optional sub-rule letter; the chain ends at the first part that is not one.
fn leading_ids(name: &str) -> Vec<String> {
    let prefixes: BTreeSet<String> = rules()
        .iter()
        .filter_map(|r| r.id.split_once('-'))
        .map(|(p, _)| p.to_ascii_lowercase())
        .collect();
    let is_num = |p: &str| {
        let digits = p.trim_end_matches(|c: char| c.is_ascii_lowercase());
        !digits.is_empty() && p.len() - digits.len() <= 1 && digits.bytes().all(|b| b.is_ascii_digit())
    };
    let parts: Vec<&str> = name.split('_').collect();
    let mut ids = Vec::new();
    let mut i = 0;
    while i + 1 < parts.len() && prefixes.contains(parts[i]) && is_num(parts[i + 1]) {
        ids.push(format!("{}_{}_", parts[i], parts[i + 1]));
        i += 2;
    }
    ids
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
fn rules_md_ids_are_unique_and_well_formed() {
    let rules = rules();
    assert!(
        rules.len() > 200,
        "RULES.md lists only {} rules: parsing broke?",
        rules.len()
    );
    let mut seen = BTreeSet::new();
    for r in &rules {
        assert!(seen.insert(r.id.as_str()), "{} listed twice in RULES.md", r.id);
        let (prefix, num) = r.id.split_once('-').expect("PREFIX-n");
        assert!(
            !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_uppercase()),
            "{}",
            r.id
        );
        let digits = num.trim_end_matches(|c: char| c.is_ascii_lowercase());
        assert!(
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
            "{}",
            r.id
        );
        assert!(!r.text.is_empty(), "{} says nothing", r.id);
    }
}

#[test]
fn parse_rules_reads_ids_and_testability() {
    let md = "# T\n\n- `ADD-3` A thing gives 87.\n- `RW-7` DLLs. *Not testable:* outside the model.\nprose `X-1`\n";
    let rules = parse_rules(md);
    let got: Vec<(&str, bool)> = rules.iter().map(|r| (r.id.as_str(), r.testable)).collect();
    assert_eq!(got, [("ADD-3", true), ("RW-7", false)]);
    assert_eq!(rules[0].text, "A thing gives 87.");
    assert_eq!(test_prefix("ADD-3"), "add_3_");
    assert_eq!(test_prefix("SET-6b"), "set_6b_");
    let all = self::rules();
    let testable = |id: &str| all.iter().find(|r| r.id == id).map(|r| r.testable);
    assert_eq!(testable("AMB-12"), Some(true));
    assert_eq!(testable("GEN-13"), Some(false));
    assert_eq!(testable("XYZ-1"), None);
}

#[test]
fn test_names_are_found_after_attributes() {
    let src = "#[test]\n#[allow(x)]\nfn a_1_x() {}\nfn helper() {}\n#[test]\n  pub fn b_2_y() {}\n";
    assert_eq!(test_names(src), ["a_1_x", "b_2_y"]);
}

#[test]
fn leading_ids_reads_a_chain_of_rule_ids() {
    assert_eq!(leading_ids("add_3_ipv4_sockaddr"), ["add_3_"]);
    assert_eq!(leading_ids("gen_5_cre_10_completions"), ["gen_5_", "cre_10_"]);
    assert_eq!(leading_ids("set_6b_rate_0_ends_marking"), ["set_6b_"]);
    assert_eq!(leading_ids("tt_1_8021p_only"), ["tt_1_"]);
    assert_eq!(leading_ids("gen_10_flags"), ["gen_10_"]);
    assert_eq!(
        leading_ids("amb_4_add_3_rw_3_same_call"),
        ["amb_4_", "add_3_", "rw_3_"]
    );
    assert!(leading_ids("helper_test").is_empty());
    assert!(leading_ids("version_1_0_is_accepted").is_empty());
}

#[test]
fn every_testable_rule_has_a_test_named_after_it() {
    let proven: BTreeSet<String> = all_test_names().iter().flat_map(|n| leading_ids(n)).collect();
    let missing: Vec<String> = rules()
        .into_iter()
        .filter(|r| r.testable && !proven.contains(&test_prefix(&r.id)))
        .map(|r| r.id)
        .collect();
    assert!(
        missing.is_empty(),
        "{} testable rules have no test named after them: {}",
        missing.len(),
        missing.join(", ")
    );
}
