//! Random faults (a file's `fault_plan`): faults drawn before each step from a ChaCha stream
//! derived from the seed, so one scenario explores many runs (`--seed`) and each run is
//! reproducible from its seed.

use super::schema::RandomFaults;
use crate::model::{Fault, SimRng};

/// Mixed into the seed so the plan's stream is independent of the model's own RNG stream.
const PLAN_STREAM: u64 = 0x706c_616e_5f71_7773; // "plan_qws"

/// Random faults being drawn during a run.
#[derive(Clone, Debug)]
pub struct FaultDraws {
    rng: SimRng,
    faults: Vec<(f64, Fault)>,
    left: Vec<u32>,
}

impl FaultDraws {
    /// The draws of a run with `seed`.
    pub fn new(plan: &RandomFaults, seed: u64) -> FaultDraws {
        FaultDraws {
            rng: SimRng::new(seed ^ PLAN_STREAM),
            faults: plan
                .faults
                .iter()
                .map(|p| (p.probability, p.fault.clone()))
                .collect(),
            left: plan.faults.iter().map(|p| p.max).collect(),
        }
    }

    /// The faults that fire before the next step, in the file's order. Every candidate draws once per
    /// step (even when exhausted), so the stream does not depend on earlier outcomes.
    pub fn draw(&mut self) -> Vec<Fault> {
        let mut out = Vec::new();
        for (i, (p, fault)) in self.faults.iter().enumerate() {
            let hit = self.rng.chance(*p);
            if hit && self.left[i] > 0 {
                self.left[i] -= 1;
                out.push(fault.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::schema::RandomFault;

    fn plan(p: f64, max: u32) -> RandomFaults {
        RandomFaults {
            faults: vec![RandomFault {
                probability: p,
                fault: Fault::DeviceReset,
                max,
            }],
        }
    }

    #[test]
    fn same_seed_same_draws_and_max_is_respected() {
        let draws = |seed| {
            let mut s = FaultDraws::new(&plan(0.3, 100), seed);
            (0..200).map(|_| s.draw().len()).collect::<Vec<_>>()
        };
        assert_eq!(draws(9), draws(9));
        assert_ne!(draws(9), draws(10));
        let mut s = FaultDraws::new(&plan(1.0, 2), 1);
        let fired: usize = (0..10).map(|_| s.draw().len()).sum();
        assert_eq!(fired, 2);
        let mut s = FaultDraws::new(&plan(0.0, 5), 1);
        assert!((0..100).all(|_| s.draw().is_empty()));
    }
}
