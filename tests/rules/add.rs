//! ADD: QOSAddSocketToFlow.
use crate::common::*;

#[test]
fn add_3_ipv4_sockaddr_on_dual_stack_socket_is_invalid_parameter() {
    let mut t = T::new();
    let h = t.handle();
    let s = t.dual_stack_udp();
    let r = t.add(h, s, LLTD_PEER, TrafficType::Voice, QOS_NON_ADAPTIVE_FLOW);
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    let r = t.add(
        h,
        s,
        "[::ffff:192.168.1.20]:5004",
        TrafficType::Voice,
        QOS_NON_ADAPTIVE_FLOW,
    );
    assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER);
    assert_eq!(t.m.flow_count(), 0);
}
