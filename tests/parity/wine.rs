//! Under Wine: the C probe (mingw-w64, its own qos2.h) and the Rust probe (windows 0.62.2,
//! built for x86_64-pc-windows-gnu) run through `qwave-sim wine` with qwave.dll, and their
//! lines are compared with the same probe's lines against the in-process sim.
//!
//! Needs `wine64` (or `wine`), `x86_64-w64-mingw32-gcc` and the `x86_64-pc-windows-gnu` rustup
//! target. Without them each test prints `NOT RUN: …` and passes, unless
//! `QWAVE_SIM_REQUIRE_WINE=1` (CI), which makes a missing tool a failure. Everything is built
//! once per test run under `target/qwave-sim/wine/` (the DLL, both probes), the Wine prefix
//! is private (`target/qwave-sim/wine/prefix`), every Wine run is killed with its process
//! group after 120 s, and the runs are serialised. Each build, the prefix and every run note
//! their time (`wine: …`) in [`TIMES`] under the target dir, which `.ci/run` prints after the
//! tests. `QWAVE_SIM_SKIP_WINE=1` skips them, for a developer's quick runs and the mutant
//! scripts; `.ci/run` unsets it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use qwave_sim::model::Fault;
use qwave_sim::Sim;

const TARGET: &str = "x86_64-pc-windows-gnu";
const REQUIRE: &str = "QWAVE_SIM_REQUIRE_WINE";
/// Skips the Wine checks (a developer's quick runs; never set in CI).
const SKIP: &str = "QWAVE_SIM_SKIP_WINE";
/// The timing lines of the last run, under the target dir.
const TIMES: &str = "qwave-sim/wine/times.log";
/// Longest a single Wine run may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest a build may take (the first Windows build of the library and `windows`).
const BUILD_TIMEOUT: Duration = Duration::from_secs(1800);
const VARS: [&str; 7] = qwave_sim::ffi::config::ALL;

struct Wine {
    cli: PathBuf,
    wine: PathBuf,
    base: PathBuf,
    dll: PathBuf,
    probe_c: PathBuf,
    probe_rs: PathBuf,
    prefix: PathBuf,
}

/// What one run printed.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

impl Run {
    fn lines(&self) -> Vec<String> {
        self.stdout.lines().map(str::to_string).collect()
    }
}

/// Why the checks cannot run: a missing tool (NOT RUN, or a failure under
/// `QWAVE_SIM_REQUIRE_WINE=1`), or a failure (always a test failure).
enum Setup {
    Missing(String),
    Broken(String),
}

static SETUP: OnceLock<Result<Wine, Setup>> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target/tmp")
        .to_path_buf()
}

/// Prints a `wine: …` timing line and appends it to [`TIMES`] (emptied when the checks set up).
fn note_time(line: String) {
    println!("{line}");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(target_dir().join(TIMES));
    if let Ok(mut f) = log {
        let _ = writeln!(f, "{line}");
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The Wine tools, or `None` after printing why the checks do not run.
fn wine() -> Option<&'static Wine> {
    if std::env::var(SKIP).as_deref() == Ok("1") {
        println!("skipped: {SKIP}=1");
        return None;
    }
    match SETUP.get_or_init(setup) {
        Ok(w) => Some(w),
        Err(Setup::Broken(why)) => panic!("{why}"),
        Err(Setup::Missing(reason)) => {
            if std::env::var(REQUIRE).as_deref() == Ok("1") {
                panic!("{REQUIRE}=1, but the Wine checks cannot run: {reason}");
            }
            println!("NOT RUN: wine parity: {reason}");
            None
        }
    }
}

/// Runs `cmd` in its own process group, killing the group after `timeout`.
fn run_with_timeout(mut cmd: Command, timeout: Duration, what: &str) -> Run {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut killed = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > timeout {
            // SAFETY: signals the process group this command created.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            killed = true;
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        code: status.code(),
        stdout: t_out.join().unwrap_or_default(),
        stderr: t_err.join().unwrap_or_default(),
        took: start.elapsed(),
    };
    if killed {
        panic!(
            "{what}: killed after {} s\n--- stdout\n{}\n--- stderr\n{}",
            timeout.as_secs(),
            run.stdout,
            run.stderr
        );
    }
    run
}

fn setup() -> Result<Wine, Setup> {
    let wine = on_path("wine64")
        .or_else(|| Some(PathBuf::from("/usr/lib/wine/wine64")).filter(|p| p.is_file()))
        .or_else(|| on_path("wine"))
        .ok_or(Setup::Missing(
            "no wine64 or wine (apt-get install wine64)".into(),
        ))?;
    on_path("x86_64-w64-mingw32-gcc").ok_or(Setup::Missing(
        "no x86_64-w64-mingw32-gcc (apt-get install gcc-mingw-w64-x86-64)".into(),
    ))?;
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == TARGET)
        })
        .unwrap_or(false);
    if !installed {
        return Err(Setup::Missing(format!(
            "the {TARGET} target is not installed (rustup target add {TARGET})"
        )));
    }
    built(&wine).map_err(Setup::Broken)
}

/// Builds the DLL and both probes, and runs the C probe once (creating the prefix if needed).
fn built(wine: &Path) -> Result<Wine, String> {
    let wine = wine.to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = target_dir().join("qwave-sim").join("wine");
    let build = base.join("build");
    std::fs::create_dir_all(&base).map_err(|e| e.to_string())?;
    std::fs::write(target_dir().join(TIMES), "").map_err(|e| e.to_string())?;

    // qwave.dll.
    let t = Instant::now();
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "-p", "qwave-dll", "--target", TARGET])
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &build);
    let r = run_with_timeout(cmd, BUILD_TIMEOUT, "cargo build -p qwave-dll");
    if r.code != Some(0) {
        return Err(format!("building qwave.dll failed:\n{}", r.stderr));
    }
    note_time(format!(
        "wine: qwave.dll built in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    // The Rust probe against the real windows 0.62.2.
    let t = Instant::now();
    let crate_dir = base.join("probe-rs");
    std::fs::create_dir_all(crate_dir.join("src")).map_err(|e| e.to_string())?;
    std::fs::write(
        crate_dir.join("Cargo.toml"),
        super::windows_crate_manifest("qwave-probe"),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        crate_dir.join("src/main.rs"),
        format!(
            "#[allow(dead_code)]\nmod probe {{\n    include!({:?});\n}}\n\nfn main() {{\n    \
             let mode = std::env::args().nth(1).unwrap_or_else(|| \"calls\".into());\n    \
             for line in probe::run(&mode) {{\n        println!(\"{{line}}\");\n    }}\n}}\n",
            root.join("tests/parity/probe.rs").display().to_string()
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["build", "--target", TARGET, "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &build);
    let r = run_with_timeout(cmd, BUILD_TIMEOUT, "cargo build (Rust probe)");
    if r.code != Some(0) {
        return Err(format!(
            "building the Rust probe against windows 0.62.2 failed:\n{}",
            r.stderr
        ));
    }
    note_time(format!(
        "wine: Rust probe built in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    // The C probe against mingw-w64's qos2.h and libqwave.a.
    let probe_c = base.join("probe-c.exe");
    let mut cmd = Command::new("x86_64-w64-mingw32-gcc");
    cmd.args(["-O1", "-Wall", "-Werror", "-o"])
        .arg(&probe_c)
        .arg(root.join("tests/parity/probe.c"))
        .args(["-lqwave", "-lws2_32"]);
    let r = run_with_timeout(cmd, BUILD_TIMEOUT, "x86_64-w64-mingw32-gcc probe.c");
    if r.code != Some(0) {
        return Err(format!("building the C probe failed:\n{}", r.stderr));
    }

    let w = Wine {
        cli: PathBuf::from(env!("CARGO_BIN_EXE_qwave-sim")),
        wine,
        dll: build.join(TARGET).join("debug").join("qwave.dll"),
        probe_rs: build.join(TARGET).join("debug").join("qwave-probe.exe"),
        probe_c,
        prefix: base.join("prefix"),
        base,
    };
    // The first run creates the prefix if it does not exist yet.
    let fresh = !w.prefix.join("system.reg").exists();
    let r = w.run(&w.probe_c, &["create"], &[], &[]);
    note_time(format!(
        "wine: first run{} took {:.1} s",
        if fresh { " (creating the Wine prefix)" } else { "" },
        r.took.as_secs_f64()
    ));
    if r.lines() != ["create: TRUE", "close: TRUE"] {
        return Err(format!(
            "the C probe did not run under Wine:\n--- stdout\n{}\n--- stderr\n{}",
            r.stdout, r.stderr
        ));
    }
    Ok(w)
}

impl Wine {
    /// `qwave-sim wine OPTS -- EXE ARGS` with `env`, the `QWAVE_SIM_*` of this process removed.
    fn run(&self, exe: &Path, args: &[&str], opts: &[&str], env: &[(&str, &str)]) -> Run {
        let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let mut cmd = Command::new(&self.cli);
        cmd.arg("wine")
            .arg("--dll")
            .arg(&self.dll)
            .args(opts)
            .arg("--")
            .arg(exe)
            .args(args)
            .env("WINEPREFIX", &self.prefix)
            .env("WINE", &self.wine);
        for v in VARS {
            cmd.env_remove(v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let what = format!("qwave-sim wine {} {}", exe.display(), args.join(" "));
        let r = run_with_timeout(cmd, RUN_TIMEOUT, &what);
        note_time(format!("wine: {what} {opts:?}: {:.1} s", r.took.as_secs_f64()));
        r
    }
}

/// The probe against the in-process sim (default world, seed 0), with the faults test's
/// timeline when `faults`.
fn in_process(mode: &str, faults: bool) -> Vec<String> {
    let sim = Sim::new();
    let _g = sim.enter();
    if faults {
        sim.inject_at(Duration::from_secs(5), Fault::DeviceReset);
    }
    super::probe::run(mode)
}

/// Line-by-line comparison, every difference shown.
fn assert_same_lines(what: &str, expected: &[String], run: &Run) {
    let got = run.lines();
    if got == expected {
        return;
    }
    let mut report = String::new();
    for i in 0..expected.len().max(got.len()) {
        let (e, g) = (expected.get(i), got.get(i));
        let mark = if e == g { ' ' } else { '!' };
        report.push_str(&format!(
            "{mark} {:<55} | {}\n",
            e.map_or("<none>", String::as_str),
            g.map_or("<none>", String::as_str)
        ));
    }
    panic!(
        "{what}: lines differ from the in-process sim (left: in process, right: under Wine)\n{report}\
         --- stderr\n{}",
        run.stderr
    );
}

#[test]
fn wine_c_and_rust_probes_answer_as_the_in_process_sim_line_by_line() {
    let Some(w) = wine() else { return };
    let expected = in_process("calls", false);
    for (what, exe) in [("C probe", &w.probe_c), ("Rust probe", &w.probe_rs)] {
        let r = w.run(exe, &["calls"], &["--clock", "virtual"], &[]);
        assert_eq!(r.code, Some(0), "{what}: {}", r.stderr);
        assert_same_lines(what, &expected, &r);
    }
}

/// Pointers the process cannot access: answered as NULL ones (after the handle check), and
/// never a crash. (Not compared in process: the sim would dereference them.)
#[test]
fn wine_garbage_pointers_get_the_null_pointer_errors() {
    let Some(w) = wine() else { return };
    let r = w.run(&w.probe_c, &["garbage"], &["--clock", "virtual"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.lines(),
        [
            "create Version=garbage: FALSE 87",
            "create QOSHandle=garbage: FALSE 87",
            "create: TRUE",
            "add FlowId=garbage: FALSE 87",
            "add DestAddr=garbage: FALSE 87",
            "add bad handle FlowId=garbage: FALSE 6",
            "add: TRUE flow=1",
            "query Size=garbage: FALSE 87",
            "query Buffer=garbage: FALSE 87",
            "enumerate Buffer=garbage: FALSE 87",
            "notify Overlapped=garbage: FALSE 87",
            "set Buffer=garbage: FALSE 87",
            "start tracking DestAddr=garbage: FALSE 87",
            "close: TRUE",
        ]
    );
}

#[test]
fn wine_fault_timeline_device_reset_then_1164_until_close() {
    let Some(w) = wine() else { return };
    let faults = w.base.join("faults.ron");
    std::fs::write(&faults, "[(at: \"5s\", fault: DeviceReset)]\n").unwrap();
    let f = faults.to_str().unwrap();
    let expected = in_process("faults", true);
    assert!(
        expected.contains(&"query after reset: FALSE 1164 size=16".to_string()),
        "{expected:#?}"
    );
    assert!(expected.contains(&"close stale handle: TRUE".to_string()));
    for (what, exe) in [("C probe", &w.probe_c), ("Rust probe", &w.probe_rs)] {
        let r = w.run(exe, &["faults"], &["--clock", "virtual", "--faults", f], &[]);
        assert_same_lines(what, &expected, &r);
    }
}

#[test]
fn wine_virtual_clock_trace_is_byte_identical_across_runs() {
    let Some(w) = wine() else { return };
    let traces: Vec<String> = (1..=2)
        .map(|i| {
            let t = w.base.join(format!("trace-{i}.txt"));
            let _ = std::fs::remove_file(&t);
            let r = w.run(
                &w.probe_c,
                &["calls"],
                &[
                    "--clock",
                    "virtual",
                    "--seed",
                    "5",
                    "--trace",
                    t.to_str().unwrap(),
                ],
                &[],
            );
            assert_eq!(r.code, Some(0), "{}", r.stderr);
            std::fs::read_to_string(&t).unwrap()
        })
        .collect();
    assert_eq!(traces[0], traces[1], "two runs, two traces");
    let t = &traces[0];
    assert!(
        t.starts_with("# qwave.dll seed 5 world default faults 0 clock virtual"),
        "{t}"
    );
    for needle in [
        "call     QOSCreateHandle(",
        "complete",
        "QOSCancel(",
        "advance",
        "s1",
    ] {
        assert!(t.contains(needle), "{needle:?} not in the trace:\n{t}");
    }
}

#[test]
fn wine_bad_qwave_sim_values_fail_create_with_1068_and_say_why() {
    let Some(w) = wine() else { return };
    let bad_world = w.base.join("bad-world.ron");
    std::fs::write(
        &bad_world,
        "World(\n  peers: [ (address: \"192.168.1.99\", colour: 3) ],\n)\n",
    )
    .unwrap();
    let bad_faults = w.base.join("bad-faults.ron");
    std::fs::write(&bad_faults, "[(at: \"5 seconds\", fault: DeviceReset)]\n").unwrap();
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 3] = [
        (
            &[
                ("QWAVE_SIM_SEED", "banana"),
                ("QWAVE_SIM_CLOCK", "sundial"),
                ("QWAVE_SIM_SPEED", "-3"),
                ("QWAVE_SIM_IDLE_MS", "0"),
            ],
            &[
                "QWAVE_SIM_SEED=`banana` is not a seed",
                "QWAVE_SIM_CLOCK=`sundial` is neither `wall` nor `virtual`",
                "QWAVE_SIM_SPEED=`-3` is not a speed factor",
                "QWAVE_SIM_IDLE_MS=`0` is not a number of milliseconds",
            ],
        ),
        (
            &[
                ("QWAVE_SIM_WORLD", bad_world.to_str().unwrap()),
                ("QWAVE_SIM_FAULTS", bad_faults.to_str().unwrap()),
            ],
            &["bad-world.ron:2:", "bad-faults.ron:1:", "is not a duration"],
        ),
        (
            &[("QWAVE_SIM_TRACE", "/nonexistent-dir/trace.txt")],
            &["cannot create the trace file"],
        ),
    ];
    for (env, messages) in cases {
        let r = w.run(&w.probe_c, &["create"], &[], env);
        assert_eq!(r.code, Some(0), "never a crash: {}", r.stderr);
        assert_eq!(r.stdout.trim(), "create: FALSE 1068", "{env:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("ERROR_SERVICE_DEPENDENCY_FAIL (1068)"),
            "{}",
            r.stderr
        );
        for m in messages {
            assert!(r.stderr.contains(m), "{m:?} not in:\n{}", r.stderr);
        }
    }
}

#[test]
fn wine_wall_clock_estimates_appear_after_the_warm_up_scaled_by_the_speed() {
    let Some(w) = wine() else { return };
    let ms = |speed: &str| -> (u64, u64) {
        let r = w.run(&w.probe_rs, &["warmup"], &["--speed", speed], &[]);
        let find = |key: &str| -> u64 {
            r.stdout
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or_else(|| panic!("no {key:?} in:\n{}\n{}", r.stdout, r.stderr))
        };
        (find("partial after ms: "), find("estimates after ms: "))
    };
    // The default world: 1 s warm-up (no data), then 1 s of partial estimates.
    for (speed, factor) in [("100", 100u64), ("20", 20)] {
        let (partial, full) = ms(speed);
        let (p_min, f_min) = (1000 / factor, 2000 / factor);
        assert!(
            partial >= p_min && full >= f_min,
            "x{speed}: partial {partial} ms, full {full} ms"
        );
        assert!(full < f_min + 3000, "x{speed}: estimates only after {full} ms");
        note_time(format!(
            "wine: x{speed}: partial estimates after {partial} ms, full after {full} ms (model: 1 s, 2 s)"
        ));
    }
}

#[test]
fn wine_command_checks_its_flags_and_names_what_is_missing() {
    let cli = env!("CARGO_BIN_EXE_qwave-sim");
    let dir = target_dir().join("qwave-sim").join("wine-args");
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad-world.ron");
    std::fs::write(&bad, "World(\n  interfaces: 7,\n)\n").unwrap();
    let out = Command::new(cli)
        .args(["wine", "--world"])
        .arg(&bad)
        .args(["--", "x.exe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad-world.ron:2:"), "{err}");

    let out = Command::new(cli)
        .args(["wine", "--", "x.exe"])
        .env("WINE", "/nonexistent/wine64")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("apt-get install wine64"));

    // No rustup on PATH: building the DLL names the target to add.
    if Path::new("/usr/lib/wine/wine64").is_file() || on_path("wine64").is_some() {
        let out = Command::new(cli)
            .args(["wine", "--build", "--", "x.exe"])
            .env("PATH", dir.as_os_str())
            .env(
                "WINE",
                on_path("wine64").unwrap_or_else(|| PathBuf::from("/usr/lib/wine/wine64")),
            )
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("rustup target add x86_64-pc-windows-gnu"), "{err}");
    }
}

/// The README's recipe: a crate's own Windows tests, on the real `windows` crate, run by
/// `cargo test --target x86_64-pc-windows-gnu` with `qwave-sim wine` as the runner.
#[test]
fn wine_cargo_runner_runs_a_crates_windows_tests() {
    let Some(w) = wine() else { return };
    let dir = w.base.join("user-crate");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        super::windows_crate_manifest("user-crate"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    std::fs::write(dir.join("tests/qos.rs"), readme_test()).unwrap();
    let runner = format!("{} wine --dll {} --", w.cli.display(), w.dll.display());
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(["test", "--target", TARGET, "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", w.base.join("build"))
        .env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", runner)
        .env("WINEPREFIX", &w.prefix)
        .env("WINE", &w.wine);
    for v in VARS {
        cmd.env_remove(v);
    }
    let r = run_with_timeout(
        cmd,
        BUILD_TIMEOUT,
        "cargo test --target x86_64-pc-windows-gnu (user crate)",
    );
    note_time(format!(
        "wine: a crate's cargo test through the runner: {:.1} s",
        r.took.as_secs_f64()
    ));
    assert_eq!(
        r.code,
        Some(0),
        "--- stdout\n{}\n--- stderr\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stdout.contains("test voice_flow_is_marked_dscp_56 ... ok"),
        "{}",
        r.stdout
    );
}

/// The test of the README's Wine section, word for word: the `rust,ignore` block after the
/// `wine-runner-test` marker.
fn readme_test() -> String {
    let readme = include_str!("../../README.md");
    let after = &readme[readme.find("<!-- wine-runner-test").expect("marker in README.md")..];
    let body = &after[after.find("```rust,ignore\n").expect("code block") + "```rust,ignore\n".len()..];
    body[..body.find("```").expect("end of block")].to_string()
}
