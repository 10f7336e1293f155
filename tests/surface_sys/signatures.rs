//! Every function's windows-sys signature and every type's layout, pinned.

use super::common::*;

#[allow(dead_code)]
mod pins {
    use qwave_sim::windows_sys;
    include!("../parity/signatures_sys.rs");
}
use pins::Pinned;

/// The pins compile here and, in `tests/parity/sys.rs`, against the real windows-sys.
#[test]
fn every_function_has_the_windows_sys_signature_and_the_types_are_raw_aliases() {
    let p: Pinned = pins::pin();
    assert_eq!(p.attrs.nLength, 0);

    // Values and layouts, as in the spec (section 6) and on x86_64 Windows.
    assert_eq!(
        (AF_INET, AF_INET6, AF_UNSPEC),
        (2, 23, 0),
        "AF_INET6 is 23 on Windows"
    );
    assert_eq!((INVALID_SOCKET, SOCKET_ERROR), (usize::MAX, -1));
    assert_eq!(INVALID_HANDLE_VALUE as isize, -1);
    assert_eq!((TRUE, FALSE, INFINITE), (1, 0, u32::MAX));
    assert_eq!(
        (ERROR_INVALID_HANDLE, ERROR_INVALID_PARAMETER, ERROR_IO_PENDING),
        (6, 87, 997)
    );
    assert_eq!((ERROR_NETWORK_UNREACHABLE, ERROR_NOT_FOUND), (1231, 1168));
    assert_eq!((WAIT_OBJECT_0, WAIT_TIMEOUT, WAIT_FAILED), (0, 258, u32::MAX));
    assert_eq!((WSAEFAULT, WSAEAFNOSUPPORT, WSAENOTSOCK), (10014, 10047, 10038));
    assert_eq!((QOS_NON_ADAPTIVE_FLOW, QOS_QUERYFLOW_FRESH), (2, 1));
    assert_eq!((QOSTrafficTypeBestEffort, QOSTrafficTypeControl), (0, 5));
    assert_eq!(E_INVALIDARG as u32, 0x8007_0057);
    assert_eq!(
        (size_of::<OVERLAPPED>(), size_of::<QOS_FLOW_FUNDAMENTALS>()),
        (32, 40)
    );
    assert_eq!(
        (
            size_of_val(&p.rate),
            size_of_val(&p.priority),
            size_of::<QOS_VERSION>()
        ),
        (16, 16, 4)
    );
    assert_eq!(
        (size_of_val(&p.sa), size_of_val(&p.v4), size_of_val(&p.v6)),
        (16, 16, 28)
    );
    assert_eq!((size_of::<SOCKADDR_STORAGE>(), size_of_val(&p.wsa)), (128, 408));
    assert_eq!(
        (p.ov.Internal, p.fundamentals.AvailableBandwidthSet, unsafe {
            p.v4.sin_addr.S_un.S_addr
        }),
        (0, 1, 0x0100_000a)
    );
}
