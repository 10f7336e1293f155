//! One test per rule of `RULES.md`: each test is named after the rule it proves
//! (`add_3_...` proves ADD-3) and drives the pure model through [`common::T`].

mod common;
mod coverage;

mod add;
mod amb;
mod amb_late;
mod cancel;
mod close;
mod create;
mod enumerate;
mod general;
mod notify;
mod query;
mod real_world;
mod remove;
mod set;
mod sim_rules;
mod tracking;
mod traffic_type;
