//! Fault coverage: which error codes each qWAVE function returned, which faults fired, which
//! rule ids those outcomes exercise, and which **documented failures** an app never met —
//! "QOSQueryFlow never returned ERROR_DEVICE_REINITIALIZATION_NEEDED".
//!
//! A [`Coverage`] is built from an event log ([`Coverage::from_events`], [`Sim::coverage`](crate::Sim::coverage))
//! and merges with others ([`Coverage::merge`]), so one report can cover a whole test suite:
//! with `QWAVE_SIM_COVERAGE=PATH` set, every [`Sim`](crate::Sim) adds its run to the JSON report
//! at `PATH` when it is dropped ([`contribute`]). The merge holds a lock file (and an in-process
//! mutex) around read-merge-write, so parallel tests in one process and test binaries running
//! side by side all land in the same file.
//!
//! What counts as documented is the table [`DOCUMENTED`], one place, kept in step with
//! `RULES.md`: for each function, the codes its rules say it can return and the rule ids that say
//! so.
//!
//! ```
//! use qwave_sim::{coverage::Coverage, Sim};
//! use qwave_sim::windows::Win32::{Foundation::HANDLE, NetworkManagement::QoS::*};
//!
//! let sim = Sim::new();
//! let _g = sim.enter();
//! let mut h = HANDLE::default();
//! unsafe { QOSCreateHandle(&QOS_VERSION { MajorVersion: 1, MinorVersion: 0 }, &mut h) }.unwrap();
//! let _ = unsafe { QOSCloseHandle(HANDLE(std::ptr::null_mut())) };
//! let cov: Coverage = sim.coverage();
//! assert_eq!(cov.returned("QOSCloseHandle", "ERROR_INVALID_HANDLE"), 1);
//! assert!(cov.rules().contains(&"CRE-4"));
//! assert!(cov
//!     .missed()
//!     .iter()
//!     .any(|m| m.to_string().starts_with("QOSCreateHandle never returned ERROR_SERVICE_DEPENDENCY_FAIL")));
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::{Event, Func, Stamped, Win32Error};

/// Environment variable naming the JSON file every [`Sim`](crate::Sim) of a process adds its
/// coverage to when dropped.
pub const COVERAGE_ENV: &str = "QWAVE_SIM_COVERAGE";

/// The outcome key of a successful call (`TRUE`).
pub const SUCCESS: &str = "TRUE";

/// One documented failure: a code a function can return, and the rules that say so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Documented {
    /// The code.
    pub code: Win32Error,
    /// The rule ids of `RULES.md` that name it for this function.
    pub rules: &'static [&'static str],
}

const fn d(code: Win32Error, rules: &'static [&'static str]) -> Documented {
    Documented { code, rules }
}

use Win32Error as E;

/// GEN-11's resource and device failures, with the function's own rule for them.
macro_rules! resources {
    ($rule:literal) => {
        [
            d(E::ERROR_NOT_ENOUGH_MEMORY, &["GEN-11", $rule]),
            d(E::ERROR_NO_SYSTEM_RESOURCES, &["GEN-11", $rule]),
            d(E::ERROR_IO_DEVICE, &["GEN-11", $rule]),
        ]
    };
}

/// For each of the 11 functions (in [`Func::ALL`] order), the failures `RULES.md` documents:
/// the one table behind [`Coverage::missed`]. Codes that only a non-default setting produces
/// (`ERROR_SYSTEM_POWERSTATE_TRANSITION` and `ERROR_SYSTEM_POWERSTATE_COMPLEX_TRANSITION`,
/// AMB-40; `ERROR_ALREADY_EXISTS` from Add, AMB-30) are left out; `ERROR_OPERATION_ABORTED` is a
/// completion status of overlapped requests.
pub const DOCUMENTED: [(Func, &[Documented]); 11] = {
    const R_CRE: [Documented; 3] = resources!("CRE-9");
    const R_ADD: [Documented; 3] = resources!("ADD-14");
    const R_REM: [Documented; 3] = resources!("REM-7");
    const R_SET: [Documented; 3] = resources!("SET-14");
    const R_QRY: [Documented; 3] = resources!("QRY-14");
    const R_NOT: [Documented; 3] = resources!("NOT-11");
    const R_CAN: [Documented; 3] = resources!("CAN-6");
    const R_ENU: [Documented; 3] = resources!("ENU-10");
    const R_STA: [Documented; 3] = resources!("STA-9");
    const R_STO: [Documented; 3] = resources!("STO-6");
    [
        (
            Func::CreateHandle,
            &[
                d(E::ERROR_INVALID_PARAMETER, &["CRE-1", "CRE-2", "CRE-3", "CRE-11"]),
                d(E::ERROR_SERVICE_DEPENDENCY_FAIL, &["CRE-6", "AMB-28"]),
                d(E::ERROR_RESOURCE_DISABLED, &["CRE-7", "AMB-28"]),
                d(E::ERROR_GEN_FAILURE, &["CRE-8", "GEN-9"]),
                R_CRE[0],
                R_CRE[1],
                R_CRE[2],
                d(E::ERROR_ADAP_HDW_ERR, &["GEN-11"]),
            ],
        ),
        (
            Func::CloseHandle,
            &[
                d(
                    E::ERROR_INVALID_HANDLE,
                    &["CLO-1", "CLO-2", "CLO-8", "GEN-6", "AMB-2"],
                ),
                d(E::ERROR_NOT_ENOUGH_MEMORY, &["GEN-11"]),
                d(E::ERROR_NO_SYSTEM_RESOURCES, &["GEN-11"]),
                d(E::ERROR_IO_DEVICE, &["GEN-11"]),
            ],
        ),
        (
            Func::AddSocketToFlow,
            &[
                d(E::ERROR_INVALID_HANDLE, &["ADD-1", "GEN-6"]),
                d(
                    E::ERROR_INVALID_PARAMETER,
                    &[
                        "ADD-2", "ADD-3", "ADD-4", "ADD-5", "ADD-6", "ADD-19", "AMB-7", "SIM-1",
                    ],
                ),
                d(E::ERROR_NOT_FOUND, &["AMB-7"]),
                d(E::ERROR_NOT_SUPPORTED, &["ADD-10", "AMB-8"]),
                d(E::ERROR_BAD_NET_NAME, &["ADD-11"]),
                d(E::ERROR_CONNECTION_REFUSED, &["ADD-12"]),
                d(E::ERROR_HOST_UNREACHABLE, &["ADD-13"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "ADD-14"]),
                R_ADD[0],
                R_ADD[1],
                R_ADD[2],
                d(E::ERROR_ADAP_HDW_ERR, &["GEN-11", "ADD-14"]),
            ],
        ),
        (
            Func::RemoveSocketFromFlow,
            &[
                d(E::ERROR_INVALID_HANDLE, &["REM-1", "GEN-6"]),
                d(E::ERROR_NOT_FOUND, &["REM-2", "REM-8", "AMB-10"]),
                d(E::ERROR_INVALID_PARAMETER, &["REM-8", "AMB-39"]),
                d(E::ERROR_HOST_UNREACHABLE, &["REM-7"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "REM-7"]),
                R_REM[0],
                R_REM[1],
                R_REM[2],
            ],
        ),
        (
            Func::SetFlow,
            &[
                d(E::ERROR_INVALID_HANDLE, &["SET-1", "GEN-6"]),
                d(E::ERROR_NOT_FOUND, &["SET-2", "AMB-12"]),
                d(
                    E::ERROR_INVALID_PARAMETER,
                    &["SET-2", "SET-3", "SET-4", "SET-7b", "SET-7c", "SET-7e"],
                ),
                d(E::ERROR_ACCESS_DENIED, &["SET-7a"]),
                d(E::ERROR_ACCESS_DISABLED_BY_POLICY, &["SET-7f", "SET-9"]),
                d(E::ERROR_NETWORK_BUSY, &["SET-6e", "SET-6f"]),
                d(E::ERROR_NOT_SUPPORTED, &["SET-10"]),
                d(E::ERROR_RETRY, &["SET-11"]),
                d(E::ERROR_BUSY, &["SET-12"]),
                d(E::ERROR_UNEXP_NET_ERR, &["SET-13"]),
                d(E::ERROR_HOST_UNREACHABLE, &["SET-13"]),
                d(E::ERROR_OPERATION_ABORTED, &["CLO-5", "CAN-3", "AMB-1"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "SET-14"]),
                R_SET[0],
                R_SET[1],
                R_SET[2],
                d(E::ERROR_ADAP_HDW_ERR, &["GEN-11", "SET-14"]),
            ],
        ),
        (
            Func::QueryFlow,
            &[
                d(E::ERROR_INVALID_HANDLE, &["QRY-1", "GEN-6"]),
                d(E::ERROR_NOT_FOUND, &["QRY-2", "AMB-12"]),
                d(E::ERROR_INVALID_PARAMETER, &["QRY-2", "QRY-5", "AMB-16"]),
                d(E::ERROR_INSUFFICIENT_BUFFER, &["QRY-3", "AMB-15"]),
                d(E::ERROR_NOT_SUPPORTED, &["QRY-7", "QRY-8", "AMB-17"]),
                d(E::ERROR_NO_DATA, &["QRY-9", "AMB-36"]),
                d(E::ERROR_RETRY, &["QRY-6", "QRY-14", "AMB-36"]),
                d(E::ERROR_TIMEOUT, &["QRY-13"]),
                d(E::ERROR_ACCESS_DISABLED_BY_POLICY, &["QRY-14"]),
                d(E::ERROR_HOST_UNREACHABLE, &["QRY-14"]),
                d(E::ERROR_BUSY, &["QRY-14"]),
                d(E::ERROR_OPERATION_ABORTED, &["CLO-5", "CAN-3", "AMB-1"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "QRY-14"]),
                R_QRY[0],
                R_QRY[1],
                R_QRY[2],
                d(E::ERROR_ADAP_HDW_ERR, &["GEN-11", "QRY-14"]),
            ],
        ),
        (
            Func::NotifyFlow,
            &[
                d(E::ERROR_INVALID_HANDLE, &["NOT-1", "GEN-6"]),
                d(E::ERROR_NOT_FOUND, &["NOT-2", "AMB-12"]),
                d(E::ERROR_INVALID_PARAMETER, &["NOT-2", "NOT-3", "NOT-6", "AMB-19"]),
                d(E::ERROR_INSUFFICIENT_BUFFER, &["NOT-7"]),
                d(E::ERROR_ALREADY_EXISTS, &["NOT-8"]),
                d(E::ERROR_NOT_SUPPORTED, &["NOT-9", "NOT-10", "AMB-17"]),
                d(E::ERROR_ACCESS_DISABLED_BY_POLICY, &["NOT-11"]),
                d(E::ERROR_HOST_UNREACHABLE, &["NOT-11"]),
                d(E::ERROR_UNEXP_NET_ERR, &["NOT-11"]),
                d(E::ERROR_TIMEOUT, &["AMB-31"]),
                d(E::ERROR_OPERATION_ABORTED, &["NOT-14", "AMB-1", "AMB-11"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "NOT-11"]),
                R_NOT[0],
                R_NOT[1],
                R_NOT[2],
                d(E::ERROR_ADAP_HDW_ERR, &["GEN-11", "NOT-11"]),
            ],
        ),
        (
            Func::Cancel,
            &[
                d(E::ERROR_INVALID_HANDLE, &["CAN-1", "GEN-6"]),
                d(E::ERROR_INVALID_PARAMETER, &["CAN-2", "AMB-20"]),
                d(E::ERROR_NOT_FOUND, &["AMB-20"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "CAN-6"]),
                R_CAN[0],
                R_CAN[1],
                R_CAN[2],
                d(E::ERROR_ADAP_HDW_ERR, &["GEN-11", "CAN-6"]),
            ],
        ),
        (
            Func::EnumerateFlows,
            &[
                d(E::ERROR_INVALID_HANDLE, &["ENU-1", "GEN-6"]),
                d(E::ERROR_ACCESS_DENIED, &["ENU-2"]),
                d(E::ERROR_INSUFFICIENT_BUFFER, &["ENU-4", "ENU-6"]),
                d(E::ERROR_INVALID_PARAMETER, &["ENU-8", "AMB-21"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "ENU-10"]),
                R_ENU[0],
                R_ENU[1],
                R_ENU[2],
            ],
        ),
        (
            Func::StartTrackingClient,
            &[
                d(E::ERROR_INVALID_HANDLE, &["STA-1", "GEN-6"]),
                d(E::ERROR_INVALID_PARAMETER, &["STA-2"]),
                d(E::ERROR_NOT_SUPPORTED, &["STA-6"]),
                d(E::ERROR_BAD_NET_NAME, &["STA-7"]),
                d(E::ERROR_HOST_UNREACHABLE, &["STA-8"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "STA-9"]),
                R_STA[0],
                R_STA[1],
                R_STA[2],
                d(E::ERROR_ADAP_HDW_ERR, &["GEN-11", "STA-9"]),
            ],
        ),
        (
            Func::StopTrackingClient,
            &[
                d(E::ERROR_INVALID_HANDLE, &["STO-1", "GEN-6"]),
                d(E::ERROR_INVALID_PARAMETER, &["STO-2"]),
                d(E::ERROR_NOT_FOUND, &["STO-4", "AMB-24"]),
                d(E::ERROR_DEVICE_REINITIALIZATION_NEEDED, &["GEN-8", "STO-6"]),
                R_STO[0],
                R_STO[1],
                R_STO[2],
                d(E::ERROR_ADAP_HDW_ERR, &["GEN-11", "STO-6"]),
            ],
        ),
    ]
};

/// Codes only a non-default setting produces: they exercise a rule when met, but are not
/// listed as missed (`None`: any function).
const SETTING_ONLY: &[(Option<Func>, Win32Error, &[&str])] = &[
    (None, E::ERROR_SYSTEM_POWERSTATE_TRANSITION, &["AMB-40"]),
    (None, E::ERROR_SYSTEM_POWERSTATE_COMPLEX_TRANSITION, &["AMB-40"]),
    (Some(Func::AddSocketToFlow), E::ERROR_ALREADY_EXISTS, &["AMB-30"]),
];

/// The rules a successful call of `func` exercises.
fn success_rules(func: Func) -> &'static [&'static str] {
    match func {
        Func::CreateHandle => &["CRE-4", "GEN-1"],
        Func::CloseHandle => &["CLO-3", "GEN-1"],
        Func::AddSocketToFlow => &["ADD-8", "GEN-1"],
        Func::QueryFlow => &["QRY-4", "GEN-1"],
        Func::Cancel => &["CAN-3", "GEN-1"],
        Func::EnumerateFlows => &["ENU-5", "GEN-1"],
        Func::StartTrackingClient => &["STA-4", "GEN-1"],
        Func::RemoveSocketFromFlow | Func::SetFlow | Func::NotifyFlow | Func::StopTrackingClient => {
            &["GEN-1"]
        }
    }
}

/// The rules an accepted overlapped request (`ERROR_IO_PENDING`) of `func` exercises.
fn pending_rules(func: Func) -> &'static [&'static str] {
    match func {
        Func::SetFlow => &["GEN-3", "SET-15"],
        Func::QueryFlow => &["GEN-3", "QRY-15"],
        Func::NotifyFlow => &["GEN-3", "NOT-12"],
        _ => &["GEN-3"],
    }
}

/// The rules a fault of this kind (see [`Fault::kind`](crate::model::Fault::kind)) exercises when it fires.
fn fault_rules(kind: &str) -> &'static [&'static str] {
    match kind {
        "DeviceReset" => &["GEN-8"],
        "Sleep" => &["GEN-9", "STA-10"],
        "Resume" => &["GEN-9", "CRE-8"],
        "InterfaceDown" | "RouteLost" => &["ADD-13"],
        "AdapterError" | "FailCalls" => &["GEN-11"],
        "Congestion" => &["NOT-4"],
        "Bandwidth" => &["NOT-5", "SET-6e"],
        "Service" => &["CRE-6", "CRE-7", "AMB-28"],
        _ => &[],
    }
}

/// The sections of `RULES.md`, in order.
const SECTIONS: [&str; 16] = [
    "GEN", "CRE", "CLO", "ADD", "REM", "SET", "QRY", "NOT", "CAN", "ENU", "STA", "STO", "TT", "RW", "AMB",
    "SIM",
];

/// Where a rule id stands in `RULES.md`: its section, then its number, then its letter
/// (`SET-6` < `SET-6a` < `SET-7`).
fn rule_order(id: &str) -> (usize, u32, String) {
    let (section, rest) = id.split_once('-').unwrap_or((id, ""));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (
        SECTIONS
            .iter()
            .position(|s| *s == section)
            .unwrap_or(SECTIONS.len()),
        digits.parse().unwrap_or(0),
        rest[digits.len()..].to_string(),
    )
}

/// The documented failures of `func`.
pub fn documented(func: Func) -> &'static [Documented] {
    DOCUMENTED
        .iter()
        .find(|(f, _)| *f == func)
        .map_or(&[], |(_, d)| d)
}

/// What one or more runs met: per function the outcomes and how often, and the faults that
/// fired. Keys are names (`QOSQueryFlow`, `ERROR_NO_DATA`, [`SUCCESS`], `DeviceReset`), kept in
/// sorted maps so every rendering is deterministic. Derived views: [`Coverage::rules`],
/// [`Coverage::missed`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Coverage {
    /// Runs (sims, scenarios) merged into this report.
    pub runs: u64,
    /// Function name → outcome (`TRUE`, or the error name) → count. Completions of overlapped
    /// requests count as outcomes of the function that issued them (`TRUE` for
    /// `ERROR_SUCCESS`), beside its `ERROR_IO_PENDING`.
    pub functions: BTreeMap<String, BTreeMap<String, u64>>,
    /// Fault kind → times it fired.
    pub faults: BTreeMap<String, u64>,
}

/// A documented failure no run met.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Missed {
    /// The function (`QOSQueryFlow`).
    pub function: String,
    /// The code's name.
    pub code: String,
    /// The code's number.
    pub value: u32,
    /// The rules that document it.
    pub rules: Vec<String>,
}

impl fmt::Display for Missed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} never returned {} ({}; {})",
            self.function,
            self.code,
            self.value,
            self.rules.join(", ")
        )
    }
}

fn outcome_key(code: Win32Error) -> String {
    code.to_string()
}

/// The function whose Win32 name is `name`.
fn func_named(name: &str) -> Option<Func> {
    Func::ALL.into_iter().find(|f| f.win32_name() == name)
}

impl Coverage {
    /// The coverage of one run's event log (one run: `runs` is 1).
    pub fn from_events(events: &[Stamped]) -> Coverage {
        let mut c = Coverage {
            runs: 1,
            ..Coverage::default()
        };
        for e in events {
            match &e.event {
                Event::Call { call, result } => {
                    let key = match result {
                        Ok(_) => SUCCESS.to_string(),
                        Err(err) => outcome_key(err.code),
                    };
                    c.count(call.func(), key);
                }
                Event::Completion(done) => {
                    let key = if done.status == Win32Error::ERROR_SUCCESS {
                        SUCCESS.to_string()
                    } else {
                        outcome_key(done.status)
                    };
                    c.count(done.func, key);
                }
                Event::Fault(f) => *c.faults.entry(f.kind().to_string()).or_default() += 1,
                _ => {}
            }
        }
        c
    }

    fn count(&mut self, func: Func, outcome: String) {
        let m = self.functions.entry(func.win32_name().to_string()).or_default();
        *m.entry(outcome).or_default() += 1;
    }

    /// Adds `other`'s runs, outcomes and faults to this report.
    pub fn merge(&mut self, other: &Coverage) {
        self.runs += other.runs;
        for (f, outcomes) in &other.functions {
            let m = self.functions.entry(f.clone()).or_default();
            for (o, n) in outcomes {
                *m.entry(o.clone()).or_default() += n;
            }
        }
        for (k, n) in &other.faults {
            *self.faults.entry(k.clone()).or_default() += n;
        }
    }

    /// How often `function` (`QOSQueryFlow`) had `outcome` (`ERROR_NO_DATA`, or [`SUCCESS`]).
    pub fn returned(&self, function: &str, outcome: &str) -> u64 {
        self.functions
            .get(function)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    /// The calls of every function, completions of overlapped requests included.
    pub fn calls(&self) -> u64 {
        self.functions.values().flat_map(|m| m.values()).sum()
    }

    /// The rule ids the outcomes and faults met exercise, in the order of `RULES.md`.
    pub fn rules(&self) -> Vec<&'static str> {
        let mut out: BTreeSet<&str> = BTreeSet::new();
        for (name, outcomes) in &self.functions {
            let Some(func) = func_named(name) else { continue };
            for o in outcomes.keys() {
                if o == SUCCESS {
                    out.extend(success_rules(func));
                } else if *o == outcome_key(Win32Error::ERROR_IO_PENDING) {
                    out.extend(pending_rules(func));
                } else if let Some(doc) = documented(func).iter().find(|d| outcome_key(d.code) == *o) {
                    out.extend(doc.rules);
                } else if let Some((_, _, rules)) = SETTING_ONLY
                    .iter()
                    .find(|(f, c, _)| f.is_none_or(|f| f == func) && outcome_key(*c) == *o)
                {
                    out.extend(*rules);
                }
            }
        }
        for k in self.faults.keys() {
            out.extend(fault_rules(k));
        }
        let mut out: Vec<&'static str> = out.into_iter().collect();
        out.sort_by_key(|id| rule_order(id));
        out
    }

    /// The documented failures ([`DOCUMENTED`]) no run met, function by function in
    /// [`Func::ALL`] order.
    pub fn missed(&self) -> Vec<Missed> {
        let mut out = Vec::new();
        for (func, docs) in DOCUMENTED {
            for doc in docs {
                if self.returned(func.win32_name(), &outcome_key(doc.code)) == 0 {
                    out.push(Missed {
                        function: func.win32_name().to_string(),
                        code: outcome_key(doc.code),
                        value: doc.code.0,
                        rules: doc.rules.iter().map(|r| r.to_string()).collect(),
                    });
                }
            }
        }
        out
    }

    /// How many documented failures there are in all.
    pub fn documented_total() -> usize {
        DOCUMENTED.iter().map(|(_, d)| d.len()).sum()
    }

    /// The report as pretty JSON: the counts (`runs`, `functions`, `faults`, which
    /// [`Coverage::from_json`] reads back) and the derived `rules` and `missed`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Report<'a> {
            runs: u64,
            functions: &'a BTreeMap<String, BTreeMap<String, u64>>,
            faults: &'a BTreeMap<String, u64>,
            rules: Vec<&'static str>,
            documented: usize,
            missed: Vec<Missed>,
        }
        let r = Report {
            runs: self.runs,
            functions: &self.functions,
            faults: &self.faults,
            rules: self.rules(),
            documented: Coverage::documented_total(),
            missed: self.missed(),
        };
        let mut s = serde_json::to_string_pretty(&r).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads a report written by [`Coverage::to_json`] (derived fields are ignored).
    pub fn from_json(text: &str) -> Result<Coverage, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The report as text: one line per function with its outcomes, the faults, the rule ids
    /// exercised, and the documented failures never met.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let missed = self.missed();
        let total = Coverage::documented_total();
        let _ = writeln!(
            s,
            "qWAVE fault coverage: {} run(s), {} call(s); documented failures met: {} of {}",
            self.runs,
            self.calls(),
            total - missed.len(),
            total
        );
        let _ = writeln!(s, "\nreturned:");
        for func in Func::ALL {
            let name = func.win32_name();
            let line = match self.functions.get(name) {
                Some(m) => m
                    .iter()
                    .map(|(o, n)| format!("{o} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => "never called".to_string(),
            };
            let _ = writeln!(s, "  {name:<24} {line}");
        }
        let faults = if self.faults.is_empty() {
            "none".to_string()
        } else {
            self.faults
                .iter()
                .map(|(k, n)| format!("{k} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(s, "\nfaults fired: {faults}");
        let rules = self.rules();
        let _ = writeln!(s, "\nrules exercised ({}): {}", rules.len(), rules.join(", "));
        let _ = writeln!(s, "\ndocumented failures never met ({}):", missed.len());
        for m in &missed {
            let _ = writeln!(s, "  {m}");
        }
        s
    }
}

/// Adds `cov` to the JSON report at `path`: under an in-process mutex and an exclusive lock on
/// `PATH.lock`, reads the report (if any), merges, and replaces it atomically (write a
/// temporary file, rename). Safe for many threads and many processes at once.
pub fn merge_into(path: &Path, cov: &Coverage) -> std::io::Result<()> {
    static IN_PROCESS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _g = IN_PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    let lock_path = path.with_extension(match path.extension() {
        Some(e) => format!("{}.lock", e.to_string_lossy()),
        None => "lock".to_string(),
    });
    let _lock = lock::FileLock::acquire(&lock_path)?;
    let mut total = match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Coverage::from_json(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: not a coverage report: {e}", path.display()),
            )
        })?,
        Ok(_) => Coverage::default(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Coverage::default(),
        Err(e) => return Err(e),
    };
    total.merge(cov);
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, total.to_json())?;
    std::fs::rename(&tmp, path)
}

/// If `QWAVE_SIM_COVERAGE` names a file, adds the coverage of this event log to it (a failure
/// to write is reported on stderr, never a panic: this runs while a sim is dropped).
pub fn contribute(events: &[Stamped]) {
    let Some(path) = std::env::var_os(COVERAGE_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    if let Err(e) = merge_into(&path, &Coverage::from_events(events)) {
        eprintln!("qwave-sim: {COVERAGE_ENV}={}: {e}", path.display());
    }
}

/// An exclusive lock held while a report is read, merged and written.
mod lock {
    use std::fs::{File, OpenOptions};
    use std::path::Path;

    pub(super) struct FileLock {
        _file: File,
        #[cfg(not(unix))]
        path: std::path::PathBuf,
    }

    impl FileLock {
        /// Blocks until this process holds the lock.
        #[cfg(unix)]
        pub(super) fn acquire(path: &Path) -> std::io::Result<FileLock> {
            use std::os::unix::io::AsRawFd;
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)?;
            loop {
                // SAFETY: a valid open descriptor; flock only reads it.
                let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
                if r == 0 {
                    return Ok(FileLock { _file: file });
                }
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }

        /// Blocks until this process created the lock file (removed on drop).
        #[cfg(not(unix))]
        pub(super) fn acquire(path: &Path) -> std::io::Result<FileLock> {
            let start = std::time::Instant::now();
            loop {
                match OpenOptions::new().write(true).create_new(true).open(path) {
                    Ok(file) => {
                        return Ok(FileLock {
                            _file: file,
                            path: path.to_path_buf(),
                        })
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        // A holder that died leaves the file: take it over after 30 s.
                        if start.elapsed() > std::time::Duration::from_secs(30) {
                            let _ = std::fs::remove_file(path);
                        }
                        std::thread::sleep(std::time::Duration::from_millis(2));
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    #[cfg(not(unix))]
    impl Drop for FileLock {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Every sim adds its run to the `QWAVE_SIM_COVERAGE` report when its last handle goes.
impl Drop for crate::surface::State {
    fn drop(&mut self) {
        contribute(self.model.events());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rule ids `RULES.md` lists (`- \`ID\` …` lines), in order.
    fn rule_ids() -> Vec<&'static str> {
        include_str!("../RULES.md")
            .lines()
            .filter_map(|l| l.strip_prefix("- `")?.split('`').next())
            .collect()
    }

    fn known(id: &str) -> bool {
        rule_ids().contains(&id)
    }

    #[test]
    fn rule_order_is_the_order_of_rules_md() {
        let ids = rule_ids();
        assert!(ids.len() > 200, "{} ids", ids.len());
        let mut sorted = ids.clone();
        sorted.sort_by_key(|id| rule_order(id));
        assert_eq!(sorted, ids);
    }

    #[test]
    fn every_documented_rule_id_is_in_the_rule_list() {
        for (func, docs) in DOCUMENTED {
            for doc in docs {
                for r in doc.rules {
                    assert!(known(r), "{func:?} {}: unknown rule {r}", doc.code);
                }
            }
            let codes: BTreeSet<u32> = docs.iter().map(|d| d.code.0).collect();
            assert_eq!(codes.len(), docs.len(), "{func:?} lists a code twice");
        }
        for (_, _, rules) in SETTING_ONLY {
            for r in *rules {
                assert!(known(r), "{r}");
            }
        }
        for f in Func::ALL {
            for r in success_rules(f).iter().chain(pending_rules(f)) {
                assert!(known(r), "{r}");
            }
        }
        for k in [
            "DeviceReset",
            "Sleep",
            "Resume",
            "InterfaceDown",
            "RouteLost",
            "AdapterError",
            "FailCalls",
            "Congestion",
            "Bandwidth",
            "Service",
        ] {
            for r in fault_rules(k) {
                assert!(known(r), "{r}");
            }
        }
        assert_eq!(
            DOCUMENTED.map(|(f, _)| f),
            Func::ALL,
            "one row per function, in order"
        );
    }

    #[test]
    fn json_round_trips_and_merge_adds() {
        let mut a = Coverage {
            runs: 1,
            ..Coverage::default()
        };
        a.count(Func::QueryFlow, "ERROR_NO_DATA".into());
        a.faults.insert("DeviceReset".into(), 2);
        let back = Coverage::from_json(&a.to_json()).unwrap();
        assert_eq!(back, a);
        let mut b = back.clone();
        b.merge(&a);
        assert_eq!(b.runs, 2);
        assert_eq!(b.returned("QOSQueryFlow", "ERROR_NO_DATA"), 2);
        assert_eq!(b.faults["DeviceReset"], 4);
        assert!(b.rules().contains(&"QRY-9"));
        assert!(b.rules().contains(&"GEN-8"));
    }
}
