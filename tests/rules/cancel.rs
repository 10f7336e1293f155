//! CAN: QOSCancel.
//!
//! CAN-5 (a QOSCancel still running when its handle is closed completes with 995) has no test
//! here: in the model QOSCancel is a synchronous, atomic call, so it is never "running" when
//! another call closes the handle. Only a multi-threaded surface could reach that state.
use crate::common::*;

#[test]
fn can_1_invalid_handle_is_invalid_handle() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    for bad in [0, 0xdead_beef, h + 1] {
        assert_eq!(code(&t.cancel(bad, Some(1))), E::ERROR_INVALID_HANDLE);
    }
    assert!(t.m.is_pending(h, 1), "nothing was cancelled");
    t.close(h).expect("close");
    assert_eq!(code(&t.cancel(h, Some(1))), E::ERROR_INVALID_HANDLE);
}

#[test]
fn can_2_null_overlapped_is_invalid_parameter() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.cancel(h, None)), E::ERROR_INVALID_PARAMETER);
    assert!(t.m.is_pending(h, 1));
    assert!(t.completions().is_empty());
}

#[test]
fn can_3_success_is_true_and_the_request_completes_aborted() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(t.cancel(h, Some(1)), Ok(CallOutput::None));
    assert!(!t.m.is_pending(h, 1));
    // The completion goes through the usual channel, on the next step.
    assert!(!t.m.has_completions());
    let c = t.completions();
    assert_eq!(c.len(), 1);
    assert_eq!(
        (
            c[0].key,
            c[0].handle,
            c[0].flow,
            c[0].func,
            c[0].status,
            c[0].data
        ),
        (1, h, f, Func::NotifyFlow, E::ERROR_OPERATION_ABORTED, None)
    );
    // The condition arriving later changes nothing; cancelling again finds nothing (AMB-20).
    t.inject(Fault::Congestion {
        path: PathRef::Peer("192.168.1.20".parse().unwrap()),
        congested: true,
    });
    assert!(t.completions().is_empty());
    assert_eq!(code(&t.cancel(h, Some(1))), E::ERROR_NOT_FOUND);
}

#[test]
fn can_4_only_requests_of_the_same_handle_are_cancelled() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let other = t.handle();
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    assert_eq!(code(&t.cancel(other, Some(1))), E::ERROR_NOT_FOUND);
    assert!(t.m.is_pending(h, 1));
    assert!(t.completions().is_empty());
    t.cancel(h, Some(1)).expect("owner cancels");
    assert_eq!(t.completions()[0].status, E::ERROR_OPERATION_ABORTED);
}

#[test]
fn can_6_resource_failures_pass_through_and_cancel_nothing() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(1))), E::ERROR_IO_PENDING);
    for e in RESOURCE_CODES {
        t.fail_next(Func::Cancel, e, 1);
        assert_eq!(code(&t.cancel(h, Some(1))), e);
        assert!(t.m.is_pending(h, 1));
    }
    assert!(t.completions().is_empty());
    t.cancel(h, Some(1)).expect("no failure left");
}

#[test]
fn can_7_pending_set_query_and_notify_can_all_be_cancelled() {
    let mut t = T::new();
    let (h, _, f) = t.warm_adaptive(LLTD_PEER, TrafficType::Voice);
    let r = t.set_ov(h, f, rate(1_000_000, Shaping::ShapeAndMark), 10);
    assert_eq!(code(&r), E::ERROR_IO_PENDING);
    assert_eq!(
        code(&t.query_ov(h, f, 0, QOS_QUERYFLOW_FRESH, 11)),
        E::ERROR_IO_PENDING
    );
    assert_eq!(code(&t.notify(h, f, 0, 0, Some(12))), E::ERROR_IO_PENDING);
    assert_eq!(t.m.pending_count(), 3);
    for k in [10, 11, 12] {
        t.cancel(h, Some(k)).expect("cancel");
    }
    assert_eq!(t.m.pending_count(), 0);
    t.advance_ms(1_000);
    let mut c: Vec<_> = t
        .completions()
        .into_iter()
        .map(|c| (c.key, c.func, c.status))
        .collect();
    c.sort();
    assert_eq!(
        c,
        vec![
            (10, Func::SetFlow, E::ERROR_OPERATION_ABORTED),
            (11, Func::QueryFlow, E::ERROR_OPERATION_ABORTED),
            (12, Func::NotifyFlow, E::ERROR_OPERATION_ABORTED),
        ]
    );
    // The cancelled set never took effect.
    assert_eq!(t.m.flow(f).unwrap().rate, None);
    assert_eq!(t.path_of(LLTD_PEER).admitted_bps, 0);
}
