//! `arbitrary::Arbitrary` impls for the model's inputs: faults, fault plans, worlds and steps.
//!
//! Each draws mostly realistic values (valid enum values, known addresses, small flags) and
//! now and then an invalid or extreme one (`u32::MAX` sizes, garbage handles, huge advances),
//! so a byte-driven fuzzer reaches deep states and the error paths alike. Empty input gives
//! the simplest value, which is what shrinking moves toward.

use std::net::IpAddr;

use arbitrary::{Arbitrary, Result, Unstructured};

use super::op::{AddrArg, FlowArg, HandleArg, Op, SetBuf, SocketArg, KNOWN_ADDRESSES};
use super::plan::{FaultPlan, PlannedFault};
use crate::model::world::{
    ForeignFlow, ImmediateCompletion, PathConfig, RateBeforeEstimate, ServiceState, UnmatchedCancel,
    WindowsVersion, World,
};
use crate::model::{Fault, Func, PathRef, Prefix, TrafficType, Win32Error};

/// Most steps an `arbitrary` sequence has (a limit on everything).
pub const MAX_STEPS: usize = 256;
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
fn mostly<'a, T: Arbitrary<'a>>(
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
fn size_u32(u: &mut Unstructured<'_>, typical: &[u32]) -> Result<u32> {
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

fn bps(u: &mut Unstructured<'_>) -> Result<u64> {
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

/// A world: the documented default world with some of its knobs turned. Peers, interfaces and
/// addresses keep their default shape, so [`KNOWN_ADDRESSES`] still names every kind of
/// destination.
impl<'a> Arbitrary<'a> for World {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut w = World::default();
        let p = &mut w.policy;
        p.admin = bool::arbitrary(u)?;
        p.dscp_override_blocked = u.ratio(1u8, 6u8)?;
        p.offlink_experiments_blocked = u.ratio(1u8, 4u8)?;
        p.rate_required_for_marking = u.ratio(1u8, 4u8)?;
        p.dscp_policy = if u.ratio(1u8, 6u8)? {
            Some(u8::arbitrary(u)?)
        } else {
            None
        };
        let s = &mut w.settings;
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
        Ok(w)
    }
}

fn ov(u: &mut Unstructured<'_>) -> Result<Option<u8>> {
    Ok(if bool::arbitrary(u)? {
        Some(u.int_in_range(0..=3)?)
    } else {
        None
    })
}

fn flow_arg(u: &mut Unstructured<'_>) -> Result<FlowArg> {
    Ok(match u.int_in_range(0u8..=9)? {
        0 => FlowArg::Zero,
        1 => FlowArg::Raw(*u.choose(&[u32::MAX, 1, 2, 0x7FFF_FFFF])?),
        2 => FlowArg::Raw(u32::arbitrary(u)?),
        _ => FlowArg::Seen(u.int_in_range(0..=7)?),
    })
}

fn handle_arg(u: &mut Unstructured<'_>) -> Result<HandleArg> {
    Ok(match u.int_in_range(0u8..=11)? {
        0 => HandleArg::Null,
        1 => HandleArg::Raw(*u.choose(&[
            0xdead_beef,
            u64::MAX,
            crate::model::HANDLE_TAG,
            crate::model::HANDLE_TAG | 0xFF_FFFF_FFFF,
        ])?),
        2 => HandleArg::Raw(u64::arbitrary(u)?),
        _ => HandleArg::Issued(u.int_in_range(0..=3)?),
    })
}

fn socket_arg(u: &mut Unstructured<'_>) -> Result<SocketArg> {
    Ok(match u.int_in_range(0u8..=9)? {
        0 => SocketArg::Zero,
        1 => SocketArg::Raw(u64::arbitrary(u)?),
        _ => SocketArg::Created(u.int_in_range(0..=5)?),
    })
}

fn addr_arg(u: &mut Unstructured<'_>) -> Result<AddrArg> {
    Ok(match u.int_in_range(0u8..=11)? {
        0 => AddrArg::Null,
        1 => AddrArg::BadFamily(u16::arbitrary(u)?),
        2 => AddrArg::V4(<[u8; 4]>::arbitrary(u)?, u16::arbitrary(u)?),
        3 => AddrArg::V6(<[u8; 16]>::arbitrary(u)?, u16::arbitrary(u)?),
        _ => AddrArg::Known(u.choose_index(KNOWN_ADDRESSES.len())? as u8),
    })
}

fn set_buf(u: &mut Unstructured<'_>, op: i32) -> Result<SetBuf> {
    let tt = |u: &mut Unstructured<'_>| mostly(u, |u| u.int_in_range(0..=5));
    Ok(match (u.int_in_range(0u8..=7)?, op) {
        (0, _) => SetBuf::Null,
        (1, _) => SetBuf::TrafficType(tt(u)?),
        (2, _) => SetBuf::Dscp(mostly(u, |u| u.int_in_range(0..=63))?),
        (3, _) => SetBuf::Rate {
            bps: bps(u)?,
            shaping: mostly(u, |u| u.int_in_range(0..=2))?,
            reason: mostly(u, |u| u.int_in_range(0..=4))?,
        },
        (_, 0) => SetBuf::TrafficType(tt(u)?),
        (_, 2) => SetBuf::Dscp(mostly(u, |u| u.int_in_range(0..=63))?),
        _ => SetBuf::Rate {
            bps: bps(u)?,
            shaping: mostly(u, |u| u.int_in_range(0..=2))?,
            reason: mostly(u, |u| u.int_in_range(0..=4))?,
        },
    })
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let flags = |u: &mut Unstructured<'_>, valid: &[u32]| -> Result<u32> {
            Ok(if u.ratio(1u8, 10u8)? {
                u32::arbitrary(u)?
            } else {
                *u.choose(valid)?
            })
        };
        Ok(match u.int_in_range(0u8..=30)? {
            0..=1 => Op::Create {
                version: if u.ratio(1u8, 8u8)? {
                    Option::<(u16, u16)>::arbitrary(u)?
                } else {
                    Some((1, 0))
                },
                out: !u.ratio(1u8, 10u8)?,
            },
            2 => Op::Close { h: handle_arg(u)? },
            3..=6 => Op::Add {
                h: handle_arg(u)?,
                s: socket_arg(u)?,
                dest: addr_arg(u)?,
                traffic_type: mostly(u, |u| u.int_in_range(0..=5))?,
                flags: flags(u, &[0, 2])?,
                flow: if u.ratio(1u8, 10u8)? {
                    None
                } else if bool::arbitrary(u)? {
                    Some(FlowArg::Zero)
                } else {
                    Some(flow_arg(u)?)
                },
            },
            7..=8 => Op::Remove {
                h: handle_arg(u)?,
                s: if bool::arbitrary(u)? {
                    SocketArg::Zero
                } else {
                    socket_arg(u)?
                },
                flow: flow_arg(u)?,
                flags: flags(u, &[0])?,
            },
            9..=11 => {
                let op = mostly(u, |u| u.int_in_range(0..=2))?;
                let size = match u.int_in_range(0u8..=5)? {
                    0 => size_u32(u, &[0, 4, 8, 16])?,
                    _ => crate::call::SetOp::size_of(op).unwrap_or(4),
                };
                Op::Set {
                    h: handle_arg(u)?,
                    flow: flow_arg(u)?,
                    op,
                    size,
                    buf: set_buf(u, op)?,
                    flags: flags(u, &[0])?,
                    ov: ov(u)?,
                }
            }
            12..=14 => Op::Query {
                h: handle_arg(u)?,
                flow: flow_arg(u)?,
                op: mostly(u, |u| u.int_in_range(0..=2))?,
                size: if u.ratio(1u8, 10u8)? {
                    None
                } else {
                    Some(size_u32(u, &[40, 16, 8, 64, 0, 39])?)
                },
                buffer: !u.ratio(1u8, 10u8)?,
                flags: flags(u, &[0, 1])?,
                ov: ov(u)?,
            },
            15..=17 => {
                let op = mostly(u, |u| u.int_in_range(0..=2))?;
                let avail = op == 2;
                Op::Notify {
                    h: handle_arg(u)?,
                    flow: flow_arg(u)?,
                    op,
                    size: if avail != u.ratio(1u8, 8u8)? {
                        Some(size_u32(u, &[8, 16, 4, 0])?)
                    } else {
                        None
                    },
                    target: if avail != u.ratio(1u8, 8u8)? {
                        Some(bps(u)?)
                    } else {
                        None
                    },
                    flags: flags(u, &[0])?,
                    ov: if u.ratio(1u8, 6u8)? {
                        None
                    } else {
                        Some(u.int_in_range(0..=3)?)
                    },
                }
            }
            18 => Op::Cancel {
                h: handle_arg(u)?,
                ov: ov(u)?,
            },
            19 => Op::Enumerate {
                h: handle_arg(u)?,
                size: if u.ratio(1u8, 10u8)? {
                    None
                } else {
                    Some(size_u32(u, &[0, 4, 64, 1024])?)
                },
                buffer: !u.ratio(1u8, 10u8)?,
            },
            20 => Op::StartTracking {
                h: handle_arg(u)?,
                dest: addr_arg(u)?,
                flags: flags(u, &[0])?,
            },
            21 => Op::StopTracking {
                h: handle_arg(u)?,
                dest: addr_arg(u)?,
                flags: flags(u, &[0, 1])?,
            },
            22..=23 => Op::Socket {
                af: mostly(u, |u| Ok(*u.choose(&[2, 23])?))?,
                kind: mostly(u, |u| Ok(*u.choose(&[1, 2])?))?,
                proto: mostly(u, |u| Ok(*u.choose(&[0, 6, 17])?))?,
            },
            24 => Op::Connect {
                s: socket_arg(u)?,
                addr: addr_arg(u)?,
            },
            25 => {
                if bool::arbitrary(u)? {
                    Op::Bind {
                        s: socket_arg(u)?,
                        addr: addr_arg(u)?,
                    }
                } else {
                    Op::V6Only {
                        s: socket_arg(u)?,
                        on: bool::arbitrary(u)?,
                    }
                }
            }
            26 => Op::CloseSocket { s: socket_arg(u)? },
            27 => Op::Advance {
                us: match u.int_in_range(0u8..=7)? {
                    0 => u64::MAX,
                    1 => u64::arbitrary(u)?,
                    _ => u64::from(u.int_in_range(0u32..=5_000)?) * 1000,
                },
            },
            28 => {
                if u.ratio(1u8, 4u8)? {
                    Op::AdvanceTo {
                        us: u64::arbitrary(u)?,
                    }
                } else {
                    Op::TakeCompletions
                }
            }
            29 => Op::Inject(Fault::arbitrary(u)?),
            _ => Op::InjectIn {
                delay_us: u64::from(u.int_in_range(0u32..=5_000)?) * 1000,
                fault: Fault::arbitrary(u)?,
            },
        })
    }
}

/// A run as the `model_ops` fuzz target sees it: a world, a seed and the steps.
#[derive(Clone, Debug)]
pub struct Run {
    /// The world.
    pub world: World,
    /// The model's seed.
    pub seed: u64,
    /// The steps, at most [`MAX_STEPS`].
    pub ops: Vec<Op>,
}

impl<'a> Arbitrary<'a> for Run {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        // The first byte picks the default world (half the time) or a generated one, so short
        // inputs explore the documented world first.
        let world = if bool::arbitrary(u)? {
            World::arbitrary(u)?
        } else {
            World::default()
        };
        let seed = u64::from(u8::arbitrary(u)?);
        let mut ops = Vec::new();
        while ops.len() < MAX_STEPS && !u.is_empty() {
            ops.push(Op::arbitrary(u)?);
        }
        Ok(Run { world, seed, ops })
    }
}
