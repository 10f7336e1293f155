//! CRE: QOSCreateHandle. CRE-10 (IOCP association) shows only through the windows surface.
use crate::common::*;

fn create(t: &mut T, version: Option<(u16, u16)>, out: bool) -> CallResult {
    t.call(create_handle(version, out))
}

#[test]
fn cre_1_null_version_is_invalid_parameter() {
    let mut t = T::new();
    assert_eq!(code(&create(&mut t, None, true)), E::ERROR_INVALID_PARAMETER);
    assert_eq!(code(&create(&mut t, None, false)), E::ERROR_INVALID_PARAMETER);
    assert!(t.m.handles().is_empty(), "no handle was created");
}

#[test]
fn cre_2_null_out_pointer_is_invalid_parameter_whatever_the_version() {
    let mut t = T::new();
    for v in [Some((1, 0)), Some((0xffff, 0xffff)), Some((2, 0))] {
        assert_eq!(
            code(&create(&mut t, v, false)),
            E::ERROR_INVALID_PARAMETER,
            "{v:?}"
        );
    }
    assert!(t.m.handles().is_empty());
}

#[test]
fn cre_3_only_version_1_0_is_accepted() {
    let mut t = T::new();
    for v in [(0, 0), (1, 5), (2, 0), (0, 1), (1, 1), (u16::MAX, 0)] {
        assert_eq!(
            code(&create(&mut t, Some(v), true)),
            E::ERROR_INVALID_PARAMETER,
            "{v:?}"
        );
    }
    assert!(t.m.handles().is_empty());
    assert!(matches!(
        create(&mut t, Some((1, 0)), true),
        Ok(CallOutput::Handle(_))
    ));
}

#[test]
fn cre_4_valid_arguments_give_a_new_open_handle() {
    let mut t = T::new();
    let h = match create(&mut t, Some((1, 0)), true) {
        Ok(CallOutput::Handle(h)) => h,
        other => panic!("{other:?}"),
    };
    assert_ne!(h, 0);
    assert_eq!(t.m.handle(h).map(|x| x.state), Some(HandleState::Open));
    // The handle is usable right away.
    let s = t.udp(AF_INET);
    t.flow(h, s, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
}

#[test]
fn cre_5_every_create_yields_an_independent_handle() {
    let mut t = T::new();
    let hs: Vec<u64> = (0..4).map(|_| t.handle()).collect();
    let distinct: std::collections::BTreeSet<_> = hs.iter().collect();
    assert_eq!(distinct.len(), 4);
    let s1 = t.udp(AF_INET);
    let s2 = t.udp(AF_INET);
    let f1 = t.flow(hs[0], s1, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    let f2 = t.flow(hs[1], s2, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert_eq!(t.call(close_handle(hs[0])), Ok(CallOutput::None));
    assert!(t.m.flow(f1).is_none());
    assert!(t.m.flow(f2).is_some(), "closing one handle left the other's flow");
    assert!(t.query(hs[1], f2, 1, 0).is_ok());
}

#[test]
fn cre_6_service_that_cannot_start_gives_1068() {
    let mut t = T::world(|w| w.settings.service = ServiceState::CannotStart);
    assert_eq!(
        code(&create(&mut t, Some((1, 0)), true)),
        E::ERROR_SERVICE_DEPENDENCY_FAIL
    );
    assert!(t.m.handles().is_empty());
    // The service recovers at run time, and so does QOSCreateHandle.
    t.inject(Fault::Service(ServiceState::Running));
    t.handle();
    t.inject(Fault::Service(ServiceState::CannotStart));
    assert_eq!(
        code(&create(&mut t, Some((1, 0)), true)),
        E::ERROR_SERVICE_DEPENDENCY_FAIL
    );
}

#[test]
fn cre_7_firewall_exception_off_gives_4309() {
    let mut t = T::world(|w| w.settings.service = ServiceState::FirewallBlocked);
    assert_eq!(
        code(&create(&mut t, Some((1, 0)), true)),
        E::ERROR_RESOURCE_DISABLED
    );
    t.inject(Fault::Service(ServiceState::Running));
    t.handle();
}

#[test]
fn cre_8_create_right_after_resume_gives_gen_failure_for_the_configured_attempts() {
    let mut t = T::world(|w| w.settings.create_failures_after_resume = 3);
    t.inject(Fault::Sleep);
    t.inject(Fault::Resume);
    for i in 0..3 {
        let r = create(&mut t, Some((1, 0)), true);
        assert_eq!(code(&r), E::ERROR_GEN_FAILURE, "attempt {i}");
    }
    t.handle();
    // Without a sleep, nothing fails.
    let mut t = T::world(|w| w.settings.create_failures_after_resume = 3);
    t.handle();
}

#[test]
fn cre_9_resource_failures_give_8_or_1450() {
    let mut t = T::new();
    for c in [E::ERROR_NOT_ENOUGH_MEMORY, E::ERROR_NO_SYSTEM_RESOURCES] {
        t.inject(Fault::FailCalls {
            func: Some(Func::CreateHandle),
            code: c,
            count: 1,
        });
        assert_eq!(code(&create(&mut t, Some((1, 0)), true)), c);
    }
    assert!(t.m.handles().is_empty());
    t.handle();
}

#[test]
fn cre_11_argument_checks_come_before_the_service_and_injected_failures() {
    let mut t = T::world(|w| w.settings.service = ServiceState::CannotStart);
    assert_eq!(
        code(&create(&mut t, Some((2, 0)), true)),
        E::ERROR_INVALID_PARAMETER
    );
    assert_eq!(code(&create(&mut t, None, false)), E::ERROR_INVALID_PARAMETER);
    let mut t = T::new();
    t.inject(Fault::FailCalls {
        func: Some(Func::CreateHandle),
        code: E::ERROR_NOT_ENOUGH_MEMORY,
        count: 1,
    });
    assert_eq!(
        code(&create(&mut t, Some((1, 0)), false)),
        E::ERROR_INVALID_PARAMETER
    );
    // The armed failure was not consumed by the rejected call.
    assert_eq!(
        code(&create(&mut t, Some((1, 0)), true)),
        E::ERROR_NOT_ENOUGH_MEMORY
    );
}
