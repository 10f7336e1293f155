//! `qwave-sim`: replay, check, measure, plot and explore qWAVE scenarios from a shell, and run
//! Windows programs under Wine against the simulator (`qwave-sim wine`, see `wine.rs`).
//!
//! Three layers, one way: raw arguments (clap) → validated settings → the work. Exit codes:
//! 0 every expectation held, 1 an expectation failed, 2 the input is bad (arguments, RON syntax
//! or schema, names, unreadable files) — never a panic.

mod diag;
mod explore;
mod plot;
mod wine;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use qwave_sim::coverage::Coverage;
use qwave_sim::model::VirtualTime;
use qwave_sim::scenario::schema::Dur;
use qwave_sim::scenario::{self, Loaded, RunOptions, RunReport, Until};
use qwave_sim::trace::Format;

/// Failures printed per file; the rest are counted.
const MAX_REPORTED_FAILURES: usize = 20;

/// Environment variable that overrides every scenario's seed (like `--seed`).
const SEED_ENV: &str = "QWAVE_SIM_SEED";

const AFTER_HELP: &str = "\
Exit codes:
  0  every expectation held (run, check, coverage, explore), or the output was written
  1  an expectation failed: a diff per failure, the seed and the command that reproduces it
  2  bad input: arguments, RON syntax, schema or names (file:line:column), unreadable files

Examples:
  qwave-sim run scenarios/voice_call.ron                  replay, print the trace
  qwave-sim run scenarios/voice_call.ron --format json    one JSON object per event
  qwave-sim check scenarios/                              every *.ron below, recursively
  qwave-sim check scenarios/fault_plan_explore.ron --seed 7
  qwave-sim coverage scenarios/ --format json             which documented failures ran
  qwave-sim plot scenarios/voice_call.ron -o voice.svg    timeline of flows, rates, faults
  qwave-sim explore scenarios/fault_plan_explore.ron --seeds 1..10000 --jobs 2
  qwave-sim schema > scenario.schema.json                 JSON Schema for editors

Environment:
  QWAVE_SIM_SEED      the seed of every scenario, like --seed
  QWAVE_SIM_COVERAGE  (library) every Sim adds its fault coverage to this JSON file
  NO_COLOR            no colour even on a terminal";

#[derive(Parser, Debug)]
#[command(
    name = "qwave-sim",
    version,
    about = "Replay, check, measure and plot qWAVE QoS scenarios (RON files)",
    after_help = AFTER_HELP
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Replay a scenario and print its trace.
    #[command(after_help = AFTER_HELP)]
    Run {
        /// The scenario file.
        file: PathBuf,
        #[command(flatten)]
        seed: SeedArg,
        /// Trace format.
        #[arg(long, value_enum, default_value_t = FormatArg::Text)]
        format: FormatArg,
        #[command(flatten)]
        until: UntilArg,
    },
    /// Replay scenarios and verify every expectation (directories: every `*.ron` below them,
    /// recursively).
    #[command(after_help = AFTER_HELP)]
    Check {
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        seed: SeedArg,
        #[command(flatten)]
        until: UntilArg,
    },
    /// Fault coverage of scenarios: the codes each function returned, the faults that fired,
    /// the rule ids exercised, and the documented failures never met.
    #[command(after_help = AFTER_HELP)]
    Coverage {
        /// Scenario files or directories (recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        seed: SeedArg,
        /// Report format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Draw a run's timeline as SVG: flows as lanes over virtual time, admitted rates and
    /// available bandwidth per path, congestion periods, faults and failed calls.
    #[command(after_help = AFTER_HELP)]
    Plot {
        /// A scenario or recording (`.ron`), or a JSON trace (`run --format json`).
        file: PathBuf,
        /// The SVG file to write.
        #[arg(short, long, value_name = "OUT.svg")]
        output: PathBuf,
        #[command(flatten)]
        seed: SeedArg,
    },
    /// Run a scenario with a fault plan over many seeds in parallel; stop at the first
    /// failure and print the command that reproduces it.
    #[command(after_help = AFTER_HELP)]
    Explore {
        /// The scenario file (with a `fault_plan`).
        file: PathBuf,
        /// Seeds to run: `A..B` (both ends included) or one seed.
        #[arg(long, value_name = "A..B", value_parser = explore::parse_seeds)]
        seeds: explore::Seeds,
        /// Worker threads (default: the number of cores).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// Run only shard I of N (1-based): the seeds whose position in the range is I-1
        /// modulo N, to split one range across CI jobs or machines.
        #[arg(long, value_name = "I/N", value_parser = explore::parse_shard)]
        shard: Option<explore::Shard>,
    },
    /// Print a JSON Schema (draft 2020-12) of the scenario format, for editors and generators.
    #[command(after_help = AFTER_HELP)]
    Schema,
    /// Run a Windows program under Wine with qwave.dll: `qwave-sim wine [OPTIONS] -- PROGRAM.exe
    /// [ARGS]` (also a cargo runner for x86_64-pc-windows-gnu).
    Wine(wine::WineArgs),
}

#[derive(clap::Args, Debug)]
struct SeedArg {
    /// Seed for the model and the fault plan (default: the scenario's).
    #[arg(long, env = SEED_ENV, value_parser = parse_seed)]
    seed: Option<u64>,
}

#[derive(clap::Args, Debug)]
struct UntilArg {
    /// Stop before step N (0-based), or when virtual time reaches T ("1.5s", "250ms").
    #[arg(long, value_name = "STEP|TIME", value_parser = parse_until)]
    until: Option<UntilText>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Ron,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("`{s}` is not a seed (an unsigned 64-bit integer; from --seed or {SEED_ENV})"))
}

/// `--until` as given (for the reproduce command) and as parsed.
#[derive(Clone, Debug)]
struct UntilText {
    text: String,
    until: Until,
}

fn parse_until(s: &str) -> Result<UntilText, String> {
    let until = if let Ok(n) = s.parse::<usize>() {
        Until::Step(n)
    } else {
        s.parse::<Dur>()
            .map(|d| Until::Time(VirtualTime(d.us)))
            .map_err(|e| format!("expected a step index or a time: {e}"))?
    };
    Ok(UntilText {
        text: s.to_string(),
        until,
    })
}

/// The scenario files of `paths`: files as given, directories searched recursively for
/// `*.ron`, each directory's files sorted.
fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: cannot read the directory: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().is_some_and(|x| x == "ron") {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = files.len();
            walk(p, &mut files)?;
            if files.len() == before {
                return Err(format!(
                    "{}: no *.ron scenario files in this directory or below",
                    p.display()
                ));
            }
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// What the files handled so far came to.
#[derive(Default)]
struct Status {
    bad_input: bool,
    failed: bool,
}

impl Status {
    fn code(&self) -> ExitCode {
        if self.bad_input {
            ExitCode::from(2)
        } else if self.failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    }
}

/// Where reports go, and how they look.
struct Out<'a, O: Write, E: Write> {
    out: &'a mut O,
    err: &'a mut E,
    colour: bool,
}

fn reproduce(file: &Path, seed: u64, until: Option<&UntilText>) -> String {
    let mut cmd = format!("qwave-sim check {} --seed {seed}", file.display());
    if let Some(u) = until {
        cmd.push_str(&format!(" --until {}", u.text));
    }
    cmd
}

fn report_failures(
    o: &mut Out<'_, impl Write, impl Write>,
    loaded: &Loaded,
    report: &RunReport,
    until: Option<&UntilText>,
) -> io::Result<()> {
    let file = &loaded.file;
    let err = &mut *o.err;
    writeln!(
        err,
        "FAIL {file}: {} expectation(s) failed (scenario `{}`, seed {})",
        report.failures.len(),
        loaded.scenario.name,
        report.seed
    )?;
    for f in report.failures.iter().take(MAX_REPORTED_FAILURES) {
        writeln!(
            err,
            "  {file}:{}: step {} {}: {}",
            loaded.position(f.step),
            f.step,
            f.keyword,
            f.what
        )?;
        diag::diff("    ", &f.expected, &f.actual, o.colour, err)?;
    }
    if report.failures.len() > MAX_REPORTED_FAILURES {
        writeln!(
            err,
            "  … and {} more",
            report.failures.len() - MAX_REPORTED_FAILURES
        )?;
    }
    writeln!(err, "  seed: {}", report.seed)?;
    writeln!(
        err,
        "  reproduce: {}",
        reproduce(Path::new(file), report.seed, until)
    )
}

/// Loads a scenario, printing a diagnostic when it cannot be.
fn load(
    path: &Path,
    status: &mut Status,
    o: &mut Out<'_, impl Write, impl Write>,
) -> io::Result<Option<Loaded>> {
    match scenario::load(path) {
        Ok(l) => Ok(Some(l)),
        Err(e) => {
            status.bad_input = true;
            writeln!(o.err, "{}", diag::load_error(&e, o.colour))?;
            Ok(None)
        }
    }
}

/// `run` (with a trace format) or `check` (format `None`). A write error (a closed pipe:
/// `qwave-sim run … | head`) ends the work quietly.
fn replay(
    files: &[PathBuf],
    seed: Option<u64>,
    until: Option<&UntilText>,
    format: Option<Format>,
    status: &mut Status,
    o: &mut Out<'_, impl Write, impl Write>,
) -> io::Result<()> {
    let opts = RunOptions {
        seed,
        until: until.map(|u| u.until),
        ..RunOptions::default()
    };
    for path in files {
        let Some(loaded) = load(path, status, o)? else {
            continue;
        };
        let outcome = scenario::run(&loaded.scenario, &opts);
        if !outcome.passed() {
            status.failed = true;
        }
        if let Some(format) = format {
            if format == Format::Text {
                writeln!(
                    o.out,
                    "# scenario `{}` from {} seed {}",
                    loaded.scenario.name, loaded.file, outcome.seed
                )?;
            }
            o.out.write_all(outcome.trace(format).as_bytes())?;
        }
        for (step, fault) in &outcome.planned {
            writeln!(o.err, "{}: fault plan: before step {step}: {fault}", loaded.file)?;
        }
        if outcome.passed() {
            if format.is_none() {
                writeln!(
                    o.out,
                    "ok   {} ({} steps, seed {})",
                    loaded.file, outcome.steps_run, outcome.seed
                )?;
            }
        } else {
            report_failures(o, &loaded, &outcome, until)?;
        }
    }
    o.out.flush()
}

/// `coverage`: every scenario's run merged into one report.
fn coverage(
    files: &[PathBuf],
    seed: Option<u64>,
    format: ReportFormat,
    status: &mut Status,
    o: &mut Out<'_, impl Write, impl Write>,
) -> io::Result<()> {
    let opts = RunOptions {
        seed,
        ..RunOptions::default()
    };
    let mut total = Coverage::default();
    for path in files {
        let Some(loaded) = load(path, status, o)? else {
            continue;
        };
        let report = scenario::run(&loaded.scenario, &opts);
        if !report.passed() {
            status.failed = true;
            report_failures(o, &loaded, &report, None)?;
        }
        total.merge(&Coverage::from_events(&report.events));
    }
    let text = match format {
        ReportFormat::Text => total.to_text(),
        ReportFormat::Json => total.to_json(),
    };
    o.out.write_all(text.as_bytes())?;
    o.out.flush()
}

fn main() -> ExitCode {
    let args = Args::parse(); // usage errors exit 2 (clap)
    let colour = diag::colour_stderr();
    let (stdout, stderr) = (io::stdout(), io::stderr());
    let mut o = Out {
        out: &mut stdout.lock(),
        err: &mut stderr.lock(),
        colour,
    };
    let mut status = Status::default();
    // A write error means nobody reads any more; the status so far is the answer.
    let r: Result<io::Result<()>, String> = match args.command {
        Command::Run {
            file,
            seed,
            format,
            until,
        } => {
            let format = match format {
                FormatArg::Text => Format::Text,
                FormatArg::Json => Format::Json,
                FormatArg::Ron => Format::Ron,
            };
            Ok(replay(
                &[file],
                seed.seed,
                until.until.as_ref(),
                Some(format),
                &mut status,
                &mut o,
            ))
        }
        Command::Check { paths, seed, until } => scenario_files(&paths)
            .map(|files| replay(&files, seed.seed, until.until.as_ref(), None, &mut status, &mut o)),
        Command::Coverage { paths, seed, format } => {
            scenario_files(&paths).map(|files| coverage(&files, seed.seed, format, &mut status, &mut o))
        }
        Command::Plot { file, output, seed } => {
            Ok(plot::command(&file, &output, seed.seed, &mut status, &mut o))
        }
        Command::Explore {
            file,
            seeds,
            jobs,
            shard,
        } => Ok(explore::command(&file, seeds, jobs, shard, &mut status, &mut o)),
        Command::Schema => Ok(writeln!(o.out, "{}", qwave_sim::scenario::json_schema_text())),
        Command::Wine(w) => return wine::run(w),
    };
    match r {
        Ok(_) => status.code(),
        Err(e) => {
            let _ = writeln!(o.err, "qwave-sim: error: {e}");
            ExitCode::from(2)
        }
    }
}
