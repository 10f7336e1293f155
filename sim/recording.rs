//! Saving what a test did as a scenario file, on request or when the test fails, so
//! `qwave-sim check FILE` reproduces the run exactly.
//!
//! Files go to [`recording_dir()`]: `$QWAVE_SIM_RECORD_DIR`, or `qwave-sim/recordings/` in the
//! cargo target directory of the build that made the test (`$CARGO_TARGET_DIR`, else found from
//! the test executable's path), named after the recording. Set `QWAVE_SIM_RECORD=always` to
//! save passing runs too.

use std::path::{Path, PathBuf};

use crate::scenario::{self, Scenario};
use crate::Sim;

/// Where recordings go when no path is given, as an absolute path:
///
/// 1. `$QWAVE_SIM_RECORD_DIR`, if set;
/// 2. else `qwave-sim/recordings/` in the cargo target directory of the build that produced
///    the running executable: `$CARGO_TARGET_DIR` if set, else the nearest folder above the
///    executable holding a file cargo writes at the top of a target directory
///    (`CACHEDIR.TAG` or `.rustc_info.json`; `.../target/debug/deps/my_test-…` →
///    `.../target`), else `./target`.
///
/// So a test in your own project records under your project's target directory (or your
/// workspace's, or wherever `CARGO_TARGET_DIR` points), not under the current directory.
pub fn recording_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("QWAVE_SIM_RECORD_DIR").filter(|d| !d.is_empty()) {
        return absolute(PathBuf::from(d));
    }
    absolute(target_dir()).join("qwave-sim").join("recordings")
}

/// The cargo target directory of the running executable's build.
fn target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let exe = std::env::current_exe().ok();
    exe.as_deref()
        .and_then(target_dir_of)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Files cargo writes at the top of a target directory. `CACHEDIR.TAG` only when cargo
/// creates the directory itself (not when a script made `target/` first), and
/// `.rustc_info.json` unless `CARGO_CACHE_RUSTC_INFO=0`: either is enough.
const TARGET_MARKERS: [&str; 2] = ["CACHEDIR.TAG", ".rustc_info.json"];

/// The cargo target directory holding `exe`: the nearest ancestor with one of
/// [`TARGET_MARKERS`].
fn target_dir_of(exe: &Path) -> Option<PathBuf> {
    exe.ancestors()
        .skip(1)
        .find(|d| TARGET_MARKERS.iter().any(|m| d.join(m).is_file()))
        .map(Path::to_path_buf)
}

/// `p` made absolute against the current directory (left as is if that fails).
fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

/// A file name made of the recording's name: letters, digits, `-` and `_` kept, the rest `_`.
fn file_name(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    format!("{}.ron", if stem.is_empty() { "recording" } else { &stem })
}

/// Why a sim's run cannot be saved as a scenario: its event log does not hold the whole run,
/// so a replay from the start would not reproduce it. See [`crate::SimBuilder::history`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncompleteLog {
    /// Events of the run the log no longer holds (0 when the sim records nothing).
    pub dropped: u64,
    /// How many events the sim keeps (0: built with `.record(false)`).
    pub history: usize,
}

impl std::fmt::Display for IncompleteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.history == 0 {
            return write!(
                f,
                "this sim records no events (built with `.record(false)`), so its run cannot be \
                 saved as a scenario"
            );
        }
        write!(
            f,
            "the sim's event log no longer holds the whole run: it keeps the last {} events and \
             the first {} are gone, so a scenario of it would not replay. To record long runs, \
             call `sim.record_on_failure(..)` before the run starts or build the sim with \
             `Sim::builder().history(usize::MAX)` (about 130 bytes per event)",
            self.history, self.dropped
        )
    }
}

impl std::error::Error for IncompleteLog {}

impl Sim {
    /// Everything this sim did so far, as a scenario: its world, its seed, and every call,
    /// fault and time advance with the observed results as expectations.
    ///
    /// # Panics
    /// If the log does not hold the whole run ([`IncompleteLog`]: a run longer than the sim's
    /// [`history`](crate::SimBuilder::history), or a sim built with `.record(false)`);
    /// [`Sim::try_to_scenario`] returns that as an error instead.
    ///
    /// ```
    /// use qwave_sim::call::{Call, CreateHandle};
    /// use qwave_sim::scenario::{run, RunOptions};
    /// let sim = qwave_sim::Sim::builder().seed(9).build();
    /// let create = Call::CreateHandle(CreateHandle { handle: (), version: Some((1, 0)), out: true });
    /// sim.with_model(|m| m.apply(create)).unwrap();
    /// let scenario = sim.to_scenario("one handle");
    /// assert!(run(&scenario, &RunOptions::default()).passed());
    /// ```
    pub fn to_scenario(&self, name: &str) -> Scenario {
        self.try_to_scenario(name)
            .unwrap_or_else(|e| panic!("qwave-sim: {e}"))
    }

    /// [`Sim::to_scenario`], or why the run cannot be one.
    pub fn try_to_scenario(&self, name: &str) -> Result<Scenario, IncompleteLog> {
        let (world, seed, events) = self.with_model(|m| {
            let (dropped, history) = (m.events_dropped(), m.history());
            if dropped > 0 || history == 0 {
                return Err(IncompleteLog { dropped, history });
            }
            Ok((m.world().clone(), m.seed(), m.events().to_vec()))
        })?;
        let mut s = scenario::record(&world, seed, &events);
        s.name = name.to_string();
        Ok(s)
    }

    /// Writes [`Sim::to_scenario`] to `path` (creating its folder) and returns the path; an
    /// [`IncompleteLog`] is an error of kind `Other`.
    pub fn save_scenario(&self, name: &str, path: &Path) -> std::io::Result<PathBuf> {
        let scenario = self.try_to_scenario(name).map_err(std::io::Error::other)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, scenario.to_ron())?;
        Ok(path.to_path_buf())
    }

    /// A guard that, when dropped during a panic (a failing test) or with
    /// `QWAVE_SIM_RECORD=always`, saves this sim's run to `recording_dir()/NAME.ron` and prints
    /// the path and the command that replays it.
    ///
    /// A recording needs the whole run, so this lifts the sim's history limit
    /// ([`SimBuilder::history`](crate::SimBuilder::history)) for the rest of the run: every
    /// event is kept from now on, about 130 bytes each, until the sim is dropped. Call it
    /// before the run starts; if the sim already dropped events, the guard says so when it
    /// fires instead of writing a file that would not replay.
    ///
    /// ```
    /// let sim = qwave_sim::Sim::new();
    /// let _rec = sim.record_on_failure("my_test");
    /// // ... the test; if it panics, <target dir>/qwave-sim/recordings/my_test.ron is written.
    /// ```
    pub fn record_on_failure(&self, name: &str) -> Recording {
        self.with_model(|m| {
            if m.history() > 0 {
                m.set_history(usize::MAX);
            }
        });
        Recording {
            sim: self.clone(),
            name: name.to_string(),
            dir: None,
        }
    }
}

/// Saves a sim's run when dropped during a panic; see [`Sim::record_on_failure`]. Keep it in
/// a variable for the whole test (`let _rec = ...`): `let _ = ...` drops it at once.
#[must_use = "the run is recorded only if the guard is still alive when the test fails"]
#[derive(Debug)]
pub struct Recording {
    sim: Sim,
    name: String,
    dir: Option<PathBuf>,
}

impl Recording {
    /// Writes into `dir` instead of [`recording_dir()`].
    pub fn in_dir(mut self, dir: impl Into<PathBuf>) -> Recording {
        self.dir = Some(dir.into());
        self
    }

    /// The file this recording is written to.
    pub fn path(&self) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(recording_dir)
            .join(file_name(&self.name))
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let always = std::env::var("QWAVE_SIM_RECORD").is_ok_and(|v| v == "always");
        if !(std::thread::panicking() || always) {
            return;
        }
        let path = self.path();
        match self.sim.save_scenario(&self.name, &path) {
            Ok(p) => eprintln!("{}", saved_message(self.sim.seed(), &p)),
            Err(e) => eprintln!("qwave-sim: could not record this run to {}: {e}", path.display()),
        }
    }
}

/// What a saved recording prints: where it is and a replay command that works from any
/// directory.
fn saved_message(seed: u64, path: &Path) -> String {
    format!(
        "qwave-sim: recorded this run (seed {seed}) to {p}\n\
         qwave-sim: replay it with: qwave-sim check {p}\n\
         qwave-sim: (no `qwave-sim` command? install it with: cargo install qwave-sim)",
        p = path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_dir_is_found_above_the_executable() {
        for marker in TARGET_MARKERS {
            target_dir_is_found_by(marker);
        }
    }

    fn target_dir_is_found_by(marker: &str) {
        let root = std::env::temp_dir().join(format!(
            "qwave-sim-target-{}-{}",
            std::process::id(),
            marker.trim_start_matches('.')
        ));
        let deps = root.join("target").join("debug").join("deps");
        std::fs::create_dir_all(&deps).unwrap();
        std::fs::write(root.join("target").join(marker), "cargo wrote this").unwrap();
        let exe = deps.join("my_app_test-0123456789abcdef");
        assert_eq!(target_dir_of(&exe), Some(root.join("target")));
        let cross = root
            .join("target")
            .join("x86_64-unknown-linux-gnu")
            .join("release")
            .join("deps")
            .join("t");
        assert_eq!(target_dir_of(&cross), Some(root.join("target")));
        assert_eq!(target_dir_of(&root.join("elsewhere").join("t")), None);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn this_test_records_under_its_own_target_dir() {
        let exe = std::env::current_exe().unwrap();
        let dir = recording_dir();
        assert!(dir.is_absolute(), "{}", dir.display());
        if std::env::var_os("QWAVE_SIM_RECORD_DIR").is_none()
            && std::env::var_os("CARGO_TARGET_DIR").is_none()
        {
            let target = dir.parent().and_then(Path::parent).unwrap();
            assert!(
                exe.starts_with(target),
                "{} is not under {}",
                exe.display(),
                target.display()
            );
            assert!(
                TARGET_MARKERS.iter().any(|m| target.join(m).is_file()),
                "{} has none of {TARGET_MARKERS:?}",
                target.display()
            );
        }
    }

    #[test]
    fn the_replay_command_is_the_installed_binary_on_an_absolute_path() {
        let m = saved_message(7, Path::new("/p/target/qwave-sim/recordings/t.ron"));
        assert!(
            m.contains("replay it with: qwave-sim check /p/target/qwave-sim/recordings/t.ron"),
            "{m}"
        );
        assert!(m.contains("cargo install qwave-sim"), "{m}");
        assert!(!m.contains("cargo run"), "{m}");
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("voice call/1"), "voice_call_1.ron");
        assert_eq!(file_name(""), "recording.ron");
        assert_eq!(file_name("a-b_c"), "a-b_c.ron");
    }
}
