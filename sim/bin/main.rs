//! `qwave-sim`: replay and check qWAVE scenarios from a shell.
//!
//! Three layers, one way: raw arguments (clap) → a validated [`Config`] → the work. Exit codes:
//! 0 every expectation held, 1 an expectation failed, 2 the input is bad (arguments, RON syntax
//! or schema, names) — never a panic.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use qwave_sim::model::VirtualTime;
use qwave_sim::scenario::schema::Dur;
use qwave_sim::scenario::{self, Loaded, Outcome, RunOptions, Until};
use qwave_sim::trace::Format;

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

fn report_failures(cfg: &Config, loaded: &Loaded, out: &Outcome) {
    let file = &loaded.file;
    eprintln!(
        "FAIL {file}: {} expectation(s) failed (scenario `{}`, seed {})",
        out.failures.len(),
        loaded.scenario.name,
        out.seed
    );
    for f in out.failures.iter().take(20) {
        eprintln!(
            "  {file}:{}: step {} {}: {}",
            loaded.position(f.step),
            f.step,
            f.keyword,
            f.what
        );
        eprintln!("    - expected: {}", f.expected);
        eprintln!("    + actual:   {}", f.actual);
    }
    if out.failures.len() > 20 {
        eprintln!("  … and {} more", out.failures.len() - 20);
    }
    eprintln!("  seed: {}", out.seed);
    eprintln!("  reproduce: {}", reproduce(cfg, Path::new(file), out.seed));
}

fn work(cfg: &Config) -> ExitCode {
    let opts = RunOptions {
        seed: cfg.seed,
        until: cfg.until,
    };
    let mut bad_input = false;
    let mut failed = false;
    for path in &cfg.files {
        let loaded = match scenario::load(path) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{e}");
                bad_input = true;
                continue;
            }
        };
        let out = scenario::run(&loaded.scenario, &opts);
        if !cfg.check {
            if cfg.format == Format::Text {
                println!(
                    "# scenario `{}` from {} seed {}",
                    loaded.scenario.name, loaded.file, out.seed
                );
            }
            print!("{}", out.trace(cfg.format));
        }
        for (step, fault) in &out.planned {
            eprintln!("{}: fault plan: before step {step}: {fault}", loaded.file);
        }
        if out.passed() {
            if cfg.check {
                println!(
                    "ok   {} ({} steps, seed {})",
                    loaded.file, out.steps_run, out.seed
                );
            }
        } else {
            failed = true;
            report_failures(cfg, &loaded, &out);
        }
    }
    if bad_input {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let args = Args::parse(); // usage errors exit 2 (clap)
    match config(args) {
        Ok(cfg) => work(&cfg),
        Err(e) => {
            eprintln!("qwave-sim: error: {e}");
            ExitCode::from(2)
        }
    }
}
