//! The windows surface, driven exactly as an app drives windows-rs: one test per rule or
//! property, each on its own `Sim`.

mod common;

mod gen;
mod random;
mod robust;
mod runtime;
mod signatures;
