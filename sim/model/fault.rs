//! Failure modes that can be injected now or at a later virtual time.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::error::Win32Error;
use super::net::Prefix;
use super::world::ServiceState;

/// One of the 11 qWAVE functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    pub fn can_report_adapter_error(self) -> bool {
        !matches!(
            self,
            Func::CloseHandle | Func::RemoveSocketFromFlow | Func::EnumerateFlows
        )
    }
}

/// Which path a path fault acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PathRef {
    /// The path toward a peer listed in the world.
    Peer(IpAddr),
    /// The path toward off-link hosts not listed as peers.
    OffLink,
}

/// Something that happens to the system, now or at a scheduled virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
