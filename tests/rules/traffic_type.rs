//! TT: traffic types and the markings they give.
use crate::common::*;

const NA: u32 = QOS_NON_ADAPTIVE_FLOW;

#[test]
fn tt_1_8021p_only_for_admitted_adaptive_onlink_flows_on_tag_keeping_paths() {
    let mut t = T::world(|w| w.peers.push(peer("192.168.1.60", |p| p.path.keeps_8021p = false)));
    let (h, _s, adaptive) = t.adaptive(LLTD_PEER, TrafficType::AudioVideo);
    let s2 = t.udp(AF_INET);
    let fixed = t.flow(h, s2, LLTD_PEER, TrafficType::AudioVideo, NA);
    let s3 = t.udp(AF_INET);
    let dropping = t.flow(h, s3, "192.168.1.60:5004", TrafficType::AudioVideo, 0);
    t.warm();
    assert!(t.set_rate(h, adaptive, 1_000_000).is_ok());
    assert!(t.set_rate(h, dropping, 1_000_000).is_ok());
    let pairs: Vec<(u32, u32)> = [adaptive, fixed, dropping]
        .iter()
        .map(|&f| {
            let m = t.priority(h, f);
            (m.conformant_dscp, m.conformant_l2)
        })
        .collect();
    assert_eq!(pairs, vec![(40, 5), (40, 0), (40, 0)]);
}

#[test]
fn tt_2_offlink_destinations_get_dscp_only() {
    let mut t = T::new();
    for tt in TrafficType::ALL {
        let (h, _s, f) = t.adaptive(OFFLINK, tt);
        assert!(t.set_rate(h, f, 1_000_000).is_ok());
        let (hn, _s, fnon) = t.non_adaptive(OFFLINK6, tt);
        for (h, f) in [(h, f), (hn, fnon)] {
            let m = t.priority(h, f);
            assert_eq!(m.conformant_dscp, u32::from(tt.dscp()), "{tt:?}");
            assert_eq!(m.conformant_l2, 0, "{tt:?}");
        }
    }
}

#[test]
fn tt_3_policy_dscp_replaces_the_table_and_query_shows_it() {
    let mut t = T::new();
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Background);
    assert_eq!(t.priority(h, f).conformant_dscp, 8);
    for d in [0u8, 26, 63] {
        let mut t = T::world(|w| w.policy.dscp_policy = Some(d));
        let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Background);
        assert_eq!(t.priority(h, f).conformant_dscp, u32::from(d));
        assert_eq!(
            t.m.marking(f),
            Some(t.priority(h, f)),
            "the query reports what is applied"
        );
    }
}

#[test]
fn tt_4_custom_dscp_replaces_the_table_until_the_traffic_type_is_set_again() {
    let mut t = T::world(|w| w.policy.admin = true);
    let (h, _s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
    assert!(t.set(h, f, SetOp::OutgoingDscp(46)).is_ok());
    assert_eq!(t.priority(h, f).conformant_dscp, 46);
    assert!(t.set(h, f, SetOp::TrafficType(TrafficType::Voice)).is_ok());
    assert_eq!(t.priority(h, f).conformant_dscp, 56);
    assert_eq!(t.m.flow(f).unwrap().custom_dscp, None);
}

#[test]
fn tt_5_traffic_types_outside_0_to_5_are_invalid_parameter() {
    let mut t = T::new();
    let (h, s, f) = t.non_adaptive(LLTD_PEER, TrafficType::Voice);
    for v in [6, -1, 100] {
        let r = t.call(add_socket_to_flow(h, s, sa(PLAIN_PEER), v, NA, Some(0)));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "add {v}");
        let bytes = (v as u32).to_le_bytes();
        let r = t.call(set_flow(h, f, 0, 4, Some(&bytes), 0, None));
        assert_eq!(code(&r), E::ERROR_INVALID_PARAMETER, "set {v}");
    }
    assert_eq!(t.m.flow(f).unwrap().traffic_type, TrafficType::Voice);
    assert_eq!(t.m.flow_count(), 1);
}
