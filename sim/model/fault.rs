//! Failure modes that can be injected now or at a later virtual time.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::error::Win32Error;
use super::net::Prefix;
use super::world::ServiceState;

/// One of the 11 qWAVE functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Func {
    /// `QOSCreateHandle`.
    CreateHandle,
    /// `QOSCloseHandle`.
    CloseHandle,
    /// `QOSAddSocketToFlow`.
    AddSocketToFlow,
    /// `QOSRemoveSocketFromFlow`.
    RemoveSocketFromFlow,
    /// `QOSSetFlow`.
    SetFlow,
    /// `QOSQueryFlow`.
    QueryFlow,
    /// `QOSNotifyFlow`.
    NotifyFlow,
    /// `QOSCancel`.
    Cancel,
    /// `QOSEnumerateFlows`.
    EnumerateFlows,
    /// `QOSStartTrackingClient`.
    StartTrackingClient,
    /// `QOSStopTrackingClient`.
    StopTrackingClient,
}

impl Func {
    /// All 11, in the order of the rules document.
    pub const ALL: [Func; 11] = [
        Func::CreateHandle,
        Func::CloseHandle,
        Func::AddSocketToFlow,
        Func::RemoveSocketFromFlow,
        Func::SetFlow,
        Func::QueryFlow,
        Func::NotifyFlow,
        Func::Cancel,
        Func::EnumerateFlows,
        Func::StartTrackingClient,
        Func::StopTrackingClient,
    ];

    /// The exported name, `QOSAddSocketToFlow`.
    pub fn win32_name(self) -> &'static str {
        match self {
            Func::CreateHandle => "QOSCreateHandle",
            Func::CloseHandle => "QOSCloseHandle",
            Func::AddSocketToFlow => "QOSAddSocketToFlow",
            Func::RemoveSocketFromFlow => "QOSRemoveSocketFromFlow",
            Func::SetFlow => "QOSSetFlow",
            Func::QueryFlow => "QOSQueryFlow",
            Func::NotifyFlow => "QOSNotifyFlow",
            Func::Cancel => "QOSCancel",
            Func::EnumerateFlows => "QOSEnumerateFlows",
            Func::StartTrackingClient => "QOSStartTrackingClient",
            Func::StopTrackingClient => "QOSStopTrackingClient",
        }
    }

    /// GEN-11: `ERROR_ADAP_HDW_ERR` is not among the codes of Close, Remove and Enumerate.
    pub(crate) fn can_report_adapter_error(self) -> bool {
        !matches!(
            self,
            Func::CloseHandle | Func::RemoveSocketFromFlow | Func::EnumerateFlows
        )
    }
}

/// Which path a path fault acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum PathRef {
    /// The path toward a peer listed in the world.
    Peer(IpAddr),
    /// The path toward off-link hosts not listed as peers.
    OffLink,
}

/// Something that happens to the system, now or at a scheduled virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub enum Fault {
    /// The QoS subsystem resets: every handle goes stale (`ERROR_DEVICE_REINITIALIZATION_NEEDED`
    /// until closed), every flow and tracked client is gone, pending requests are aborted (GEN-8).
    DeviceReset,
    /// The machine sleeps: handles, flows and tracking are invalidated (GEN-9, STA-10).
    Sleep,
    /// The machine resumes; the next `QOSCreateHandle` calls may fail (CRE-8).
    Resume,
    /// An interface goes down: what it reached becomes unreachable (ADD-13).
    InterfaceDown(String),
    /// An interface comes back.
    InterfaceUp(String),
    /// A destination prefix loses its route (`ERROR_HOST_UNREACHABLE`).
    RouteLost(Prefix),
    /// A prefix lost with `RouteLost` (or listed unreachable in the world) is reachable again.
    RouteRestored(Prefix),
    /// An adapter reports a hardware error (`ERROR_ADAP_HDW_ERR`) or recovers.
    AdapterError {
        /// Interface name.
        interface: String,
        /// `true` = faulty from now on, `false` = recovered.
        failing: bool,
    },
    /// A path becomes congested or uncongested (NOT-4).
    Congestion {
        /// Which path.
        path: PathRef,
        /// New state.
        congested: bool,
    },
    /// A path's capacity changes (NOT-5, SET-6e).
    Bandwidth {
        /// Which path.
        path: PathRef,
        /// New free capacity, bits/s.
        available_bps: u64,
        /// New end-to-end capacity, bits/s (unchanged if `None`).
        bottleneck_bps: Option<u64>,
    },
    /// The next `count` calls (of `func`, or of any function) fail with `code` (GEN-11):
    /// `ERROR_NOT_ENOUGH_MEMORY`, `ERROR_NO_SYSTEM_RESOURCES`, `ERROR_IO_DEVICE`, …
    FailCalls {
        /// Only this function, or any.
        func: Option<Func>,
        /// The code to report.
        code: Win32Error,
        /// How many calls.
        count: u32,
    },
    /// The qWAVE service changes state (CRE-6, CRE-7).
    Service(ServiceState),
}

impl Fault {
    /// A short name for traces: `DeviceReset`, `Congestion`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::DeviceReset => "DeviceReset",
            Fault::Sleep => "Sleep",
            Fault::Resume => "Resume",
            Fault::InterfaceDown(_) => "InterfaceDown",
            Fault::InterfaceUp(_) => "InterfaceUp",
            Fault::RouteLost(_) => "RouteLost",
            Fault::RouteRestored(_) => "RouteRestored",
            Fault::AdapterError { .. } => "AdapterError",
            Fault::Congestion { .. } => "Congestion",
            Fault::Bandwidth { .. } => "Bandwidth",
            Fault::FailCalls { .. } => "FailCalls",
            Fault::Service(_) => "Service",
        }
    }
}

use super::flow::PathIdx;
use super::{net, Event, HandleState, Model, Owner};

impl Model {
    /// Completes the pending requests on flows whose route broke with the route's error.
    fn fail_broken_routes(&mut self) {
        let mut ids: Vec<u64> = self.requests.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let Some(r) = self.requests.get(&id) else { continue };
            let Some(f) = self.flows.get(&r.flow) else {
                continue;
            };
            if let Err(e) = self.flow_route(f) {
                self.abort_request(id, e);
            }
        }
    }

    fn path_by_ref(&self, r: PathRef) -> Option<PathIdx> {
        match r {
            PathRef::OffLink => Some(0),
            PathRef::Peer(ip) => self.peer_index.get(&net::unmap(ip)).copied(),
        }
    }

    /// Applies a fault now.
    pub(crate) fn apply_fault(&mut self, fault: Fault) {
        self.push_event(Event::Fault(fault.clone()));
        let wrapped = self.bump_topology_epoch(); // every cached route may be stale now
        self.fault_effects(fault);
        if wrapped {
            self.recompute_routes();
        }
    }

    /// What a fault changes.
    fn fault_effects(&mut self, fault: Fault) {
        match fault {
            Fault::DeviceReset => {
                self.invalidate_all(HandleState::Stale, Win32Error::ERROR_OPERATION_ABORTED)
            }
            Fault::Sleep => {
                self.invalidate_all(HandleState::Dead, Win32Error::ERROR_OPERATION_ABORTED);
                // AMB-40: sleeping again before resuming (sleep → hibernate) is a transition
                // that may still end in another state: a "complex" one.
                self.complex_transition = self.asleep;
                self.asleep = true;
            }
            Fault::Resume => {
                if self.asleep {
                    self.asleep = false;
                    self.complex_transition = false;
                    self.create_failures_left = self.world.settings.create_failures_after_resume;
                }
            }
            // An unknown name changes nothing. (Without this guard the arms below would only add
            // a `fail_broken_routes` pass that finds nothing to fail: every fault that can break
            // a route runs one, and every call that starts a request checks its route, so no
            // pending request has a broken route between faults. Its mutant is equivalent.)
            Fault::InterfaceDown(name) | Fault::InterfaceUp(name)
                if !self.interfaces.iter().any(|i| i.name == name) => {}
            Fault::InterfaceDown(name) => {
                self.interfaces
                    .iter_mut()
                    .filter(|i| i.name == name)
                    .for_each(|i| i.up = false);
                self.fail_broken_routes();
            }
            Fault::InterfaceUp(name) => {
                self.interfaces
                    .iter_mut()
                    .filter(|i| i.name == name)
                    .for_each(|i| i.up = true);
                // The routing table may now prefer this interface, and its adapter may be
                // failing (an AdapterError while it was down): routes moved onto it break.
                self.fail_broken_routes();
            }
            Fault::RouteLost(p) => {
                if !self.unreachable.contains(&p) {
                    self.unreachable.push(p);
                }
                self.fail_broken_routes();
            }
            Fault::RouteRestored(p) => {
                self.unreachable.retain(|u| *u != p);
            }
            Fault::AdapterError { interface, failing } => {
                self.interfaces
                    .iter_mut()
                    .filter(|i| i.name == interface)
                    .for_each(|i| i.hardware_fault = failing);
                if failing {
                    self.fail_broken_routes();
                }
            }
            Fault::Congestion { path, congested } => {
                if let Some(p) = self.path_by_ref(path) {
                    self.paths[p as usize].config.congested = congested;
                    self.path_changed(p, path);
                }
            }
            Fault::Bandwidth {
                path,
                available_bps,
                bottleneck_bps,
            } => {
                if let Some(p) = self.path_by_ref(path) {
                    let cfg = &mut self.paths[p as usize].config;
                    cfg.available_bps = available_bps;
                    if let Some(b) = bottleneck_bps {
                        cfg.bottleneck_bps = b;
                    }
                    self.path_changed(p, path);
                }
            }
            Fault::FailCalls { func, code, count } => {
                if count > 0 && code != Win32Error::ERROR_SUCCESS {
                    self.failures.push((func, code, count));
                }
            }
            Fault::Service(s) => self.service = s,
        }
    }

    /// Device reset (GEN-8) and sleep (GEN-9): every open handle changes state, every flow of
    /// this process goes, every pending request completes with `code`, tracking ends.
    fn invalidate_all(&mut self, to: HandleState, code: Win32Error) {
        let mut ids: Vec<u32> = self
            .flows
            .values()
            .filter(|f| f.owner != Owner::Foreign)
            .map(|f| f.id)
            .collect();
        ids.sort_unstable();
        for id in ids {
            self.destroy_flow(id, code);
        }
        let mut pending: Vec<u64> = self.requests.keys().copied().collect();
        pending.sort_unstable();
        for r in pending {
            self.abort_request(r, code);
        }
        for h in self.handles.iter_mut() {
            // Open handles take the new state; a sleep also kills the ones a reset left stale.
            // (`&&` → `||` here is an equivalent mutant: it adds only Stale → Stale on a reset
            // and Dead → Dead on a sleep.)
            if h.state == HandleState::Open || (to == HandleState::Dead && h.state == HandleState::Stale) {
                h.state = to;
            }
            h.tracked.clear();
        }
        self.lingering.clear();
        for p in &mut self.paths {
            p.probing_since = None;
            p.queries = 0;
        }
    }
}
