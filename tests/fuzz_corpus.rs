//! Runs every committed seed of the `model_ops` fuzz target (`fuzz/seeds/model_ops/`) through
//! the same code the target runs (`qwave_sim::fuzz::run_bytes`), on stable, so the corpus
//! stays a regression suite without cargo-fuzz.

use std::path::Path;

#[test]
fn model_ops_seed_corpus_runs_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/model_ops");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "seed corpus has only {} files", files.len());
    let mut failures = Vec::new();
    let mut steps = 0usize;
    for f in &files {
        let data = std::fs::read(f).expect("read seed");
        steps += count_steps(&data);
        if let Err(e) = qwave_sim::fuzz::run_bytes(&data) {
            failures.push(format!("{}:\n{e}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus must exercise something: a corpus of empty runs would pass vacuously.
    assert!(
        steps >= 50 * files.len() / 10,
        "seed corpus drives only {steps} steps"
    );
}

fn count_steps(data: &[u8]) -> usize {
    let mut u = arbitrary::Unstructured::new(data);
    <qwave_sim::fuzz::Run as arbitrary::Arbitrary>::arbitrary(&mut u).map_or(0, |r| r.ops.len())
}

/// The files of a directory, sorted.
fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// `fuzz/seeds/scenario_text/` is a copy of `scenarios/*.ron`: the library's scenarios seed the
/// fuzzer, and a scenario added to the library must be added to the seeds too.
#[test]
fn scenario_text_seeds_match_the_scenario_library() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib: Vec<_> = files_in(&root.join("scenarios"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    let seeds = files_in(&root.join("fuzz/seeds/scenario_text"));
    let names = |v: &[std::path::PathBuf]| -> Vec<String> {
        v.iter()
            .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(
        names(&seeds),
        names(&lib),
        "copy scenarios/*.ron into fuzz/seeds/scenario_text/"
    );
    for (s, l) in seeds.iter().zip(&lib) {
        assert_eq!(
            std::fs::read(s).expect("seed"),
            std::fs::read(l).expect("scenario"),
            "{} differs from {}",
            s.display(),
            l.display()
        );
    }
}

/// Every scenario seed (and so every library scenario) parses and runs through the
/// `scenario_text` body without a panic or a broken invariant.
#[test]
fn scenario_text_seed_corpus_runs_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/scenario_text");
    let files = files_in(&dir);
    assert!(files.len() >= 10, "seed corpus has only {} files", files.len());
    for f in &files {
        let data = std::fs::read(f).expect("read seed");
        match qwave_sim::fuzz::scenario_bytes(&data) {
            Ok(parsed) => assert!(parsed, "{} does not parse", f.display()),
            Err(e) => panic!("{}:\n{e}", f.display()),
        }
    }
}

/// Every `windows_sys_ops` seed runs through the target's body without a panic, a broken
/// invariant or a broken last-error rule.
#[test]
fn windows_sys_ops_seed_corpus_runs_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/windows_sys_ops");
    let files = files_in(&dir);
    assert!(files.len() >= 20, "seed corpus has only {} files", files.len());
    let mut failures = Vec::new();
    let mut calls = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("read seed");
        match qwave_sim::fuzz::windows_sys_calls(&data) {
            Ok(log) => calls.extend(log),
            Err(e) => failures.push(format!("{}:\n{e}", f.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Not vacuous: the seeds reach the success paths and overlapped requests, not only
    // argument errors.
    for (call, result) in [
        ("QOSCreateHandle(", "-> TRUE"),
        ("QOSAddSocketToFlow(", "-> TRUE"),
        ("socket(", "(last error 0xdeadbeef)"),
        ("QOS", "last error 0x3e5)"), // ERROR_IO_PENDING
        ("QOS", "last error 0x57)"),  // ERROR_INVALID_PARAMETER
        ("QOS", "last error 0x6)"),   // ERROR_INVALID_HANDLE
    ] {
        assert!(
            calls.iter().any(|c| c.starts_with(call) && c.contains(result)),
            "no `{call}…{result}` in the {} calls of the seed corpus; the first ones:\n{}",
            calls.len(),
            calls[..calls.len().min(12)].join("\n")
        );
    }
}
