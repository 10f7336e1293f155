//! The world a run starts from: interfaces, routes, peers and their paths, policy, and the
//! settings where Windows' behaviour is unknown and users may disagree with our choice.
//!
//! This is input (read from scenario files), so it is serializable; the running state lives in
//! [`Model`](super::Model) and is not. Every field has a default, and the defaults together are
//! the documented default world (README, "Default world").

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::flow::TrafficType;
use super::net::Prefix;

/// Everything a run starts from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct World {
    /// Network interfaces of this host.
    pub interfaces: Vec<Interface>,
    /// IPv4 default gateway (must be on-link of an interface to be usable).
    pub gateway_v4: Option<Ipv4Addr>,
    /// IPv6 default gateway.
    pub gateway_v6: Option<Ipv6Addr>,
    /// Destinations no route reaches (`ERROR_HOST_UNREACHABLE`).
    pub unreachable: Vec<Prefix>,
    /// Known hosts, on-link or off-link, with the path toward each.
    pub peers: Vec<Peer>,
    /// The path toward off-link hosts that are not listed in `peers`.
    pub offlink_path: PathConfig,
    /// Who the caller is and what policy allows.
    pub policy: Policy,
    /// Choices where the rules leave Windows' behaviour open.
    pub settings: Settings,
    /// Flows other processes own (visible to `QOSEnumerateFlows`, queryable, never modifiable).
    pub foreign_flows: Vec<ForeignFlow>,
}

/// One network interface.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Interface {
    /// Friendly name (`"Ethernet"`).
    pub name: String,
    /// Interface index (`IF_INDEX`).
    pub index: u32,
    /// This host's addresses on the interface, with their on-link prefix length.
    pub addresses: Vec<Prefix>,
    /// Link speed in bits per second.
    pub link_speed_bps: u64,
    /// Whether the interface is up (a down interface reaches nothing).
    pub up: bool,
    /// Whether the adapter reports a hardware error (`ERROR_ADAP_HDW_ERR`).
    pub hardware_fault: bool,
}

impl Default for Interface {
    fn default() -> Self {
        Interface {
            name: "Ethernet".into(),
            index: 1,
            addresses: Vec::new(),
            link_speed_bps: 1_000_000_000,
            up: true,
            hardware_fault: false,
        }
    }
}

/// A remote host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Peer {
    /// The host's address.
    pub address: IpAddr,
    /// Runs an LLTD responder with the QoS extensions (needed for adaptive flows on-link).
    pub lltd_qos: bool,
    /// Rejects qWAVE's connection (`ERROR_CONNECTION_REFUSED`).
    pub refuses_qwave: bool,
    /// Address resolution for it fails (`ERROR_BAD_NET_NAME`).
    pub resolution_fails: bool,
    /// The path toward it.
    pub path: PathConfig,
}

impl Default for Peer {
    fn default() -> Self {
        Peer {
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            lltd_qos: false,
            refuses_qwave: false,
            resolution_fails: false,
            path: PathConfig::default(),
        }
    }
}

/// Properties of the path toward a host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PathConfig {
    /// End-to-end capacity in bits per second.
    pub bottleneck_bps: u64,
    /// Currently free capacity in bits per second.
    pub available_bps: u64,
    /// Round-trip time in microseconds.
    pub rtt_us: u32,
    /// Whether 802.1p-tagged frames cross the path (needed for L2 marking, TT-1).
    pub keeps_8021p: bool,
    /// Whether the path starts congested.
    pub congested: bool,
    /// If set, the path flips between congested and uncongested every this many milliseconds.
    pub congestion_period_ms: Option<u64>,
}

impl Default for PathConfig {
    fn default() -> Self {
        PathConfig {
            bottleneck_bps: 100_000_000,
            available_bps: 80_000_000,
            rtt_us: 2_000,
            keeps_8021p: true,
            congested: false,
            congestion_period_ms: None,
        }
    }
}

/// Who the caller is and what policy allows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// The caller is in Administrators or Network Configuration Operators (SET-7a, ENU-2).
    pub admin: bool,
    /// Policy forbids `QOSSetOutgoingDSCPValue` (`ERROR_ACCESS_DISABLED_BY_POLICY`, SET-7f).
    pub dscp_override_blocked: bool,
    /// Policy forbids experiments toward off-link hosts (`ERROR_ACCESS_DISABLED_BY_POLICY`,
    /// SET-9) instead of reporting them unmeasurable (`ERROR_NOT_SUPPORTED`, AMB-8).
    pub offlink_experiments_blocked: bool,
    /// Admission control: traffic types are honoured only once a rate is declared (SET-6, ADD-18).
    pub rate_required_for_marking: bool,
    /// A Group Policy DSCP value that replaces every flow's table DSCP (TT-3).
    pub dscp_policy: Option<u8>,
}

/// The qWAVE service's state (CRE-6, CRE-7, AMB-28).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ServiceState {
    /// Running (or starts on demand).
    #[default]
    Running,
    /// It or a dependency cannot start: `ERROR_SERVICE_DEPENDENCY_FAIL`.
    CannotStart,
    /// Its firewall exception is off: `ERROR_RESOURCE_DISABLED`.
    FirewallBlocked,
}

/// The Windows release being simulated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum WindowsVersion {
    /// Vista: no `QOSSetOutgoingDSCPValue` (SET-7e, RW-6).
    Vista,
    /// Windows 7 and later.
    #[default]
    Windows7OrLater,
}

/// What `QOSCancel` reports for an OVERLAPPED that matches no pending request (AMB-20).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum UnmatchedCancel {
    /// `ERROR_NOT_FOUND` (the `CancelIoEx` convention).
    #[default]
    NotFound,
    /// `ERROR_INVALID_PARAMETER`.
    InvalidParameter,
}

/// How an overlapped request that could be answered at once is reported (AMB-32).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ImmediateCompletion {
    /// `FALSE` + `ERROR_IO_PENDING`, completion on the next simulator step.
    #[default]
    Pending,
    /// `TRUE` at once, the OVERLAPPED already filled in.
    ReturnTrue,
}

/// What `QOSSetFlow(QOSSetOutgoingRate)` does on an adaptive flow before the path estimate is
/// ready and no client tracking warmed it up (SET-6f).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum RateBeforeEstimate {
    /// `ERROR_NETWORK_BUSY`.
    #[default]
    NetworkBusy,
    /// Admit it against the configured path as if the estimate were ready.
    Admit,
}

/// How a path's estimate warms up (QRY-9, AMB-36).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Warmup {
    /// By virtual time since measuring began: `warmup_ms` of `ERROR_NO_DATA`, then `partial_ms`
    /// of partial data, then full estimates.
    #[default]
    Time,
    /// By fundamentals queries on the path since measuring began (the rule list's form): the
    /// first `no_data` queries give `ERROR_NO_DATA`, the next `partial` partial data, then full.
    Queries {
        /// Queries answered with `ERROR_NO_DATA`.
        no_data: u32,
        /// Queries answered with `AvailableBandwidthSet` FALSE after those.
        partial: u32,
    },
}

/// Choices where the rules leave Windows' behaviour open. Each names the rule it settles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Simulated Windows release.
    pub windows_version: WindowsVersion,
    /// qWAVE service state.
    pub service: ServiceState,
    /// Time after a flow starts (or its client starts being tracked) until bandwidth estimates
    /// exist; before it, fundamentals give `ERROR_NO_DATA` (QRY-9, AMB-36).
    pub warmup_ms: u64,
    /// After warm-up, this long again with only the bottleneck and RTT known (partial `*Set`
    /// flags, AMB-36).
    pub partial_ms: u64,
    /// Payload bytes per packet assumed when admission control (SET-6e) and
    /// `QOSNotifyAvailable` (NOT-5) compare an IP-layer rate (SET-6a, headers included) with
    /// the available bandwidth, which excludes them (QRY-10): the rate is converted with
    /// `QOS_SUBTRACT_OVERHEAD` for the flow's socket. 0 compares the two unconverted.
    pub packet_bytes: u32,
    /// Whether the estimate warms up by time (`warmup_ms`, `partial_ms`) or by the number of
    /// fundamentals queries (AMB-36).
    pub warmup: Warmup,
    /// Extra time a `QOS_QUERYFLOW_FRESH` query spends measuring (QRY-6).
    pub fresh_probe_ms: u64,
    /// Time an overlapped `QOSSetFlow` / non-fresh `QOSQueryFlow` takes to complete.
    pub io_latency_ms: u64,
    /// ± percentage of random jitter on bandwidth estimates, drawn from the seed (0 = exact).
    pub estimate_jitter_pct: u8,
    /// Live flows the system admits before `ERROR_NO_SYSTEM_RESOURCES` (GEN-11).
    pub max_flows: u32,
    /// Adding a socket that a live flow already holds fails with `ERROR_ALREADY_EXISTS`
    /// instead of succeeding (AMB-30).
    pub reject_socket_in_two_flows: bool,
    /// A destination with address and port zero is accepted for unconnected UDP (AMB-26).
    pub lenient_zero_dest: bool,
    /// `QOSShapeOnly` keeps the conformant marking instead of best effort (AMB-25).
    pub shape_only_marks: bool,
    /// `QOSCancel` on an unknown OVERLAPPED (AMB-20).
    pub unmatched_cancel: UnmatchedCancel,
    /// How long tracking survives `QOSCloseHandle` (AMB-3; 0 = stops at once).
    pub tracking_linger_ms: u64,
    /// `QOSCreateHandle` calls that fail with `ERROR_GEN_FAILURE` right after a resume (CRE-8).
    pub create_failures_after_resume: u32,
    /// Calls during a sleep transition fail with `ERROR_SYSTEM_POWERSTATE_TRANSITION` (AMB-40).
    pub power_transition_errors: bool,
    /// Overlapped requests that can be answered at once (AMB-32).
    pub immediate_completion: ImmediateCompletion,
    /// `QOSSetOutgoingRate` before the estimate is ready (SET-6f).
    pub rate_before_estimate: RateBeforeEstimate,
    /// Longest virtual time a blocking call may wait before the run reports a deadlock (AMB-31).
    pub deadlock_after_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            windows_version: WindowsVersion::default(),
            service: ServiceState::default(),
            warmup_ms: 1_000,
            partial_ms: 1_000,
            warmup: Warmup::Time,
            packet_bytes: 1_400,
            fresh_probe_ms: 100,
            io_latency_ms: 1,
            estimate_jitter_pct: 0,
            max_flows: 65_536,
            reject_socket_in_two_flows: false,
            lenient_zero_dest: false,
            shape_only_marks: false,
            unmatched_cancel: UnmatchedCancel::default(),
            tracking_linger_ms: 0,
            create_failures_after_resume: 1,
            power_transition_errors: false,
            immediate_completion: ImmediateCompletion::default(),
            rate_before_estimate: RateBeforeEstimate::default(),
            deadlock_after_ms: 3_600_000,
        }
    }
}

/// A flow owned by another process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(default, deny_unknown_fields)]
pub struct ForeignFlow {
    /// Where it sends.
    pub destination: IpAddr,
    /// Its traffic type.
    pub traffic_type: TrafficType,
    /// Whether it is adaptive.
    pub adaptive: bool,
    /// Its declared outgoing rate (0 = none).
    pub rate_bps: u64,
}

impl Default for ForeignFlow {
    fn default() -> Self {
        ForeignFlow {
            destination: IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)),
            traffic_type: TrafficType::BestEffort,
            adaptive: false,
            rate_bps: 0,
        }
    }
}

fn prefix(s: &str) -> Prefix {
    s.parse().expect("built-in prefix")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("built-in address")
}

impl Default for World {
    /// The documented default world (README, "Default world").
    fn default() -> Self {
        let lltd_peer = |a: &str| Peer {
            address: ip(a),
            lltd_qos: true,
            ..Peer::default()
        };
        let plain_peer = |a: &str| Peer {
            address: ip(a),
            lltd_qos: false,
            ..Peer::default()
        };
        World {
            interfaces: vec![Interface {
                name: "Ethernet".into(),
                index: 1,
                addresses: vec![prefix("192.168.1.10/24"), prefix("fd00::10/64")],
                link_speed_bps: 1_000_000_000,
                up: true,
                hardware_fault: false,
            }],
            gateway_v4: Some(Ipv4Addr::new(192, 168, 1, 1)),
            gateway_v6: Some("fd00::1".parse().expect("built-in address")),
            unreachable: vec![prefix("198.51.100.0/24")],
            peers: vec![
                lltd_peer("192.168.1.20"),
                lltd_peer("fd00::20"),
                plain_peer("192.168.1.30"),
                plain_peer("fd00::30"),
                Peer {
                    address: ip("192.168.1.40"),
                    lltd_qos: true,
                    refuses_qwave: true,
                    ..Peer::default()
                },
            ],
            offlink_path: PathConfig {
                bottleneck_bps: 50_000_000,
                available_bps: 20_000_000,
                rtt_us: 40_000,
                keeps_8021p: false,
                congested: false,
                congestion_period_ms: None,
            },
            policy: Policy::default(),
            settings: Settings::default(),
            foreign_flows: Vec::new(),
        }
    }
}
