//! `arbitrary::Arbitrary` impls for the model's inputs: faults, fault plans and worlds (the
//! calls and steps are in `arb_call.rs`).
//!
//! Each draws mostly realistic values (valid enum values, known addresses, small flags) and
//! now and then an invalid or extreme one (`u32::MAX` sizes, garbage handles, huge advances),
//! so a byte-driven fuzzer reaches deep states and the error paths alike. Empty input gives
//! the simplest value, which is what shrinking moves toward.

use std::net::IpAddr;

use arbitrary::{Arbitrary, Result, Unstructured};

use super::op::KNOWN_ADDRESSES;
use super::plan::{FaultPlan, PlannedFault};
use crate::model::world::{
    ForeignFlow, ImmediateCompletion, PathConfig, Policy, RateBeforeEstimate, ServiceState, Settings,
    UnmatchedCancel, WindowsVersion, World,
};
use crate::model::{Fault, Func, PathRef, Prefix, TrafficType, Win32Error};

/// Most faults an `arbitrary` fault plan has.
pub const MAX_PLANNED_FAULTS: usize = 16;

/// Codes `FailCalls` uses: GEN-11's resource codes first, then anything.
const FAIL_CODES: [Win32Error; 6] = [
    Win32Error::ERROR_NOT_ENOUGH_MEMORY,
    Win32Error::ERROR_NO_SYSTEM_RESOURCES,
    Win32Error::ERROR_IO_DEVICE,
    Win32Error::ERROR_DEVICE_REINITIALIZATION_NEEDED,
    Win32Error::ERROR_ADAP_HDW_ERR,
    Win32Error::ERROR_SUCCESS,
];

/// Prefixes route faults act on.
const PREFIXES: [&str; 5] = [
    "198.51.100.0/24",
    "203.0.113.0/24",
    "192.168.1.0/24",
    "fd00::/64",
    "0.0.0.0/0",
];

/// Draws from `valid` 7 times in 8, otherwise any value of the type.
pub(super) fn mostly<'a, T: Arbitrary<'a>>(
    u: &mut Unstructured<'a>,
    valid: impl FnOnce(&mut Unstructured<'a>) -> Result<T>,
) -> Result<T> {
    if u.ratio(1u8, 8u8)? {
        T::arbitrary(u)
    } else {
        valid(u)
    }
}

/// A size/count: small 3 times in 4, else one of the edges or anything.
pub(crate) fn size_u32(u: &mut Unstructured<'_>, typical: &[u32]) -> Result<u32> {
    Ok(match u.int_in_range(0u8..=7)? {
        0..=5 => *u.choose(typical)?,
        6 => *u.choose(&[0, 1, u32::MAX, u32::MAX - 1, 0x8000_0000])?,
        _ => u32::arbitrary(u)?,
    })
}

fn path_ref(u: &mut Unstructured<'_>) -> Result<PathRef> {
    Ok(match u.int_in_range(0u8..=5)? {
        0 => PathRef::OffLink,
        1 => PathRef::Peer(IpAddr::V4([192, 168, 1, 20].into())),
        2 => PathRef::Peer("fd00::20".parse().expect("built-in")),
        3 => PathRef::Peer(IpAddr::V4([192, 168, 1, 30].into())),
        4 => PathRef::Peer(IpAddr::V4([192, 168, 1, 40].into())),
        _ => PathRef::Peer(IpAddr::V4(u32::arbitrary(u)?.into())),
    })
}

fn interface_name(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(if u.ratio(1u8, 6u8)? {
        "Wi-Fi".into()
    } else {
        "Ethernet".into()
    })
}

pub(crate) fn bps(u: &mut Unstructured<'_>) -> Result<u64> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => 0,
        1 => u64::MAX,
        2 => 0xFFFF_FFFF, // QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH
        3 => u64::arbitrary(u)?,
        _ => *u.choose(&[
            64_000u64,
            1_000_000,
            5_000_000,
            20_000_000,
            80_000_000,
            100_000_000,
        ])?,
    })
}

impl<'a> Arbitrary<'a> for Func {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(*u.choose(&Func::ALL)?)
    }
}

impl<'a> Arbitrary<'a> for Win32Error {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(if u.ratio(1u8, 8u8)? {
            Win32Error(u32::arbitrary(u)?)
        } else {
            *u.choose(&FAIL_CODES)?
        })
    }
}

impl<'a> Arbitrary<'a> for ServiceState {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(*u.choose(&[
            ServiceState::Running,
            ServiceState::CannotStart,
            ServiceState::FirewallBlocked,
        ])?)
    }
}

impl<'a> Arbitrary<'a> for Fault {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0u8..=13)? {
            0 | 1 => Fault::FailCalls {
                func: Option::<Func>::arbitrary(u)?,
                code: Win32Error::arbitrary(u)?,
                count: size_u32(u, &[1, 2, 3])?,
            },
            2 => Fault::DeviceReset,
            3 => Fault::Sleep,
            4 => Fault::Resume,
            5 => Fault::InterfaceDown(interface_name(u)?),
            6 => Fault::InterfaceUp(interface_name(u)?),
            7 => Fault::RouteLost(
                PREFIXES[u.choose_index(PREFIXES.len())?]
                    .parse::<Prefix>()
                    .expect("built-in"),
            ),
            8 => Fault::RouteRestored(
                PREFIXES[u.choose_index(PREFIXES.len())?]
                    .parse::<Prefix>()
                    .expect("built-in"),
            ),
            9 => Fault::AdapterError {
                interface: interface_name(u)?,
                failing: bool::arbitrary(u)?,
            },
            10 | 11 => Fault::Congestion {
                path: path_ref(u)?,
                congested: bool::arbitrary(u)?,
            },
            12 => Fault::Bandwidth {
                path: path_ref(u)?,
                available_bps: bps(u)?,
                bottleneck_bps: if bool::arbitrary(u)? { Some(bps(u)?) } else { None },
            },
            _ => Fault::Service(ServiceState::arbitrary(u)?),
        })
    }
}

impl<'a> Arbitrary<'a> for PlannedFault {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let at_us = match u.int_in_range(0u8..=7)? {
            0 => 0,
            1 => u64::arbitrary(u)?,
            _ => u64::from(u.int_in_range(0u32..=10_000)?) * 1000, // 0..10 s, whole ms
        };
        Ok(PlannedFault {
            at_us,
            fault: Fault::arbitrary(u)?,
        })
    }
}

impl<'a> Arbitrary<'a> for FaultPlan {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let n = u.int_in_range(0..=MAX_PLANNED_FAULTS)?;
        let faults = (0..n)
            .map(|_| PlannedFault::arbitrary(u))
            .collect::<Result<_>>()?;
        Ok(FaultPlan { faults })
    }
}

fn path_config(u: &mut Unstructured<'_>, base: &PathConfig) -> Result<PathConfig> {
    if !u.ratio(1u8, 3u8)? {
        return Ok(base.clone());
    }
    Ok(PathConfig {
        bottleneck_bps: bps(u)?,
        available_bps: bps(u)?,
        rtt_us: mostly(u, |u| u.int_in_range(0..=200_000))?,
        keeps_8021p: bool::arbitrary(u)?,
        congested: bool::arbitrary(u)?,
        // Periods of 100 ms or more: a period toggles once per period, so a tiny one makes a
        // long advance cost millions of steps.
        congestion_period_ms: if u.ratio(1u8, 4u8)? {
            Some(u.int_in_range(100..=10_000)?)
        } else {
            None
        },
    })
}

fn policy(u: &mut Unstructured<'_>, p: &mut Policy) -> Result<()> {
    p.admin = bool::arbitrary(u)?;
    p.dscp_override_blocked = u.ratio(1u8, 6u8)?;
    p.offlink_experiments_blocked = u.ratio(1u8, 4u8)?;
    p.rate_required_for_marking = u.ratio(1u8, 4u8)?;
    p.dscp_policy = if u.ratio(1u8, 6u8)? {
        Some(u8::arbitrary(u)?)
    } else {
        None
    };
    Ok(())
}

fn settings(u: &mut Unstructured<'_>, s: &mut Settings) -> Result<()> {
    s.windows_version = if u.ratio(1u8, 8u8)? {
        WindowsVersion::Vista
    } else {
        WindowsVersion::Windows7OrLater
    };
    s.service = if u.ratio(1u8, 8u8)? {
        ServiceState::arbitrary(u)?
    } else {
        ServiceState::Running
    };
    s.warmup_ms = u.int_in_range(0..=3_000)?;
    s.partial_ms = u.int_in_range(0..=3_000)?;
    s.fresh_probe_ms = u.int_in_range(0..=1_000)?;
    s.io_latency_ms = u.int_in_range(0..=100)?;
    s.estimate_jitter_pct = if u.ratio(1u8, 4u8)? { u8::arbitrary(u)? } else { 0 };
    s.max_flows = if u.ratio(1u8, 4u8)? {
        u.int_in_range(0..=8)?
    } else {
        65_536
    };
    s.reject_socket_in_two_flows = u.ratio(1u8, 4u8)?;
    s.lenient_zero_dest = u.ratio(1u8, 4u8)?;
    s.shape_only_marks = u.ratio(1u8, 4u8)?;
    s.unmatched_cancel = if bool::arbitrary(u)? {
        UnmatchedCancel::NotFound
    } else {
        UnmatchedCancel::InvalidParameter
    };
    s.tracking_linger_ms = if u.ratio(1u8, 4u8)? {
        u.int_in_range(0..=5_000)?
    } else {
        0
    };
    s.create_failures_after_resume = u.int_in_range(0..=3)?;
    s.power_transition_errors = u.ratio(1u8, 6u8)?;
    s.immediate_completion = if u.ratio(1u8, 4u8)? {
        ImmediateCompletion::ReturnTrue
    } else {
        ImmediateCompletion::Pending
    };
    s.rate_before_estimate = if u.ratio(1u8, 4u8)? {
        RateBeforeEstimate::Admit
    } else {
        RateBeforeEstimate::NetworkBusy
    };
    s.deadlock_after_ms = u.int_in_range(0..=60_000)?;
    Ok(())
}

/// Peers, paths, interfaces and foreign flows.
fn network(u: &mut Unstructured<'_>, w: &mut World) -> Result<()> {
    for peer in &mut w.peers {
        if u.ratio(1u8, 4u8)? {
            peer.lltd_qos = bool::arbitrary(u)?;
            peer.refuses_qwave = u.ratio(1u8, 4u8)?;
            peer.resolution_fails = u.ratio(1u8, 4u8)?;
        }
        peer.path = path_config(u, &peer.path)?;
    }
    w.offlink_path = path_config(u, &w.offlink_path)?;
    for i in &mut w.interfaces {
        i.up = !u.ratio(1u8, 10u8)?;
        i.hardware_fault = u.ratio(1u8, 10u8)?;
    }
    for _ in 0..u.int_in_range(0..=3)? {
        let a = KNOWN_ADDRESSES[u.choose_index(KNOWN_ADDRESSES.len())?];
        w.foreign_flows.push(ForeignFlow {
            destination: a.parse::<std::net::SocketAddr>().expect("built-in").ip(),
            traffic_type: *u.choose(&TrafficType::ALL)?,
            adaptive: bool::arbitrary(u)?,
            rate_bps: bps(u)?,
        });
    }
    Ok(())
}

/// A world: the documented default world with some of its knobs turned. Peers, interfaces and
/// addresses keep their default shape, so [`KNOWN_ADDRESSES`] still names every kind of
/// destination.
impl<'a> Arbitrary<'a> for World {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut w = World::default();
        policy(u, &mut w.policy)?;
        settings(u, &mut w.settings)?;
        network(u, &mut w)?;
        Ok(w)
    }
}
