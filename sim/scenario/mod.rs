//! Scenarios: QoS situations as RON files — a world, a seed, and a timeline of API calls with
//! their expected results, socket operations, time advances, faults, waits for overlapped
//! completions and assertions on model state. People replay them from a shell
//! (`qwave-sim run`, `qwave-sim check`) and in CI; tests record what happened into one.
//!
//! Data flows one way: [`load()`] (RON → [`Scenario`], with `file:line:column` diagnostics) →
//! [`run()`] (drives the [`Model`](crate::model::Model), checks expectations) →
//! [`crate::trace`] (renders the model's events). [`record()`] goes the other way, from a
//! model's event log to a scenario. The format is described in `docs/SCENARIOS.md`.

#[cfg(feature = "schema")]
mod json_schema;
pub mod load;
pub mod random_faults;
pub mod record;
pub mod run;
pub mod schema;
mod step_format;

#[cfg(feature = "schema")]
pub use json_schema::json_schema_text;
pub use load::{load, parse, LoadError, Loaded, Pos};
pub use record::{record, record_names};
pub use run::{run, Mismatch, RunOptions, RunReport, Until};
pub use schema::{CallStep, Expectation, Named, Scenario, Step, FORMAT_VERSION};

use erased::Ser as _;

impl Scenario {
    /// The scenario as RON text in the file format, readable by [`parse`]: `implicit_some`,
    /// fields at their defaults left out, the world pretty-printed (omitted when it is the
    /// default world) and one step per line.
    pub fn to_ron(&self) -> String {
        let opts = load::options();
        let compact = ron::ser::PrettyConfig::new()
            .compact_structs(true)
            .compact_arrays(true)
            .compact_maps(true)
            .new_line("")
            .indentor("")
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        let one_line = |v: &dyn erased::Ser| v.ron(&opts, compact.clone());
        let mut out = String::from("Scenario(\n");
        out.push_str(&format!("    version: {},\n", self.version));
        out.push_str(&format!("    name: {},\n", one_line(&self.name)));
        if !self.description.is_empty() {
            out.push_str(&format!("    description: {},\n", one_line(&self.description)));
        }
        out.push_str(&format!("    seed: {},\n", self.seed));
        if self.world != crate::model::World::default() {
            let pretty = ron::ser::PrettyConfig::new()
                .struct_names(false)
                .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
            let world = self.world.ron(&opts, pretty).replace('\n', "\n    ");
            out.push_str(&format!("    world: {world},\n"));
        }
        if let Some(plan) = &self.fault_plan {
            out.push_str(&format!("    fault_plan: {},\n", one_line(plan)));
        }
        out.push_str("    steps: [\n");
        for step in &self.steps {
            out.push_str(&format!("        {},\n", one_line(step)));
        }
        out.push_str("    ],\n)\n");
        out
    }
}

/// Serializing a value of any type through one closure.
mod erased {
    /// A serializable value rendered as RON.
    pub trait Ser {
        /// `self` as RON with these options and this layout.
        fn ron(&self, opts: &ron::Options, cfg: ron::ser::PrettyConfig) -> String;
    }

    impl<T: serde::Serialize> Ser for T {
        fn ron(&self, opts: &ron::Options, cfg: ron::ser::PrettyConfig) -> String {
            opts.to_string_pretty(self, cfg)
                .unwrap_or_else(|e| format!("/* cannot serialize: {e} */"))
        }
    }
}
