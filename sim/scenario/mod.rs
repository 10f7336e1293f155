//! Scenarios: QoS situations as RON files — a world, a seed, and a timeline of API calls with
//! their expected results, socket operations, time advances, faults, waits for overlapped
//! completions and assertions on model state. People replay them from a shell
//! (`qwave-sim run`, `qwave-sim check`) and in CI; tests record what happened into one.
//!
//! Data flows one way: [`load`] (RON → [`Scenario`], with `file:line:column` diagnostics) →
//! [`run`] (drives the [`Model`](crate::model::Model), checks expectations) →
//! [`crate::trace`] (renders the model's events). [`record`] goes the other way, from a
//! model's event log to a scenario. The format is described in `docs/SCENARIOS.md`.

pub mod load;
pub mod plan;
pub mod record;
pub mod run;
pub mod schema;

pub use load::{load, parse, LoadError, Loaded, Pos};
pub use record::{record, record_names};
pub use run::{run, Failure, Outcome, RunOptions, Until};
pub use schema::{Scenario, Step, FORMAT_VERSION};

impl Scenario {
    /// The scenario as RON text in the file format (`implicit_some`, fields at their defaults
    /// left out), readable by [`parse`].
    pub fn to_ron(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new()
            .struct_names(true)
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        let mut s = load::options()
            .to_string_pretty(self, cfg)
            .unwrap_or_else(|e| format!("// cannot serialize this scenario: {e}\n"));
        s.push('\n');
        s
    }
}
