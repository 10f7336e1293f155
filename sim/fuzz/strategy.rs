//! proptest strategies for worlds, faults, fault plans and call sequences.
//!
//! Values come from the `arbitrary` impls fed with proptest-chosen bytes, so both generators
//! share one definition of "realistic"; proptest shrinks the bytes toward zero (the simplest
//! value) and sequences toward fewer steps.

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;

use super::arb_call::Run;
use super::op::{AddrArg, FlowArg, HandleArg, Op, SocketArg, Sym};
use super::plan::{FaultPlan, PlannedFault};
use crate::call::{
    AddSocketToFlow, Call, CloseHandle, CreateHandle, EnumerateFlows, NotifyBuffer, NotifyFlow, NotifyOp,
    QueryFlow, QueryOp, RemoveSocketFromFlow, SetFlow, SetOp, TrafficArg, QOS_NON_ADAPTIVE_FLOW,
    QOS_QUERYFLOW_FRESH,
};
use crate::model::{Fault, World};

/// Any `T: Arbitrary`, drawn from up to `max_bytes` proptest-chosen bytes (`T::default()`-like
/// simplest value when the bytes run out).
pub fn from_arbitrary<T>(max_bytes: usize) -> impl Strategy<Value = T>
where
    T: for<'a> Arbitrary<'a> + std::fmt::Debug,
{
    proptest::collection::vec(any::<u8>(), 0..=max_bytes).prop_filter_map("undecodable bytes", |b| {
        T::arbitrary(&mut Unstructured::new(&b)).ok()
    })
}

/// A world: the default world with some knobs turned.
pub fn world() -> impl Strategy<Value = World> {
    from_arbitrary::<World>(128)
}

/// One fault.
pub fn fault() -> impl Strategy<Value = Fault> {
    from_arbitrary::<Fault>(24)
}

/// A fault plan: up to eight faults in the first ten seconds of virtual time.
pub fn fault_plan() -> impl Strategy<Value = FaultPlan> {
    proptest::collection::vec((0u64..=10_000, fault()), 0..=8).prop_map(|v| FaultPlan {
        faults: v
            .into_iter()
            .map(|(ms, fault)| PlannedFault {
                at_us: ms * 1000,
                fault,
            })
            .collect(),
    })
}

/// One step, mostly realistic, sometimes invalid or extreme.
pub fn op() -> impl Strategy<Value = Op> {
    from_arbitrary::<Op>(48)
}

/// The simplest `T` (what empty input gives), for a call whose arguments are then set: a
/// parameter added to a call keeps its simplest value here.
fn simplest<T: for<'a> Arbitrary<'a>>() -> T {
    T::arbitrary(&mut Unstructured::new(&[])).expect("empty input gives the simplest value")
}

/// `QOSCreateHandle(&{1, 0}, &h)`.
fn create_handle() -> Op {
    let mut c: CreateHandle<Sym> = simplest();
    c.version = Some((1, 0));
    c.out = true;
    Op::Call(Call::CreateHandle(c))
}

/// A sequence of up to `max_len` steps that starts with a handle and two sockets, so most
/// calls reach past the handle check.
pub fn ops(max_len: usize) -> impl Strategy<Value = Vec<Op>> {
    let prelude = vec![
        create_handle(),
        Op::Socket {
            af: 2,
            kind: 2,
            proto: 0,
        },
        Op::Socket {
            af: 23,
            kind: 2,
            proto: 0,
        },
    ];
    proptest::collection::vec(prop_oneof![4 => op(), 1 => extreme_op()], 0..=max_len).prop_map(move |v| {
        let mut all = prelude.clone();
        all.extend(v);
        all
    })
}

/// A whole run: world, seed and steps.
pub fn run(max_len: usize) -> impl Strategy<Value = Run> {
    (
        prop_oneof![Just(World::default()), world()],
        any::<u8>(),
        ops(max_len),
    )
        .prop_map(|(world, seed, ops)| Run {
            world,
            seed: u64::from(seed),
            ops,
        })
}

fn extreme_handle() -> impl Strategy<Value = HandleArg> + Clone {
    prop_oneof![
        Just(HandleArg::Null),
        Just(HandleArg::Raw(u64::MAX)),
        Just(HandleArg::Raw(0xdead_beef)),
        Just(HandleArg::Raw(crate::model::HANDLE_TAG)),
        any::<u64>().prop_map(HandleArg::Raw),
        Just(HandleArg::Issued(0)),
    ]
}

fn extreme_flow() -> impl Strategy<Value = FlowArg> + Clone {
    prop_oneof![
        Just(FlowArg::Zero),
        Just(FlowArg::Raw(u32::MAX)),
        Just(FlowArg::Seen(0))
    ]
}

fn extreme_size() -> impl Strategy<Value = u32> + Clone {
    prop_oneof![Just(u32::MAX), Just(0u32), Just(u32::MAX - 1)]
}

fn big() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![Just(u64::MAX), Just(u64::MAX - 1), any::<u64>()]
}

/// `QOSSetFlow` with a rate buffer of any `Size` or an unknown traffic type, `QOSQueryFlow`
/// with any operation, `QOSNotifyFlow` with a huge target; extreme handles, flows and sizes.
fn extreme_flow_call() -> impl Strategy<Value = Call<Sym>> {
    let rate = (extreme_size(), big()).prop_map(|(size, bps)| {
        let mut bytes = bps.to_le_bytes().to_vec();
        bytes.extend_from_slice(&1i32.to_le_bytes()); // QOSShapeAndMark
        bytes.extend_from_slice(&i32::MIN.to_le_bytes());
        SetOp::Raw {
            op: 1,
            size,
            bytes: Some(bytes),
        }
    });
    let set_op = prop_oneof![
        rate,
        any::<i32>().prop_map(|v| SetOp::TrafficType(TrafficArg::Raw(v)))
    ];
    let (handle, flow) = (extreme_handle(), extreme_flow());
    prop_oneof![
        (handle.clone(), flow.clone(), set_op).prop_map(|(handle, flow, op)| {
            let mut c: SetFlow<Sym> = simplest();
            (c.handle, c.flow, c.op, c.flags, c.overlapped) = (handle, flow, op, 0, None);
            Call::SetFlow(c)
        }),
        (handle.clone(), flow.clone(), extreme_size(), any::<i32>()).prop_map(|(handle, flow, size, op)| {
            let mut c: QueryFlow<Sym> = simplest();
            (c.handle, c.flow, c.op, c.size) = (handle, flow, QueryOp::from_code(op), Some(size));
            (c.buffer, c.fresh, c.flags, c.overlapped) = (true, true, !QOS_QUERYFLOW_FRESH, Some(u8::MAX));
            Call::QueryFlow(c)
        }),
        (handle, flow, extreme_size(), big()).prop_map(|(handle, flow, size, t)| {
            let mut c: NotifyFlow<Sym> = simplest();
            (c.handle, c.flow, c.op, c.size) = (handle, flow, NotifyOp::Available(t), Some(size));
            (c.buffer, c.flags, c.overlapped) = (NotifyBuffer::Auto, 0, Some(1));
            Call::NotifyFlow(c)
        }),
    ]
}

/// A call with an extreme argument: `u32::MAX` sizes, flow id 0 / `u32::MAX`, garbage handle
/// values, unknown operations and traffic types, all-ones flags.
fn extreme_call() -> impl Strategy<Value = Call<Sym>> {
    let handle = extreme_handle();
    prop_oneof![
        3 => extreme_flow_call(),
        1 => (handle.clone(), extreme_size()).prop_map(|(handle, size)| {
            let mut c: EnumerateFlows<Sym> = simplest();
            (c.handle, c.size, c.buffer) = (handle, Some(size), true);
            Call::EnumerateFlows(c)
        }),
        1 => (handle.clone(), extreme_flow()).prop_map(|(handle, flow)| {
            let mut c: RemoveSocketFromFlow<Sym> = simplest();
            (c.handle, c.socket, c.flow, c.flags) = (handle, SocketArg::Raw(u64::MAX), flow, u32::MAX);
            Call::RemoveSocketFromFlow(c)
        }),
        1 => (handle.clone(), extreme_flow()).prop_map(|(handle, flow)| {
            let mut c: AddSocketToFlow<Sym> = simplest();
            (c.handle, c.socket, c.dest) = (handle, SocketArg::Created(0), AddrArg::Known(0));
            (c.traffic_type, c.non_adaptive, c.flags) = (TrafficArg::Raw(i32::MAX), true, !QOS_NON_ADAPTIVE_FLOW);
            c.flow = Some(flow);
            Call::AddSocketToFlow(c)
        }),
        1 => handle.prop_map(|handle| {
            let mut c: CloseHandle<Sym> = simplest();
            c.handle = handle;
            Call::CloseHandle(c)
        }),
    ]
}

/// A step with an extreme argument: a call with `u32::MAX` sizes, flow id 0 / `u32::MAX`,
/// garbage handle values, unknown operations or all-ones flags, or a huge time advance.
pub fn extreme_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        7 => extreme_call().prop_map(Op::Call),
        1 => big().prop_map(|us| Op::Advance { us }),
        1 => big().prop_map(|us| Op::AdvanceTo { us }),
    ]
}
