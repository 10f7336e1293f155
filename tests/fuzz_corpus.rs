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
