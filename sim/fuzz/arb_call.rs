//! `arbitrary::Arbitrary` impls for calls and steps: the [`Sym`] arguments, the operation
//! enums (with their `Raw` escapes), [`Call<Sym>`], [`Op`] and [`Run`]. Each call struct's impl
//! is in its call's file in [`crate::call`].
//!
//! The biasing lives in the argument and operation generators (mostly live handles, valid
//! operations, careful sizes; now and then NULL, a garbage value, `u32::MAX`, an unknown
//! operation, a buffer of another operation's type); a call struct draws each field from them.
//! Empty input gives the simplest value, which is what shrinking moves toward.

use arbitrary::{Arbitrary, Result, Unstructured};

use super::arb::{bps, mostly, size_u32};
use super::op::{AddrArg, FlowArg, HandleArg, Op, SocketArg, Sym, KNOWN_ADDRESSES};
use super::plan::PlannedFault;
use crate::call::{Call, NotifyOp, QueryOp, SetOp, TrafficArg};
use crate::model::socket::SOCKET_TAG;
use crate::model::{Fault, World, HANDLE_TAG};

/// Most steps an `arbitrary` sequence has (a limit on everything).
pub const MAX_STEPS: usize = 256;

/// A C enum value with `n` valid values `0..n`: a valid one mostly, else one just past the
/// end, -1, or anything.
fn code(u: &mut Unstructured<'_>, n: i32) -> Result<i32> {
    Ok(match u.int_in_range(0u8..=15)? {
        0..=12 => u.int_in_range(0..=n - 1)?,
        13 => n + u.int_in_range(0..=2)?,
        14 => -1,
        _ => i32::arbitrary(u)?,
    })
}

/// Flags: one of `valid` 9 times in 10, else any value.
pub(crate) fn flags(u: &mut Unstructured<'_>, valid: &[u32]) -> Result<u32> {
    Ok(if u.ratio(1u8, 10u8)? {
        u32::arbitrary(u)?
    } else {
        *u.choose(valid)?
    })
}

/// An OVERLAPPED: NULL or one of four.
pub(crate) fn ov(u: &mut Unstructured<'_>) -> Result<Option<u8>> {
    Ok(if bool::arbitrary(u)? {
        Some(u.int_in_range(0..=3)?)
    } else {
        None
    })
}

/// A `*Size`: NULL one time in 10, else one of `typical` mostly, or an edge.
pub(crate) fn size(u: &mut Unstructured<'_>, typical: &[u32]) -> Result<Option<u32>> {
    Ok(if u.ratio(1u8, 10u8)? {
        None
    } else {
        Some(size_u32(u, typical)?)
    })
}

impl<'a> Arbitrary<'a> for HandleArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0u8..=11)? {
            0 => HandleArg::Null,
            1 => HandleArg::Raw(*u.choose(&[
                0xdead_beef,
                u64::MAX,
                HANDLE_TAG,
                HANDLE_TAG | 0xFF_FFFF_FFFF,
            ])?),
            2 => HandleArg::Raw(u64::arbitrary(u)?),
            _ => HandleArg::Issued(u.int_in_range(0..=3)?),
        })
    }
}

impl<'a> Arbitrary<'a> for SocketArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0u8..=11)? {
            0 => SocketArg::Zero,
            1 => SocketArg::Raw(*u.choose(&[u64::MAX, 0xdead_beef, SOCKET_TAG])?), // MAX: INVALID_SOCKET
            2 => SocketArg::Raw(u64::arbitrary(u)?),
            _ => SocketArg::Created(u.int_in_range(0..=5)?),
        })
    }
}

impl<'a> Arbitrary<'a> for FlowArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0u8..=9)? {
            0 => FlowArg::Zero,
            1 => FlowArg::Raw(*u.choose(&[u32::MAX, 1, 2, 0x7FFF_FFFF])?),
            2 => FlowArg::Raw(u32::arbitrary(u)?),
            _ => FlowArg::Seen(u.int_in_range(0..=7)?),
        })
    }
}

impl<'a> Arbitrary<'a> for AddrArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match u.int_in_range(0u8..=11)? {
            0 => AddrArg::Null,
            1 => AddrArg::BadFamily(u16::arbitrary(u)?),
            2 => AddrArg::V4(<[u8; 4]>::arbitrary(u)?, u16::arbitrary(u)?),
            3 => AddrArg::V6(<[u8; 16]>::arbitrary(u)?, u16::arbitrary(u)?),
            _ => AddrArg::Known(u.choose_index(KNOWN_ADDRESSES.len())? as u8),
        })
    }
}

impl<'a> Arbitrary<'a> for TrafficArg {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(TrafficArg::from_raw(code(u, 6)?))
    }
}

impl<'a> Arbitrary<'a> for QueryOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(QueryOp::from_code(code(u, 3)?))
    }
}

impl<'a> Arbitrary<'a> for NotifyOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match code(u, 3)? {
            0 => NotifyOp::Congested,
            1 => NotifyOp::Uncongested,
            2 => NotifyOp::Available(bps(u)?),
            v => NotifyOp::Raw(v),
        })
    }
}

fn traffic_type_bytes(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(code(u, 6)?.to_le_bytes().to_vec())
}

fn dscp_bytes(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    Ok(mostly(u, |u| u.int_in_range(0u32..=63))?.to_le_bytes().to_vec())
}

fn rate_bytes(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let mut b = bps(u)?.to_le_bytes().to_vec();
    b.extend_from_slice(&code(u, 3)?.to_le_bytes()); // ShapingBehavior
    b.extend_from_slice(&mostly(u, |u| u.int_in_range(0i32..=4))?.to_le_bytes()); // Reason
    Ok(b)
}

/// `QOSSetFlow`'s buffer in C layout: usually the operation's type, sometimes another
/// operation's ("mixed families"), sometimes NULL.
fn set_buffer(u: &mut Unstructured<'_>, op: i32) -> Result<Option<Vec<u8>>> {
    Ok(Some(match (u.int_in_range(0u8..=7)?, op) {
        (0, _) => return Ok(None),
        (1, _) => traffic_type_bytes(u)?,
        (2, _) => dscp_bytes(u)?,
        (3, _) => rate_bytes(u)?,
        (_, 0) => traffic_type_bytes(u)?,
        (_, 2) => dscp_bytes(u)?,
        _ => rate_bytes(u)?,
    }))
}

/// An operation code, a `Size` (the operation's, sometimes another) and a buffer, read as a
/// surface reads them: the `Size` bytes only when `Size` fits the operation
/// ([`SetOp::from_c`]; typed when well-formed, else `Raw`).
impl<'a> Arbitrary<'a> for SetOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let op = code(u, 3)?;
        let size = if u.ratio(1u8, 6u8)? {
            size_u32(u, &[0, 4, 8, 16])?
        } else {
            SetOp::size_of(op).unwrap_or(4)
        };
        let fits = SetOp::size_of(op) == Some(size);
        let bytes = set_buffer(u, op)?.map(|mut b| {
            b.resize(if fits { size as usize } else { 0 }, 0);
            b
        });
        Ok(SetOp::from_c(op, size, bytes.as_deref()))
    }
}

/// The call of kind `k` (0..=21; more values for the calls with more to explore).
fn call_of_kind(u: &mut Unstructured<'_>, k: u8) -> Result<Call<Sym>> {
    Ok(match k {
        0..=1 => Call::CreateHandle(u.arbitrary()?),
        2 => Call::CloseHandle(u.arbitrary()?),
        3..=6 => Call::AddSocketToFlow(u.arbitrary()?),
        7..=8 => Call::RemoveSocketFromFlow(u.arbitrary()?),
        9..=11 => Call::SetFlow(u.arbitrary()?),
        12..=14 => Call::QueryFlow(u.arbitrary()?),
        15..=17 => Call::NotifyFlow(u.arbitrary()?),
        18 => Call::Cancel(u.arbitrary()?),
        19 => Call::EnumerateFlows(u.arbitrary()?),
        20 => Call::StartTrackingClient(u.arbitrary()?),
        _ => Call::StopTrackingClient(u.arbitrary()?),
    })
}

/// Any of the 11 calls, weighted toward the flow calls.
impl<'a> Arbitrary<'a> for Call<Sym> {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let k = u.int_in_range(0u8..=21)?;
        call_of_kind(u, k)
    }
}

/// A step that is not a call.
fn other_step(u: &mut Unstructured<'_>, k: u8) -> Result<Op> {
    Ok(match k {
        22..=23 => Op::Socket {
            af: mostly(u, |u| Ok(*u.choose(&[2, 23])?))?,
            kind: mostly(u, |u| Ok(*u.choose(&[1, 2])?))?,
            proto: mostly(u, |u| Ok(*u.choose(&[0, 6, 17])?))?,
        },
        24 => Op::Connect {
            s: u.arbitrary()?,
            addr: u.arbitrary()?,
        },
        25 if bool::arbitrary(u)? => Op::Bind {
            s: u.arbitrary()?,
            addr: u.arbitrary()?,
        },
        25 => Op::V6Only {
            s: u.arbitrary()?,
            on: bool::arbitrary(u)?,
        },
        26 => Op::CloseSocket { s: u.arbitrary()? },
        27 => Op::Advance {
            us: match u.int_in_range(0u8..=7)? {
                0 => u64::MAX,
                1 => u64::arbitrary(u)?,
                _ => u64::from(u.int_in_range(0u32..=5_000)?) * 1000,
            },
        },
        28 if u.ratio(1u8, 4u8)? => Op::AdvanceTo {
            us: u64::arbitrary(u)?,
        },
        28 => Op::TakeCompletions,
        29 => Op::Fault(Fault::arbitrary(u)?),
        _ => {
            let p = PlannedFault::arbitrary(u)?;
            Op::FaultAt {
                at_us: p.at_us,
                fault: p.fault,
            }
        }
    })
}

impl<'a> Arbitrary<'a> for Op {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        match u.int_in_range(0u8..=30)? {
            k @ 0..=21 => Ok(Op::Call(call_of_kind(u, k)?)),
            k => other_step(u, k),
        }
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
