//! `qwave-sim wine`: runs an unmodified Windows program under Wine with qwave.dll in place of
//! Wine's stub, so its qWAVE calls reach the simulator.
//!
//! 1. checks the arguments (the world and fault files are parsed here, so a bad one is
//!    reported before Wine starts);
//! 2. finds qwave.dll (`--dll`, `QWAVE_SIM_DLL`, or the last build under
//!    `target/qwave-sim/wine/build`), or builds it (`cargo build -p qwave-dll --target
//!    x86_64-pc-windows-gnu`) from the source tree this binary was built from;
//! 3. uses `WINEPREFIX`, or creates a private prefix under `target/qwave-sim/wine/prefix`;
//! 4. places qwave.dll in the prefix's system32, and a `ProcessPrng` shim as
//!    bcryptprimitives.dll where Wine has none (Rust's std imports it; Wine 8 lacks it), built
//!    once with `x86_64-w64-mingw32-gcc`;
//! 5. runs `wine PROGRAM ARGS` with `WINEDLLOVERRIDES` set so Wine loads them, the
//!    `QWAVE_SIM_*` variables for the flags given, and `WINEDEBUG=-all` unless set; returns
//!    the program's exit code.
//!
//! It works as a cargo runner: `CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="qwave-sim wine --"`.
//! A missing tool is named with the package or rustup target that provides it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use qwave_sim::ffi::config;

/// The `ProcessPrng` shim's source.
const SHIM_SOURCE: &str = include_str!("shim/bcryptprimitives.c");
/// The Windows target qwave.dll is built for.
const TARGET: &str = "x86_64-pc-windows-gnu";
/// The mingw-w64 C compiler.
const GCC: &str = "x86_64-w64-mingw32-gcc";

/// `qwave-sim wine` arguments.
#[derive(clap::Args, Debug)]
pub struct WineArgs {
    /// A RON world file (`QWAVE_SIM_WORLD`; default: the default world).
    #[arg(long, value_name = "FILE")]
    world: Option<PathBuf>,
    /// The model's seed (`QWAVE_SIM_SEED`).
    #[arg(long)]
    seed: Option<u64>,
    /// A RON fault timeline, `[(at: "5s", fault: DeviceReset)]` (`QWAVE_SIM_FAULTS`).
    #[arg(long, value_name = "FILE")]
    faults: Option<PathBuf>,
    /// Write the trace to FILE, in the text format of `qwave-sim run` (`QWAVE_SIM_TRACE`).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// `wall` (default: model time follows the wall clock) or `virtual` (deterministic).
    #[arg(long, value_name = "wall|virtual")]
    clock: Option<String>,
    /// Wall clock: model seconds per real second (`QWAVE_SIM_SPEED`).
    #[arg(long)]
    speed: Option<f64>,
    /// The qwave.dll to use (default: `QWAVE_SIM_DLL`, else the last build, else a new build).
    #[arg(long, value_name = "FILE")]
    dll: Option<PathBuf>,
    /// Build qwave.dll even if a build exists.
    #[arg(long)]
    build: bool,
    /// Kill the program (and everything it started) after this many seconds; exit code 124.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// The Windows program and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, num_args = 1..)]
    program: Vec<OsString>,
}

/// A failure before the program runs: the message, and exit code 2.
type Fail = String;

/// Runs the command.
pub fn run(args: WineArgs) -> ExitCode {
    match prepare(&args) {
        Ok(cmd) => launch(cmd, args.timeout),
        Err(e) => {
            eprintln!("qwave-sim wine: {e}");
            ExitCode::from(2)
        }
    }
}

/// The workspace's target directory (where the DLL build, the shim and the prefix live).
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// A program on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The Wine loader: `WINE`, `wine64` on PATH, Debian's `/usr/lib/wine/wine64`, `wine` on PATH.
fn find_wine() -> Result<PathBuf, Fail> {
    if let Some(w) = std::env::var_os("WINE") {
        let w = PathBuf::from(w);
        return if w.is_file() {
            Ok(w)
        } else {
            Err(format!(
                "WINE={} does not exist (install Wine: `apt-get install wine64` on Debian or Ubuntu)",
                w.display()
            ))
        };
    }
    on_path("wine64")
        .or_else(|| Some(PathBuf::from("/usr/lib/wine/wine64")).filter(|p| p.is_file()))
        .or_else(|| on_path("wine"))
        .ok_or_else(|| {
            "Wine is not installed (no wine64 or wine on PATH): install it, e.g. \
             `apt-get install wine64` on Debian or Ubuntu"
                .to_string()
        })
}

fn validate(args: &WineArgs) -> Result<(), Fail> {
    if let Some(w) = &args.world {
        let src = std::fs::read_to_string(w).map_err(|e| format!("--world {}: {e}", w.display()))?;
        config::parse_world(&w.display().to_string(), &src).map_err(|e| e.to_string())?;
    }
    if let Some(f) = &args.faults {
        let src = std::fs::read_to_string(f).map_err(|e| format!("--faults {}: {e}", f.display()))?;
        config::parse_fault_timeline(&f.display().to_string(), &src).map_err(|e| e.to_string())?;
    }
    if let Some(c) = &args.clock {
        if c != "wall" && c != "virtual" {
            return Err(format!("--clock {c}: expected `wall` or `virtual`"));
        }
    }
    if let Some(s) = args.speed {
        if !(s.is_finite() && s > 0.0 && s <= config::MAX_SPEED) {
            return Err(format!(
                "--speed {s}: expected a number above 0, at most {}",
                config::MAX_SPEED
            ));
        }
    }
    Ok(())
}

/// Everything up to the `wine` command line.
fn prepare(args: &WineArgs) -> Result<Command, Fail> {
    validate(args)?;
    let wine = find_wine()?;
    let target = target_dir();
    let base = target.join("qwave-sim").join("wine");
    let dll = find_or_build_dll(args, &base)?;
    let prefix = match std::env::var_os("WINEPREFIX") {
        Some(p) => PathBuf::from(p),
        None => base.join("prefix"),
    };
    ensure_prefix(&wine, &prefix)?;
    let system32 = prefix.join("drive_c/windows/system32");
    install(&dll, &system32.join("qwave.dll"))?;
    let mut overrides = vec!["qwave=n,b".to_string()];
    let shim_dest = system32.join("bcryptprimitives.dll");
    if !shim_dest.exists() || is_our_shim(&shim_dest) {
        let shim = build_shim(&base)?;
        install(&shim, &shim_dest)?;
        overrides.push("bcryptprimitives=n,b".to_string());
    }
    if let Some(user) = std::env::var_os("WINEDLLOVERRIDES") {
        overrides.push(user.to_string_lossy().into_owned());
    }

    let mut cmd = Command::new(&wine);
    cmd.args(&args.program)
        .env("WINEPREFIX", &prefix)
        .env("WINEDLLOVERRIDES", overrides.join(";"));
    if std::env::var_os("WINEDEBUG").is_none() {
        cmd.env("WINEDEBUG", "-all");
    }
    if let Some(w) = &args.world {
        cmd.env(config::WORLD, absolute(w));
    }
    if let Some(s) = args.seed {
        cmd.env(config::SEED, s.to_string());
    }
    if let Some(f) = &args.faults {
        cmd.env(config::FAULTS, absolute(f));
    }
    if let Some(t) = &args.trace {
        cmd.env(config::TRACE, absolute(t));
    }
    if let Some(c) = &args.clock {
        cmd.env(config::CLOCK, c);
    }
    if let Some(s) = args.speed {
        cmd.env(config::SPEED, s.to_string());
    }
    Ok(cmd)
}

/// `--dll`, `QWAVE_SIM_DLL`, the newest build under `base/build`, or a new build.
fn find_or_build_dll(args: &WineArgs, base: &Path) -> Result<PathBuf, Fail> {
    if let Some(d) = args
        .dll
        .clone()
        .or_else(|| std::env::var_os("QWAVE_SIM_DLL").map(PathBuf::from))
    {
        return if d.is_file() {
            Ok(d)
        } else {
            Err(format!("qwave.dll not found at {}", d.display()))
        };
    }
    let build = base.join("build");
    let built = |profile: &str| build.join(TARGET).join(profile).join("qwave.dll");
    if !args.build {
        let newest = ["debug", "release"]
            .iter()
            .map(|p| built(p))
            .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
            .max();
        if let Some((_, p)) = newest {
            return Ok(p);
        }
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/dll/Cargo.toml");
    if !manifest.is_file() {
        return Err(format!(
            "no qwave.dll: pass --dll FILE or set QWAVE_SIM_DLL (this qwave-sim was not built from \
             a source tree, so it cannot build one: {} is missing)",
            manifest.display()
        ));
    }
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
        return Err(format!(
            "building qwave.dll needs the `{TARGET}` target: `rustup target add {TARGET}` \
             (and the mingw-w64 linker: `apt-get install gcc-mingw-w64-x86-64`)"
        ));
    }
    if on_path(GCC).is_none() {
        return Err(format!(
            "building qwave.dll needs the mingw-w64 linker {GCC}: `apt-get install gcc-mingw-w64-x86-64`"
        ));
    }
    eprintln!("qwave-sim wine: building qwave.dll (cargo build -p qwave-dll --target {TARGET})");
    let status = Command::new(env!("CARGO"))
        .args(["build", "-p", "qwave-dll", "--target", TARGET, "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", &build)
        .stdout(Stdio::inherit())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building qwave.dll failed (see above)".into());
    }
    Ok(built("debug"))
}

/// The wineserver next to the Wine loader, else the one on PATH.
fn wineserver(wine: &Path) -> PathBuf {
    let sibling = wine.with_file_name("wineserver");
    if sibling.is_file() {
        sibling
    } else {
        on_path("wineserver").unwrap_or_else(|| PathBuf::from("wineserver"))
    }
}

/// Creates the prefix once (`wineboot --init`), under a lock so concurrent runs wait for it.
fn ensure_prefix(wine: &Path, prefix: &Path) -> Result<(), Fail> {
    let ready = |p: &Path| {
        p.join("system.reg").is_file() && p.join("drive_c/windows/system32/kernel32.dll").is_file()
    };
    if ready(prefix) {
        return Ok(());
    }
    let lock = prefix.with_extension("lock");
    if let Some(parent) = prefix.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let start = Instant::now();
    loop {
        match std::fs::create_dir(&lock) {
            Ok(()) => break,
            Err(_) if ready(prefix) => return Ok(()),
            Err(_) if start.elapsed() > Duration::from_secs(600) => {
                return Err(format!(
                    "waited 10 minutes for another run to create {} (remove {} if no run is creating it)",
                    prefix.display(),
                    lock.display()
                ))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
    let result = (|| {
        if ready(prefix) {
            return Ok(());
        }
        eprintln!(
            "qwave-sim wine: creating the Wine prefix {} (the first run takes a minute or so)",
            prefix.display()
        );
        let t = Instant::now();
        let status = Command::new(wine)
            .args(["wineboot", "--init"])
            .env("WINEPREFIX", prefix)
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer dialogs.
            .env("WINEDLLOVERRIDES", "mscoree=;mshtml=")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", wine.display()))?;
        // The registry reaches the prefix's files when the wineserver exits.
        let _ = Command::new(wineserver(wine))
            .arg("-w")
            .env("WINEPREFIX", prefix)
            .status();
        if !status.success() || !ready(prefix) {
            return Err(format!(
                "`wine wineboot --init` could not create {}",
                prefix.display()
            ));
        }
        eprintln!(
            "qwave-sim wine: prefix ready in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        Ok(())
    })();
    let _ = std::fs::remove_dir(&lock);
    result
}

/// Copies `src` to `dest` unless `dest` already has the same bytes (through a temporary file
/// and a rename, so a concurrent run never loads half a DLL).
fn install(src: &Path, dest: &Path) -> Result<(), Fail> {
    let new = std::fs::read(src).map_err(|e| format!("{}: {e}", src.display()))?;
    if std::fs::read(dest).is_ok_and(|old| old == new) {
        return Ok(());
    }
    let tmp = dest.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &new)
        .and_then(|()| std::fs::rename(&tmp, dest))
        .map_err(|e| format!("cannot install {}: {e}", dest.display()))
}

/// Whether a bcryptprimitives.dll is this shim (small, exporting `ProcessPrng`, without the
/// "Wine builtin DLL" mark of Wine's own files), so a newer shim replaces it.
fn is_our_shim(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.len() < 200_000)
        && std::fs::read(p)
            .is_ok_and(|b| b.windows(11).any(|w| w == b"ProcessPrng") && !b.windows(4).any(|w| w == b"Wine"))
}

/// The shim, built once with mingw-w64.
fn build_shim(base: &Path) -> Result<PathBuf, Fail> {
    let dir = base.join("shim");
    let out = dir.join("bcryptprimitives.dll");
    let src = dir.join("bcryptprimitives.c");
    if out.is_file() && std::fs::read_to_string(&src).is_ok_and(|s| s == SHIM_SOURCE) {
        return Ok(out);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(&src, SHIM_SOURCE).map_err(|e| format!("{}: {e}", src.display()))?;
    let status = Command::new(GCC)
        .args(["-shared", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-ladvapi32")
        .status()
        .map_err(|_| {
            format!(
                "this Wine has no bcryptprimitives.dll, which Rust programs need, and the shim that \
                 provides it is built with {GCC}, which is not installed: \
                 `apt-get install gcc-mingw-w64-x86-64`"
            )
        })?;
    if !status.success() {
        return Err(format!("{GCC} could not build {}", out.display()));
    }
    Ok(out)
}

/// Runs Wine and returns the program's exit code (124 after `--timeout`).
fn launch(mut cmd: Command, timeout: Option<u64>) -> ExitCode {
    #[cfg(unix)]
    if timeout.is_some() {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("qwave-sim wine: cannot start {:?}: {e}", cmd.get_program());
            return ExitCode::from(2);
        }
    };
    let deadline = timeout.map(|s| Instant::now() + Duration::from_secs(s));
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => {
                eprintln!("qwave-sim wine: {e}");
                return ExitCode::from(2);
            }
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            #[cfg(unix)]
            // SAFETY: signals the process group this command created.
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.kill();
            let _ = child.wait();
            eprintln!(
                "qwave-sim wine: the program did not finish within {} s and was killed",
                timeout.unwrap_or(0)
            );
            return ExitCode::from(124);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    match status.code() {
        Some(c) => ExitCode::from((c & 0xFF) as u8),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                ExitCode::from(128u8.wrapping_add(status.signal().unwrap_or(0) as u8))
            }
            #[cfg(not(unix))]
            ExitCode::from(1)
        }
    }
}
