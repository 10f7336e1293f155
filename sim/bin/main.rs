//! `qwave-sim`: replay and check qWAVE scenarios from a shell, and run Windows programs
//! under Wine against the simulator (`qwave-sim wine`, see `wine.rs`).
//!
//! Three layers, one way: raw arguments (clap) → a validated [`Config`] → the work. Exit codes:
//! 0 every expectation held, 1 an expectation failed, 2 the input is bad (arguments, RON syntax
//! or schema, names) — never a panic.

mod wine;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use qwave_sim::model::VirtualTime;
use qwave_sim::scenario::schema::Dur;
use qwave_sim::scenario::{self, Loaded, RunOptions, RunReport, Until};
use qwave_sim::trace::Format;

/// Failures printed per file; the rest are counted.
const MAX_REPORTED_FAILURES: usize = 20;

/// Environment variable that overrides every scenario's seed (like `--seed`).
const SEED_ENV: &str = "QWAVE_SIM_SEED";

#[derive(Parser, Debug)]
#[command(
    name = "qwave-sim",
    version,
    about = "Replay and check qWAVE QoS scenarios (RON files)"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Replay a scenario and print its trace.
    Run {
        /// The scenario file.
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Replay scenarios and verify every expectation (directories: every `*.ron` inside).
    Check {
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Run a Windows program under Wine with qwave.dll: `qwave-sim wine [OPTIONS] -- PROGRAM.exe
    /// [ARGS]` (also a cargo runner for x86_64-pc-windows-gnu).
    Wine(wine::WineArgs),
}

#[derive(clap::Args, Debug)]
struct Common {
    /// Seed for the model and the fault plan (default: the scenario's; env QWAVE_SIM_SEED).
    #[arg(long)]
    seed: Option<u64>,
    /// Trace format.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    format: FormatArg,
    /// Stop before step N (0-based), or when virtual time reaches T ("1.5s", "250ms").
    #[arg(long, value_name = "STEP|TIME")]
    until: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Text,
    Json,
    Ron,
}

/// What to do, validated.
#[derive(Debug)]
struct Config {
    check: bool,
    files: Vec<PathBuf>,
    seed: Option<u64>,
    format: Format,
    until: Option<Until>,
    until_text: Option<String>,
}

fn config(args: Args) -> Result<Config, String> {
    let (check, paths, common) = match args.command {
        Command::Run { file, common } => (false, vec![file], common),
        Command::Check { paths, common } => (true, paths, common),
        Command::Wine(_) => return Err("`wine` is not a replay command".into()),
    };
    let seed = match common.seed {
        Some(s) => Some(s),
        None => match std::env::var(SEED_ENV) {
            Ok(v) => Some(
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{SEED_ENV}=`{v}` is not a seed (an unsigned 64-bit integer)"))?,
            ),
            Err(_) => None,
        },
    };
    let until = common.until.as_deref().map(parse_until).transpose()?;
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&p)
                .map_err(|e| format!("{}: cannot read the directory: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "ron"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(format!(
                    "{}: no *.ron scenario files in this directory",
                    p.display()
                ));
            }
            files.extend(found);
        } else {
            files.push(p);
        }
    }
    Ok(Config {
        check,
        files,
        seed,
        format: match common.format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Ron => Format::Ron,
        },
        until,
        until_text: common.until,
    })
}

fn parse_until(s: &str) -> Result<Until, String> {
    if let Ok(n) = s.parse::<usize>() {
        return Ok(Until::Step(n));
    }
    s.parse::<Dur>()
        .map(|d| Until::Time(VirtualTime(d.us)))
        .map_err(|e| format!("--until: expected a step index or a time: {e}"))
}

fn reproduce(cfg: &Config, file: &Path, seed: u64) -> String {
    let mut cmd = format!("qwave-sim check {} --seed {seed}", file.display());
    if let Some(u) = &cfg.until_text {
        cmd.push_str(&format!(" --until {u}"));
    }
    cmd
}

fn report_failures(cfg: &Config, loaded: &Loaded, out: &RunReport, err: &mut impl Write) -> io::Result<()> {
    let file = &loaded.file;
    writeln!(
        err,
        "FAIL {file}: {} expectation(s) failed (scenario `{}`, seed {})",
        out.failures.len(),
        loaded.scenario.name,
        out.seed
    )?;
    for f in out.failures.iter().take(MAX_REPORTED_FAILURES) {
        writeln!(
            err,
            "  {file}:{}: step {} {}: {}",
            loaded.position(f.step),
            f.step,
            f.keyword,
            f.what
        )?;
        writeln!(err, "    - expected: {}", f.expected)?;
        writeln!(err, "    + actual:   {}", f.actual)?;
    }
    if out.failures.len() > MAX_REPORTED_FAILURES {
        writeln!(err, "  … and {} more", out.failures.len() - MAX_REPORTED_FAILURES)?;
    }
    writeln!(err, "  seed: {}", out.seed)?;
    writeln!(err, "  reproduce: {}", reproduce(cfg, Path::new(file), out.seed))
}

/// What the files checked so far came to.
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

/// Replays every file, writing traces and verdicts to `out` and diagnostics to `err`. A write
/// error (a closed pipe: `qwave-sim run … | head`) ends the work quietly.
fn work(cfg: &Config, status: &mut Status, out: &mut impl Write, err: &mut impl Write) -> io::Result<()> {
    let opts = RunOptions {
        seed: cfg.seed,
        until: cfg.until,
        ..RunOptions::default()
    };
    for path in &cfg.files {
        let loaded = match scenario::load(path) {
            Ok(l) => l,
            Err(e) => {
                status.bad_input = true;
                writeln!(err, "{e}")?;
                continue;
            }
        };
        let outcome = scenario::run(&loaded.scenario, &opts);
        if !outcome.passed() {
            status.failed = true;
        }
        if !cfg.check {
            if cfg.format == Format::Text {
                writeln!(
                    out,
                    "# scenario `{}` from {} seed {}",
                    loaded.scenario.name, loaded.file, outcome.seed
                )?;
            }
            out.write_all(outcome.trace(cfg.format).as_bytes())?;
        }
        for (step, fault) in &outcome.planned {
            writeln!(err, "{}: fault plan: before step {step}: {fault}", loaded.file)?;
        }
        if outcome.passed() {
            if cfg.check {
                writeln!(
                    out,
                    "ok   {} ({} steps, seed {})",
                    loaded.file, outcome.steps_run, outcome.seed
                )?;
            }
        } else {
            report_failures(cfg, &loaded, &outcome, err)?;
        }
    }
    out.flush()
}

fn main() -> ExitCode {
    let args = Args::parse(); // usage errors exit 2 (clap)
    if let Command::Wine(w) = args.command {
        return wine::run(w);
    }
    match config(args) {
        Ok(cfg) => {
            let mut status = Status::default();
            // A write error means nobody reads any more; the status so far is the answer.
            let _ = work(
                &cfg,
                &mut status,
                &mut io::stdout().lock(),
                &mut io::stderr().lock(),
            );
            status.code()
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "qwave-sim: error: {e}");
            ExitCode::from(2)
        }
    }
}
