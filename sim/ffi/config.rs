//! `qwave.dll`'s configuration: the `QWAVE_SIM_*` environment variables, read once when the
//! DLL starts, validated here so that the DLL, the `qwave-sim wine` command and the tests
//! agree on what a good value is and what the message for a bad one says.
//!
//! | variable | value | default |
//! | --- | --- | --- |
//! | `QWAVE_SIM_WORLD` | a RON `World(...)` file (the `world` of a scenario) | the default world |
//! | `QWAVE_SIM_SEED` | an unsigned 64-bit integer | 0 |
//! | `QWAVE_SIM_FAULTS` | a RON list of `(at: "5s", fault: DeviceReset)` | no faults |
//! | `QWAVE_SIM_TRACE` | a file the trace is written to (the CLI's text format) | no trace |
//! | `QWAVE_SIM_CLOCK` | `wall` or `virtual` | `wall` |
//! | `QWAVE_SIM_SPEED` | wall clock: model seconds per real second, in (0, 1e6] | 1 |
//! | `QWAVE_SIM_IDLE_MS` | virtual clock: quiet time before the clock steps, 1..=60000 | 100 |
//!
//! An empty value counts as unset. Paths may be Windows paths or absolute Unix paths (under
//! Wine, `/x/y` is read as `Z:/x/y`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::{Fault, Model, VirtualTime, World};
use crate::scenario::schema::Dur;
use crate::scenario::LoadError;

/// One entry of a fault timeline ([`parse_fault_timeline`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedFault {
    /// When (virtual time since the start).
    pub at: Dur,
    /// What happens.
    pub fault: Fault,
}

/// Parses a world file on its own (a RON `World(...)`, as in a scenario's `world` field), with
/// the checks a scenario's world gets; `file` names it in errors (`file:line:column`).
pub fn parse_world(file: &str, src: &str) -> Result<World, LoadError> {
    crate::scenario::load::parse_world(file, src)
}

/// Parses a fault timeline, a RON list of `(at: "5s", fault: DeviceReset)` entries in any
/// order; `file` names it in errors.
pub fn parse_fault_timeline(file: &str, src: &str) -> Result<Vec<TimedFault>, LoadError> {
    crate::scenario::load::parse_fault_timeline(file, src)
}

/// `QWAVE_SIM_WORLD`.
pub const WORLD: &str = "QWAVE_SIM_WORLD";
/// `QWAVE_SIM_SEED`.
pub const SEED: &str = "QWAVE_SIM_SEED";
/// `QWAVE_SIM_FAULTS`.
pub const FAULTS: &str = "QWAVE_SIM_FAULTS";
/// `QWAVE_SIM_TRACE`.
pub const TRACE: &str = "QWAVE_SIM_TRACE";
/// `QWAVE_SIM_CLOCK`.
pub const CLOCK: &str = "QWAVE_SIM_CLOCK";
/// `QWAVE_SIM_SPEED`.
pub const SPEED: &str = "QWAVE_SIM_SPEED";
/// `QWAVE_SIM_IDLE_MS`.
pub const IDLE_MS: &str = "QWAVE_SIM_IDLE_MS";
/// Every variable, in the order of the table above.
pub const ALL: [&str; 7] = [WORLD, SEED, FAULTS, TRACE, CLOCK, SPEED, IDLE_MS];

/// The default `QWAVE_SIM_IDLE_MS`.
pub const DEFAULT_IDLE_MS: u64 = 100;
/// The largest `QWAVE_SIM_SPEED`.
pub const MAX_SPEED: f64 = 1e6;

/// How the DLL's model time moves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clock {
    /// Model time follows the wall clock since the DLL started, times `speed`; a timer thread
    /// delivers completions when they are due.
    Wall {
        /// Model seconds per real second.
        speed: f64,
    },
    /// Deterministic: model time moves only inside blocking calls, and when the process has
    /// made no qWAVE call for `idle_ms` while a request is pending (then it jumps to the next
    /// scheduled event, as a wait in the in-process sim does).
    Virtual {
        /// Quiet wall time before the clock steps.
        idle_ms: u64,
    },
}

/// The DLL's configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The world (`QWAVE_SIM_WORLD`).
    pub world: World,
    /// The world file as given, if any.
    pub world_file: Option<String>,
    /// The model's seed (`QWAVE_SIM_SEED`).
    pub seed: u64,
    /// Faults at virtual times (`QWAVE_SIM_FAULTS`).
    pub faults: Vec<TimedFault>,
    /// Where the trace goes (`QWAVE_SIM_TRACE`).
    pub trace: Option<PathBuf>,
    /// How time moves (`QWAVE_SIM_CLOCK`, `QWAVE_SIM_SPEED`, `QWAVE_SIM_IDLE_MS`).
    pub clock: Clock,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            world: World::default(),
            world_file: None,
            seed: 0,
            faults: Vec::new(),
            trace: None,
            clock: Clock::Wall { speed: 1.0 },
        }
    }
}

impl Config {
    /// Reads the variables through `var` (`std::env::var` in the DLL). Every bad value is
    /// reported, one line each, each naming the variable, the value and what is expected.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let mut errors = Vec::new();
        let mut c = Config::default();
        if let Some(v) = get(SEED) {
            match v.trim().parse::<u64>() {
                Ok(s) => c.seed = s,
                Err(_) => errors.push(format!("{SEED}=`{v}` is not a seed (an unsigned 64-bit integer)")),
            }
        }
        if let Some(v) = get(WORLD) {
            match read(&v).and_then(|src| parse_world(&v, &src).map_err(|e| e.to_string())) {
                Ok(w) => {
                    c.world = w;
                    c.world_file = Some(v);
                }
                Err(e) => errors.push(format!("{WORLD}=`{v}`: {e}")),
            }
        }
        if let Some(v) = get(FAULTS) {
            match read(&v).and_then(|src| parse_fault_timeline(&v, &src).map_err(|e| e.to_string())) {
                Ok(f) => c.faults = f,
                Err(e) => errors.push(format!(
                    "{FAULTS}=`{v}`: {e}\n  (expected a list like [(at: \"5s\", fault: DeviceReset)])"
                )),
            }
        }
        if let Some(v) = get(TRACE) {
            c.trace = Some(host_path(&v));
        }
        let clock = get(CLOCK);
        let virtual_clock = match clock.as_deref().map(str::trim) {
            None | Some("wall") => false,
            Some("virtual") => true,
            Some(other) => {
                errors.push(format!("{CLOCK}=`{other}` is neither `wall` nor `virtual`"));
                false
            }
        };
        let speed = match get(SPEED) {
            None => 1.0,
            Some(v) => match v.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 && s <= MAX_SPEED => s,
                _ => {
                    errors.push(format!(
                        "{SPEED}=`{v}` is not a speed factor (a number above 0, at most {MAX_SPEED})"
                    ));
                    1.0
                }
            },
        };
        let idle_ms = match get(IDLE_MS) {
            None => DEFAULT_IDLE_MS,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(ms) if (1..=60_000).contains(&ms) => ms,
                _ => {
                    errors.push(format!(
                        "{IDLE_MS}=`{v}` is not a number of milliseconds from 1 to 60000"
                    ));
                    DEFAULT_IDLE_MS
                }
            },
        };
        c.clock = if virtual_clock {
            Clock::Virtual { idle_ms }
        } else {
            Clock::Wall { speed }
        };
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors.join("\n"))
        }
    }

    /// A model for this configuration, with the fault timeline scheduled.
    pub fn model(&self) -> Model {
        let mut m = Model::new(self.world.clone(), self.seed);
        for f in &self.faults {
            m.inject_at(VirtualTime(f.at.us), f.fault.clone());
        }
        m
    }

    /// The first line of the DLL's trace: everything that decides the run, nothing that
    /// changes between runs.
    pub fn header(&self) -> String {
        let clock = match self.clock {
            Clock::Wall { speed } => format!("wall x{speed}"),
            Clock::Virtual { idle_ms } => format!("virtual (idle {idle_ms} ms)"),
        };
        format!(
            "# qwave.dll seed {} world {} faults {} clock {clock}",
            self.seed,
            self.world_file.as_deref().unwrap_or("default"),
            self.faults.len(),
        )
    }
}

fn read(v: &str) -> Result<String, String> {
    let p = host_path(v);
    std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
}

/// A path from the environment as this process can open it: on Windows (under Wine) an
/// absolute Unix path `/x/y` becomes `Z:/x/y`, Wine's drive for the Unix root.
pub fn host_path(v: &str) -> PathBuf {
    let v = v.trim();
    if cfg!(windows) && v.starts_with('/') {
        PathBuf::from(format!("Z:{v}"))
    } else {
        PathBuf::from(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn unset_and_empty_values_give_the_defaults() {
        assert_eq!(Config::from_vars(vars(&[])).unwrap(), Config::default());
        assert_eq!(
            Config::from_vars(vars(&[(SEED, " "), (CLOCK, "")])).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn every_bad_value_is_named_with_what_is_expected() {
        let e = Config::from_vars(vars(&[
            (SEED, "banana"),
            (CLOCK, "sundial"),
            (SPEED, "0"),
            (IDLE_MS, "-3"),
            (WORLD, "/nonexistent/world.ron"),
            (FAULTS, "/nonexistent/faults.ron"),
        ]))
        .unwrap_err();
        for needle in [
            "QWAVE_SIM_SEED=`banana` is not a seed",
            "QWAVE_SIM_CLOCK=`sundial` is neither `wall` nor `virtual`",
            "QWAVE_SIM_SPEED=`0` is not a speed factor",
            "QWAVE_SIM_IDLE_MS=`-3`",
            "QWAVE_SIM_WORLD=`/nonexistent/world.ron`: cannot read",
            "QWAVE_SIM_FAULTS=`/nonexistent/faults.ron`: cannot read",
        ] {
            assert!(e.contains(needle), "{needle:?} missing from:\n{e}");
        }
        assert_eq!(e.lines().filter(|l| l.starts_with("QWAVE_SIM_")).count(), 6);
    }

    #[test]
    fn a_fault_timeline_and_a_world_parse_with_positions_on_error() {
        let f = parse_fault_timeline(
            "f.ron",
            "[(at: \"5s\", fault: DeviceReset), (at: \"250ms\", fault: Sleep)]",
        )
        .unwrap();
        assert_eq!(f[0].at.us, 5_000_000);
        assert_eq!(f[1].fault, crate::model::Fault::Sleep);
        let e = parse_fault_timeline("f.ron", "[(at: \"5s\",\n fault: Reboot)]").unwrap_err();
        assert_eq!((e.pos.line, e.file.as_str()), (2, "f.ron"));
        let w = parse_world("w.ron", "World(policy: (admin: true))").unwrap();
        assert!(w.policy.admin);
        let e = parse_world("w.ron", "World(\n  colour: 3)").unwrap_err();
        assert_eq!(e.pos.line, 2);
    }

    #[test]
    fn virtual_clock_and_speed() {
        let c = Config::from_vars(vars(&[(CLOCK, "virtual"), (IDLE_MS, "20"), (SEED, "7")])).unwrap();
        assert_eq!(c.clock, Clock::Virtual { idle_ms: 20 });
        assert_eq!(c.seed, 7);
        let c = Config::from_vars(vars(&[(SPEED, "250.5")])).unwrap();
        assert_eq!(c.clock, Clock::Wall { speed: 250.5 });
        assert!(c.header().contains("wall x250.5"));
    }
}
