//! The `scenario_text` fuzz target's body: arbitrary bytes as a scenario file, through the
//! parser and the path `qwave-sim check` takes (load, then run with every expectation and the
//! model's invariants checked after every step).

use std::fmt;

use crate::model::{VirtualTime, World};
use crate::scenario::{self, RunOptions, Until};

use super::MAX_PERIODS_PER_ADVANCE;

/// Virtual time one fuzzed scenario may cover when its world has no congestion period: a day.
pub const MAX_SCENARIO_TIME_US: u64 = 24 * 3600 * 1_000_000;

/// A scenario the model broke an invariant on (a failed expectation is not a finding: fuzzed
/// scenarios expect arbitrary things).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioFinding {
    /// The scenario as parsed, re-rendered as RON (replayable with `qwave-sim check`).
    pub scenario_ron: String,
    /// Step index of the violation.
    pub step: usize,
    /// The violated invariant.
    pub violation: String,
}

impl fmt::Display for ScenarioFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "model invariant broken at step {}: {}",
            self.step, self.violation
        )?;
        write!(f, "scenario:\n{}", self.scenario_ron)
    }
}

/// How far a fuzzed scenario may run in virtual time: [`MAX_PERIODS_PER_ADVANCE`] of its
/// shortest congestion period (each period costs one scheduled event), at most
/// [`MAX_SCENARIO_TIME_US`]. The bound is passed as `--until` would be, so the run is still
/// the CLI's.
pub fn time_cap_us(world: &World) -> u64 {
    world
        .peers
        .iter()
        .map(|p| &p.path)
        .chain(std::iter::once(&world.offlink_path))
        .filter_map(|p| p.congestion_period_ms.filter(|ms| *ms > 0))
        .min()
        .map_or(MAX_SCENARIO_TIME_US, |ms| {
            ms.saturating_mul(1000)
                .saturating_mul(MAX_PERIODS_PER_ADVANCE)
                .min(MAX_SCENARIO_TIME_US)
        })
}

/// Runs `data` as a scenario file: (lossy) UTF-8 → [`scenario::parse`] → if it parses,
/// [`scenario::run()`] (the `qwave-sim check` path) bounded by [`time_cap_us`]. Parse errors
/// and failed expectations are fine; a panic or a broken model invariant is a finding.
/// Returns whether the text parsed, or the finding.
pub fn scenario_bytes(data: &[u8]) -> Result<bool, ScenarioFinding> {
    let src = String::from_utf8_lossy(data);
    let parsed = scenario::parse("fuzz.ron", &src);
    assert!(
        scenario::load::same_as_positioned("fuzz.ron", &src, &parsed),
        "the one-pass parse and the positioned passes disagree"
    );
    let Ok(loaded) = parsed else {
        return Ok(false);
    };
    let s = &loaded.scenario;
    let opts = RunOptions {
        seed: None,
        until: Some(Until::Time(VirtualTime(time_cap_us(&s.world)))),
        // Invariants after every step, as `qwave-sim check`, both incrementally and fully.
        compare_invariant_checks: true,
        ..RunOptions::default()
    };
    let out = scenario::run(s, &opts);
    for f in &out.failures {
        if f.what == "model invariant" {
            return Err(ScenarioFinding {
                scenario_ron: s.to_ron(),
                step: f.step,
                violation: f.actual.clone(),
            });
        }
    }
    // `qwave-sim run` renders the trace of the same run: it must not panic either.
    let _ = out.trace(crate::trace::Format::Text);
    Ok(true)
}
