//! `qwave-sim explore`: one scenario with a fault plan over many seeds, in parallel (rayon),
//! with a progress bar on a terminal (indicatif). Seeds run in batches; within a batch results
//! are kept in seed order, so the first failure, and the summary of every seed up to it, are the
//! same whatever the number of jobs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use qwave_sim::scenario::{self, RunOptions, RunReport, Scenario};
use rayon::prelude::*;

use super::{load, report_failures, Out, Status};

/// Seeds run between two looks for a failure.
const BATCH: usize = 256;

/// An inclusive range of seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    first: u64,
    last: u64,
}

/// `--seeds`: `A..B` or `A..=B` (both ends included), or one seed.
pub fn parse_seeds(s: &str) -> Result<Seeds, String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("`{t}` is not a seed (an unsigned 64-bit integer)"))
    };
    let (first, last) = match s.split_once("..") {
        Some((a, b)) => (num(a)?, num(b.strip_prefix('=').unwrap_or(b))?),
        None => (num(s)?, num(s)?),
    };
    if last < first {
        return Err(format!("`{s}`: the range is empty ({last} < {first})"));
    }
    Ok(Seeds { first, last })
}

/// `--shard I/N`: the I-th of N shards, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    index: u64,
    count: u64,
}

/// Parses `I/N` with 1 ≤ I ≤ N.
pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let bad = || format!("`{s}` is not a shard like `2/4` (shard I of N, 1 ≤ I ≤ N)");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, count) = (
        i.trim().parse::<u64>().map_err(|_| bad())?,
        n.trim().parse::<u64>().map_err(|_| bad())?,
    );
    if index == 0 || count == 0 || index > count {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

impl Seeds {
    /// The seeds of `shard`, in order.
    fn of_shard(self, shard: Shard) -> impl Iterator<Item = u64> {
        let skip = shard.index - 1;
        (self.first..=self.last)
            .enumerate()
            .filter(move |(i, _)| *i as u64 % shard.count == skip)
            .map(|(_, s)| s)
    }
}

/// What one seed did.
struct Outcome {
    seed: u64,
    steps: usize,
    /// Kinds of the planned faults that fired (`DeviceReset`, …).
    faults: Vec<String>,
    /// The run, kept only when it failed.
    failed: Option<RunReport>,
}

fn run_seed(s: &Scenario, seed: u64) -> Outcome {
    let report = scenario::run(
        s,
        &RunOptions {
            seed: Some(seed),
            ..RunOptions::default()
        },
    );
    Outcome {
        seed,
        steps: report.steps_run,
        faults: report
            .planned
            .iter()
            .map(|(_, f)| f.split(['(', ' ']).next().unwrap_or(f).to_string())
            .collect(),
        failed: (!report.passed()).then_some(report),
    }
}

/// The outcomes of the seeds run, summed up: what `explore` prints on stdout. Depends only on
/// the scenario and the seeds, never on jobs or time.
#[derive(Default)]
struct Summary {
    runs: u64,
    passed: u64,
    failed: u64,
    steps: u64,
    by_count: BTreeMap<usize, u64>,
    faults: BTreeMap<String, u64>,
}

impl Summary {
    fn add(&mut self, o: &Outcome) {
        self.runs += 1;
        if o.failed.is_some() {
            self.failed += 1;
        } else {
            self.passed += 1;
        }
        self.steps += o.steps as u64;
        *self.by_count.entry(o.faults.len()).or_default() += 1;
        for f in &o.faults {
            *self.faults.entry(f.clone()).or_default() += 1;
        }
    }

    fn render(&self, file: &str, seeds: Seeds, shard: Option<Shard>, stopped: Option<u64>) -> String {
        let mut s = String::new();
        let shard = shard.map_or_else(String::new, |sh| format!(" (shard {}/{})", sh.index, sh.count));
        let _ = writeln!(
            s,
            "explore {file}: seeds {}..{}{shard}: {} run, {} passed, {} failed",
            seeds.first, seeds.last, self.runs, self.passed, self.failed
        );
        if let Some(seed) = stopped {
            let _ = writeln!(s, "  stopped at the first failure: seed {seed}");
        }
        let counts: Vec<String> = self.by_count.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        let _ = writeln!(s, "  runs by planned faults fired: {}", counts.join(", "));
        let faults: Vec<String> = self.faults.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        let faults = if faults.is_empty() {
            "none".to_string()
        } else {
            faults.join(", ")
        };
        let _ = writeln!(s, "  planned faults fired: {faults}");
        let _ = writeln!(s, "  steps run: {}", self.steps);
        s
    }
}

fn progress(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(total),
        if io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} seeds {per_sec} eta {eta}") {
        bar.set_style(style);
    }
    bar
}

/// Runs the seeds; prints the first failure (stderr), the summary (stdout) and the throughput
/// (stderr).
pub fn command(
    file: &Path,
    seeds: Seeds,
    jobs: Option<u16>,
    shard: Option<Shard>,
    status: &mut Status,
    o: &mut Out<'_, impl Write, impl Write>,
) -> io::Result<()> {
    let Some(loaded) = load(file, status, o)? else {
        return Ok(());
    };
    if loaded.scenario.fault_plan.is_none() {
        writeln!(
            o.err,
            "{}: note: no fault_plan, so every seed runs the same faults (only the model's own draws differ)",
            loaded.file
        )?;
    }
    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(j) = jobs {
            b = b.num_threads(usize::from(j));
        }
        match b.build() {
            Ok(p) => p,
            Err(e) => {
                status.bad_input = true;
                return writeln!(
                    o.err,
                    "qwave-sim: error: cannot start {jobs:?} worker threads: {e}"
                );
            }
        }
    };
    let all: Vec<u64> = seeds
        .of_shard(shard.unwrap_or(Shard { index: 1, count: 1 }))
        .collect();
    let bar = progress(all.len() as u64);
    let started = Instant::now();
    let mut summary = Summary::default();
    let mut first_failure = None;
    for batch in all.chunks(BATCH) {
        let outcomes: Vec<Outcome> = pool.install(|| {
            batch
                .par_iter()
                .map(|&seed| {
                    let out = run_seed(&loaded.scenario, seed);
                    bar.inc(1);
                    out
                })
                .collect()
        });
        for out in outcomes {
            summary.add(&out);
            if let Some(report) = out.failed {
                first_failure = Some((out.seed, report));
                break;
            }
        }
        if first_failure.is_some() {
            break;
        }
    }
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let stopped = first_failure.as_ref().map(|(s, _)| *s);
    if let Some((_, report)) = &first_failure {
        status.failed = true;
        for (step, fault) in &report.planned {
            writeln!(o.err, "{}: fault plan: before step {step}: {fault}", loaded.file)?;
        }
        report_failures(o, &loaded, report, None)?;
    }
    o.out
        .write_all(summary.render(&loaded.file, seeds, shard, stopped).as_bytes())?;
    o.out.flush()?;
    writeln!(
        o.err,
        "{} seeds in {elapsed:.2} s ({:.0} seeds/s, {} jobs)",
        summary.runs,
        summary.runs as f64 / elapsed.max(1e-9),
        pool.current_num_threads()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_and_shards_parse_and_split() {
        assert_eq!(parse_seeds("1..10").unwrap(), Seeds { first: 1, last: 10 });
        assert_eq!(parse_seeds("1..=10").unwrap(), Seeds { first: 1, last: 10 });
        assert_eq!(parse_seeds("7").unwrap(), Seeds { first: 7, last: 7 });
        assert!(parse_seeds("10..1").is_err());
        assert!(parse_seeds("a..b").is_err());
        assert!(parse_shard("0/2").is_err());
        assert!(parse_shard("3/2").is_err());
        let s = parse_seeds("1..10").unwrap();
        let a: Vec<u64> = s.of_shard(parse_shard("1/3").unwrap()).collect();
        let b: Vec<u64> = s.of_shard(parse_shard("2/3").unwrap()).collect();
        let c: Vec<u64> = s.of_shard(parse_shard("3/3").unwrap()).collect();
        assert_eq!(a, [1, 4, 7, 10]);
        assert_eq!(b, [2, 5, 8]);
        assert_eq!(c, [3, 6, 9]);
    }
}
