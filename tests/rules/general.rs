//! GEN: cross-cutting rules. GEN-1, GEN-2, GEN-3 and GEN-5 show only through the windows
//! surfaces (BOOL, last error, OVERLAPPED, IOCP) and are tested there.
use std::net::IpAddr;

use crate::common::*;

fn lltd_ip() -> IpAddr {
    "192.168.1.20".parse().unwrap()
}

#[test]
fn gen_4_without_overlapped_calls_return_their_final_status_directly() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    // Set: the effect is there when the call returns, and no completion follows.
    let r = t.set(h, f, SetOp::TrafficType(TrafficType::Background));
    assert_eq!(r, Ok(CallOutput::None));
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Background);
    // Query: the data comes back from the call itself.
    assert_eq!(
        t.query(h, f, 2, 0),
        Ok(CallOutput::Data(QueryData::OutgoingRate(0), 8))
    );
    // Notify: blocks on the virtual clock until the path congests at 5 s.
    t.run(|m| {
        m.inject_at(
            VirtualTime(5_000_000),
            Fault::Congestion {
                path: PathRef::Peer(lltd_ip()),
                congested: true,
            },
        )
    });
    let r = t.call(notify_flow(h, f, 0, None, None, 0, None));
    assert_eq!(r, Ok(CallOutput::None));
    assert_eq!(t.m.now(), VirtualTime(5_000_000));
    assert_eq!(t.m.pending_count(), 0);
    assert!(t.completions().is_empty(), "synchronous calls post no completion");
}

#[test]
fn gen_6_unissued_or_closed_handles_give_invalid_handle_everywhere() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    for bogus in [0, 0xdead_beef, u64::MAX, h + 1000] {
        let calls = t.every_handle_call(bogus, f, s, LLTD_PEER);
        assert_eq!(calls.len(), 10);
        all_fail_with(&calls, E::ERROR_INVALID_HANDLE);
    }
    // The real handle was untouched by all that; once closed it joins the bogus ones.
    assert!(t.m.flow(f).is_some());
    assert_eq!(t.call(close_handle(h)), Ok(CallOutput::None));
    let calls = t.every_handle_call(h, f, s, LLTD_PEER);
    all_fail_with(&calls, E::ERROR_INVALID_HANDLE);
}

#[test]
fn gen_7_flow_ids_work_only_through_their_handle_and_foreign_flows_are_read_only() {
    let mut t = T::world(|w| {
        w.policy.admin = true;
        w.foreign_flows.push(ForeignFlow::default());
    });
    let foreign = t.m.flow_ids()[0];
    let (h1, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    let h2 = t.handle();
    // Through another handle of the same process, the id cannot change the flow; like every
    // flow QOSEnumerateFlows lists, it can be read.
    assert_eq!(
        code(&t.set(h2, f, SetOp::TrafficType(TrafficType::Control))),
        E::ERROR_NOT_FOUND
    );
    assert_eq!(t.priority(h2, f), marked(56, 0));
    assert_eq!(code(&t.notify(h2, f, 0, 0, Some(1))), E::ERROR_NOT_FOUND);
    assert_eq!(
        code(&t.call(remove_socket_from_flow(h2, 0, f, 0))),
        E::ERROR_NOT_FOUND
    );
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice);
    assert!(t.set(h1, f, SetOp::TrafficType(TrafficType::Control)).is_ok());
    // Another process's flow: listed and queryable, never changed.
    match t.call(enumerate_flows(h2, Some(64), true)) {
        Ok(CallOutput::Flows(ids)) => assert!(ids.contains(&foreign) && ids.contains(&f)),
        other => panic!("{other:?}"),
    }
    assert!(t.query(h2, foreign, 1, 0).is_ok());
    assert_eq!(
        code(&t.set(h2, foreign, SetOp::TrafficType(TrafficType::Voice))),
        E::ERROR_NOT_FOUND
    );
    assert_eq!(
        code(&t.call(remove_socket_from_flow(h2, 0, foreign, 0))),
        E::ERROR_NOT_FOUND
    );
    assert!(t.m.flow(foreign).is_some());
}

#[test]
fn gen_8_after_a_device_reset_old_handles_report_1164_until_closed_and_new_ones_work() {
    let mut t = T::new();
    let (h, s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(7))), E::ERROR_IO_PENDING);
    t.inject(Fault::DeviceReset);
    assert_eq!(t.statuses(), vec![(7, E::ERROR_OPERATION_ABORTED)]);
    assert!(t.m.flow(f).is_none(), "the reset took the flow");
    let calls = t.every_handle_call(h, f, s, LLTD_PEER);
    let (close, rest) = calls.split_last().unwrap();
    all_fail_with(rest, E::ERROR_DEVICE_REINITIALIZATION_NEEDED);
    assert_eq!(close.1, Ok(CallOutput::None), "close is the way out");
    assert_eq!(code(&t.call(close_handle(h))), E::ERROR_INVALID_HANDLE);
    // The recovery GEN-8 asks for: a new handle, the flow added again.
    let h2 = t.handle();
    let f2 = t.flow(h2, s, LLTD_PEER, TrafficType::Voice, 0);
    assert_ne!(f2, f);
}

#[test]
fn gen_9_sleep_kills_handles_flows_and_tracking_and_create_fails_until_after_resume() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert!(t.call(start_tracking_client(h, sa(LLTD_PEER), 0)).is_ok());
    t.inject(Fault::Sleep);
    assert!(t.m.flow(f).is_none());
    assert_eq!(t.m.flow_count(), 0);
    all_fail_with(&t.every_handle_call(h, f, s, LLTD_PEER), E::ERROR_INVALID_HANDLE);
    // Asleep: no new handle.
    assert_eq!(
        code(&t.call(create_handle(Some((1, 0)), true))),
        E::ERROR_GEN_FAILURE
    );
    t.inject(Fault::Resume);
    // Right after resume the default world fails one more create (CRE-8), then recovers.
    assert_eq!(
        code(&t.call(create_handle(Some((1, 0)), true))),
        E::ERROR_GEN_FAILURE
    );
    let h2 = t.handle();
    // Tracking did not survive: nothing to stop.
    assert_eq!(
        code(&t.call(stop_tracking_client(h2, sa(LLTD_PEER), 0))),
        E::ERROR_NOT_FOUND
    );
    t.flow(h2, s, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
}

#[test]
fn gen_9_sleep_after_a_device_reset_kills_the_stale_handles_too() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    t.inject(Fault::DeviceReset);
    assert_eq!(
        code(&t.query(h, f, 1, 0)),
        E::ERROR_DEVICE_REINITIALIZATION_NEEDED
    );
    t.inject(Fault::Sleep);
    // GEN-9 takes every old handle, the ones a reset left waiting for their close included.
    assert_eq!(t.m.handle(h).map(|x| x.state), Some(HandleState::Dead));
    t.inject(Fault::Resume);
    all_fail_with(&t.every_handle_call(h, f, s, LLTD_PEER), E::ERROR_INVALID_HANDLE);
}

#[test]
fn gen_10_nonzero_reserved_flags_are_invalid_parameter() {
    let mut t = T::new();
    let (h, _s, f) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let (raw, bytes) = encode(SetOp::TrafficType(TrafficType::Control));
    for flags in [1u32, 2, 0x8000_0000] {
        let r = t.call(set_flow(h, f, raw, 4, Some(&bytes), flags, None));
        assert_eq!(
            code(&r),
            E::ERROR_INVALID_PARAMETER,
            "QOSSetFlow flags {flags:#x}"
        );
        let r = t.call(notify_flow(h, f, 0, None, None, flags, Some(1)));
        assert_eq!(
            code(&r),
            E::ERROR_INVALID_PARAMETER,
            "QOSNotifyFlow flags {flags:#x}"
        );
        let r = t.call(start_tracking_client(h, sa(LLTD_PEER), flags));
        assert_eq!(
            code(&r),
            E::ERROR_INVALID_PARAMETER,
            "QOSStartTrackingClient flags {flags:#x}"
        );
        let r = t.call(remove_socket_from_flow(h, 0, f, flags));
        assert_eq!(
            code(&r),
            E::ERROR_INVALID_PARAMETER,
            "QOSRemoveSocketFromFlow flags {flags:#x}"
        );
    }
    // Nothing happened: the flow, its type and the absence of tracking are as before.
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice);
    assert_eq!(t.m.pending_count(), 0);
    assert!(t.m.handle(h).unwrap().tracked.is_empty());
    // The same calls with 0 work.
    assert!(t.set(h, f, SetOp::TrafficType(TrafficType::Control)).is_ok());
    assert!(t.call(start_tracking_client(h, sa(LLTD_PEER), 0)).is_ok());
    assert!(t.call(remove_socket_from_flow(h, 0, f, 0)).is_ok());
}

#[test]
fn gen_11_injected_resource_failures_hit_the_next_calls_only() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    for code_ in [
        E::ERROR_NOT_ENOUGH_MEMORY,
        E::ERROR_NO_SYSTEM_RESOURCES,
        E::ERROR_IO_DEVICE,
        E::ERROR_DEVICE_REINITIALIZATION_NEEDED,
    ] {
        t.inject(Fault::FailCalls {
            func: None,
            code: code_,
            count: 1,
        });
        assert_eq!(code(&t.query(h, f, 1, 0)), code_);
        assert!(t.query(h, f, 1, 0).is_ok(), "only one call was to fail");
    }
    // 57 skips the functions that never report it (Close, Remove, Enumerate) and waits for
    // the next one that can.
    let h2 = t.handle();
    t.inject(Fault::FailCalls {
        func: None,
        code: E::ERROR_ADAP_HDW_ERR,
        count: 1,
    });
    assert_eq!(t.call(close_handle(h2)), Ok(CallOutput::None));
    assert_eq!(t.call(remove_socket_from_flow(h, s, f, 0)), Ok(CallOutput::None));
    let r = t.add(h, s, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert_eq!(code(&r), E::ERROR_ADAP_HDW_ERR);
    assert_eq!(t.m.flow_count(), 0);
    t.flow(h, s, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
}

#[test]
fn gen_11_a_fail_calls_fault_with_count_0_or_code_0_fails_nothing() {
    let mut t = T::new();
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    t.inject(Fault::FailCalls {
        func: None,
        code: E::ERROR_NOT_ENOUGH_MEMORY,
        count: 0,
    });
    t.inject(Fault::FailCalls {
        func: Some(Func::QueryFlow),
        code: E::ERROR_SUCCESS,
        count: 2,
    });
    for _ in 0..3 {
        assert_eq!(t.priority(h, f), marked(56, 0));
    }
    // An armed failure still works after them.
    t.fail_next(Func::QueryFlow, E::ERROR_IO_DEVICE, 1);
    assert_eq!(code(&t.query(h, f, 1, 0)), E::ERROR_IO_DEVICE);
    assert_eq!(t.priority(h, f), marked(56, 0));
}

#[test]
fn gen_12_measurement_needs_an_onlink_lltd_peer_offlink_gets_dscp_and_shaping_only() {
    let mut t = T::new();
    let (h_on, _s, on) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let (h_off, _s2, off) = t.adaptive(OFFLINK, TrafficType::Voice);
    t.warm();
    // Estimates and notifications: on-link yes, off-link no.
    assert!(matches!(
        t.query(h_on, on, 0, 0),
        Ok(CallOutput::Data(
            QueryData::Fundamentals {
                available_bps: Some(_),
                ..
            },
            40
        ))
    ));
    assert_eq!(code(&t.query(h_off, off, 0, 0)), E::ERROR_NOT_SUPPORTED);
    assert_eq!(code(&t.notify(h_on, on, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.notify(h_off, off, 0, 0, Some(1))), E::ERROR_NOT_SUPPORTED);
    // Admission and 802.1p on-link; DSCP and a shaping contract (no admission) off-link.
    assert!(t.set_rate(h_on, on, 1_000_000).is_ok());
    assert!(t.set_rate(h_off, off, 1_000_000).is_ok());
    assert_eq!(t.m.flow(on).unwrap().held_bps, payload(1_000_000));
    assert_eq!(t.m.flow(off).unwrap().held_bps, 0);
    let on_mark = t.priority(h_on, on);
    let off_mark = t.priority(h_off, off);
    assert_eq!((on_mark.conformant_dscp, on_mark.conformant_l2), (56, 7));
    assert_eq!((off_mark.conformant_dscp, off_mark.conformant_l2), (56, 0));
}
