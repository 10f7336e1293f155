//! Saving what a test did as a scenario file, on request or when the test fails, so
//! `qwave-sim check FILE` reproduces the run exactly.
//!
//! Files go to `$QWAVE_SIM_RECORD_DIR`, or `target/qwave-sim/recordings/` under the current
//! directory (the package root under `cargo test`), named after the recording. Set
//! `QWAVE_SIM_RECORD=always` to save passing runs too.

use std::path::{Path, PathBuf};

use crate::scenario::{self, Scenario};
use crate::Sim;

/// Where recordings go when no path is given.
pub fn recording_dir() -> PathBuf {
    match std::env::var_os("QWAVE_SIM_RECORD_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => PathBuf::from("target").join("qwave-sim").join("recordings"),
    }
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

impl Sim {
    /// Everything this sim did so far, as a scenario: its world, its seed, and every call,
    /// fault and time advance with the observed results as expectations.
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
        let (world, seed, events) = self.with_model(|m| (m.world().clone(), m.seed(), m.events().to_vec()));
        let mut s = scenario::record(&world, seed, &events);
        s.name = name.to_string();
        s
    }

    /// Writes [`Sim::to_scenario`] to `path` (creating its folder) and returns the path.
    pub fn save_scenario(&self, name: &str, path: &Path) -> std::io::Result<PathBuf> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, self.to_scenario(name).to_ron())?;
        Ok(path.to_path_buf())
    }

    /// A guard that, when dropped during a panic (a failing test) or with
    /// `QWAVE_SIM_RECORD=always`, saves this sim's run to `recording_dir()/NAME.ron` and prints
    /// the path and the command that replays it.
    ///
    /// ```
    /// let sim = qwave_sim::Sim::new();
    /// let _rec = sim.record_on_failure("my_test");
    /// // ... the test; if it panics, target/qwave-sim/recordings/my_test.ron is written.
    /// ```
    pub fn record_on_failure(&self, name: &str) -> Recording {
        Recording {
            sim: self.clone(),
            name: name.to_string(),
            dir: None,
        }
    }
}

/// Saves a sim's run when dropped during a panic; see [`Sim::record_on_failure`].
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
            Ok(p) => eprintln!(
                "qwave-sim: recorded this run (seed {}) to {}\nqwave-sim: replay it with: cargo run -- check {}",
                self.sim.seed(),
                p.display(),
                p.display()
            ),
            Err(e) => eprintln!("qwave-sim: could not record this run to {}: {e}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_are_safe() {
        assert_eq!(file_name("voice call/1"), "voice_call_1.ron");
        assert_eq!(file_name(""), "recording.ron");
        assert_eq!(file_name("a-b_c"), "a-b_c.ron");
    }
}
