//! ENU: QOSEnumerateFlows.
use crate::common::*;

fn with_foreign() -> T {
    let mut w = admin_world();
    w.foreign_flows = vec![ForeignFlow::default()];
    T::with(w)
}

fn flows(r: CallResult) -> Vec<u32> {
    match r {
        Ok(CallOutput::Flows(v)) => v,
        other => panic!("QOSEnumerateFlows failed: {other:?}"),
    }
}

#[test]
fn enu_1_invalid_handle_is_invalid_handle() {
    let mut t = T::with(admin_world());
    let h = t.handle();
    for bad in [0, 0xdead_beef, h + 1] {
        assert_eq!(code(&t.enumerate(bad, Some(64), true)), E::ERROR_INVALID_HANDLE);
    }
    t.close(h).expect("close");
    assert_eq!(code(&t.enumerate(h, Some(64), true)), E::ERROR_INVALID_HANDLE);
}

#[test]
fn enu_2_without_admin_is_access_denied() {
    let mut t = T::new();
    let (h, _, _) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(code(&t.enumerate(h, Some(64), true)), E::ERROR_ACCESS_DENIED);
    // AMB-33: the size check comes first, so a too small *Size still gives 122.
    assert_eq!(
        code(&t.enumerate(h, Some(0), false)),
        E::ERROR_INSUFFICIENT_BUFFER
    );
    assert_eq!(code(&t.enumerate(h, Some(4), true)), E::ERROR_ACCESS_DENIED);
    let mut t = T::with(admin_world());
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(flows(t.enumerate(h, Some(64), true)), vec![f]);
}

#[test]
fn enu_3_lists_every_flow_of_the_system() {
    let mut t = with_foreign();
    let foreign = t.m.flow_ids()[0];
    let (h1, _, a) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let (h2, _, b) = t.adaptive(LLTD_PEER, TrafficType::Voice);
    let mut all = vec![foreign, a, b];
    all.sort_unstable();
    assert_eq!(flows(t.enumerate(h1, Some(64), true)), all);
    assert_eq!(flows(t.enumerate(h2, Some(64), true)), all);
    let h3 = t.handle();
    assert_eq!(
        flows(t.enumerate(h3, Some(64), true)),
        all,
        "a handle without flows"
    );
}

#[test]
fn enu_4_small_size_is_insufficient_buffer_with_the_bytes_needed() {
    let mut t = with_foreign();
    let (h, _, _) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let (_, _, _) = t.non_adaptive(OFFLINK6, TrafficType::Voice);
    for size in [0, 4, 11] {
        let r = t.enumerate(h, Some(size), size > 0);
        assert_eq!(
            r,
            Err(CallError {
                code: E::ERROR_INSUFFICIENT_BUFFER,
                size: Some(12)
            }),
            "size {size}"
        );
    }
    assert_eq!(flows(t.enumerate(h, Some(12), true)).len(), 3);
}

#[test]
fn enu_5_success_returns_the_ids_and_their_byte_count() {
    let mut t = T::with(admin_world());
    let h = t.handle();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let s = t.udp(AF_INET);
        ids.push(t.flow(h, s, OFFLINK, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW));
    }
    // The buffer holds the ids (the surface writes *Size = 4 x count).
    assert_eq!(flows(t.enumerate(h, Some(100), true)), ids);
    assert!(ids.iter().all(|id| *id != 0));
    // Exactly 4 x count bytes is enough.
    assert_eq!(flows(t.enumerate(h, Some(12), true)), ids);
}

#[test]
fn enu_6_call_twice_and_again_if_flows_were_added_in_between() {
    let mut t = T::with(admin_world());
    let (h, _, _) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let need = t.enumerate(h, Some(0), false).unwrap_err().size.expect("size");
    assert_eq!(need, 4);
    // Another flow appears before the second call.
    let (_, _, _) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    let r = t.enumerate(h, Some(need), true);
    assert_eq!(
        r,
        Err(CallError {
            code: E::ERROR_INSUFFICIENT_BUFFER,
            size: Some(8)
        })
    );
    assert_eq!(flows(t.enumerate(h, Some(8), true)).len(), 2);
}

#[test]
fn enu_7_foreign_flows_are_listed_but_cannot_be_modified() {
    let mut t = with_foreign();
    let h = t.handle();
    let s = t.udp(AF_INET);
    let listed = flows(t.enumerate(h, Some(64), true));
    assert_eq!(listed.len(), 1);
    let foreign = listed[0];
    assert_eq!(
        code(&t.set(h, foreign, SetOp::TrafficType(TrafficType::Voice))),
        E::ERROR_NOT_FOUND
    );
    assert_eq!(code(&t.remove(h, 0, foreign)), E::ERROR_NOT_FOUND);
    let r = t.call(add_socket_to_flow(
        h,
        s,
        sa("192.168.1.20:5004"),
        0,
        QOS_NON_ADAPTIVE_FLOW,
        Some(foreign),
    ));
    assert_eq!(code(&r), E::ERROR_NOT_FOUND);
    assert_eq!(t.m.flow(foreign).unwrap().traffic_type, TrafficType::BestEffort);
    // Querying is allowed.
    assert_eq!(t.outgoing_rate(h, foreign), 0);
    assert_eq!(flows(t.enumerate(h, Some(64), true)), vec![foreign]);
}

#[test]
fn enu_8_null_size_or_null_buffer_with_size_is_invalid_parameter() {
    let mut t = T::with(admin_world());
    let (h, _, _) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(code(&t.enumerate(h, None, true)), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.enumerate(h, None, false)), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&t.enumerate(h, Some(64), false)), E::ERROR_INVALID_PARAMETER);
    // NULL Buffer with *Size 0 is the size probe.
    assert_eq!(
        t.enumerate(h, Some(0), false).unwrap_err().code,
        E::ERROR_INSUFFICIENT_BUFFER
    );
}

#[test]
fn enu_9_no_flows_left_is_true_with_nothing() {
    let mut t = T::with(admin_world());
    let (h, s, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    assert_eq!(flows(t.enumerate(h, Some(64), true)), vec![f]);
    t.remove(h, s, f).expect("remove");
    assert_eq!(
        flows(t.enumerate(h, Some(0), true)),
        Vec::<u32>::new(),
        "*Size 0 is enough"
    );
    assert_eq!(flows(t.enumerate(h, Some(64), true)), Vec::<u32>::new());
}

#[test]
fn enu_10_resource_failures_pass_through() {
    let mut t = T::with(admin_world());
    let (h, _, f) = t.non_adaptive(OFFLINK, TrafficType::Voice);
    for e in [
        E::ERROR_NOT_ENOUGH_MEMORY,
        E::ERROR_NO_SYSTEM_RESOURCES,
        E::ERROR_IO_DEVICE,
        E::ERROR_DEVICE_REINITIALIZATION_NEEDED,
    ] {
        t.fail_next(Func::EnumerateFlows, e, 1);
        assert_eq!(code(&t.enumerate(h, Some(64), true)), e);
    }
    // ERROR_ADAP_HDW_ERR is not among QOSEnumerateFlows' codes (GEN-11): a failure armed for
    // any function skips it and hits the next function that can report it.
    t.inject(Fault::FailCalls {
        func: None,
        code: E::ERROR_ADAP_HDW_ERR,
        count: 1,
    });
    assert_eq!(flows(t.enumerate(h, Some(64), true)), vec![f]);
    assert_eq!(code(&t.query(h, f, 1, 0)), E::ERROR_ADAP_HDW_ERR);
}
