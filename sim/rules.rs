//! The rule list of `RULES.md` as data: every rule id the simulator follows, a one-line summary,
//! and whether a test can prove it. The `coverage` rule test checks that this list and `RULES.md`
//! name the same ids, and that every testable id has a test named after it.

/// One rule of `RULES.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The id, `ADD-3`, `SET-6b`, `SIM-1`.
    pub id: &'static str,
    /// What the rule says, in one line (for AMB rows: the question and our choice).
    pub summary: &'static str,
    /// Whether the rule states behaviour a test of the simulator can observe.
    pub testable: bool,
}

/// Every rule, in the order of `RULES.md`.
pub const RULES: &[Rule] = &[
    // General (GEN)
    Rule {
        id: "GEN-1",
        summary: "Every function returns a BOOL: nonzero for success, 0 for failure with the reason in the thread's last-error slot.",
        testable: true,
    },
    Rule {
        id: "GEN-2",
        summary: "A successful call leaves the last-error slot as it was.",
        testable: true,
    },
    Rule {
        id: "GEN-3",
        summary: "An overlapped request that was accepted returns FALSE with ERROR_IO_PENDING (997); its real status arrives later through the OVERLAPPED (event, IOCP packet, GetOverlappedResult). Set, Query and Notify take an OVERLAPPED.",
        testable: true,
    },
    Rule {
        id: "GEN-4",
        summary: "Without an OVERLAPPED, Set, Query and Notify run to the end and return their final status directly.",
        testable: true,
    },
    Rule {
        id: "GEN-5",
        summary: "The QoS handle is a file handle: it can be bound to an I/O completion port, which then receives its completions.",
        testable: true,
    },
    Rule {
        id: "GEN-6",
        summary: "A handle value QOSCreateHandle never issued (NULL, garbage) or one already closed gives ERROR_INVALID_HANDLE (6) from every function.",
        testable: true,
    },
    Rule {
        id: "GEN-7",
        summary: "A flow id changes its flow only through the handle that created it; every listed flow (other processes' and other handles') can be queried but never changed.",
        testable: true,
    },
    Rule {
        id: "GEN-8",
        summary: "ERROR_DEVICE_REINITIALIZATION_NEEDED (1164) means: close the handle, create a new one, add the flows again. Model: after a device reset every call on an old handle gives 1164, except close, which succeeds.",
        testable: true,
    },
    Rule {
        id: "GEN-9",
        summary: "Sleep or standby kills every handle, flow and tracked client; old handles then give 6, and QOSCreateHandle may give ERROR_GEN_FAILURE (31) right after resume.",
        testable: true,
    },
    Rule {
        id: "GEN-10",
        summary: "Reserved Flags parameters must be 0; a non-zero value gives ERROR_INVALID_PARAMETER (87) (AMB-6; QOSStopTrackingClient ignores its Flags, STO-7).",
        testable: true,
    },
    Rule {
        id: "GEN-11",
        summary: "Resource failures (8, 1450, 1117, 1164, 57) may hit any call; the simulator produces them only from the fault plan, and never reports 57 from Close, Remove or Enumerate.",
        testable: true,
    },
    Rule {
        id: "GEN-12",
        summary: "Measurement (estimates, notifications, 802.1p, admission control) needs an on-link peer running an LLTD QoS responder; toward off-link hosts only DSCP marking and shaping work.",
        testable: true,
    },
    Rule {
        id: "GEN-13",
        summary: "qwave.dll may be missing (Windows Server without the feature); robust clients load it dynamically and treat absence as \"no QoS\". Not testable: whether a DLL loads is outside an in-process model of the API.",
        testable: false,
    },
    // QOSCreateHandle (CRE)
    Rule {
        id: "CRE-1",
        summary: "Version NULL gives 87.",
        testable: true,
    },
    Rule {
        id: "CRE-2",
        summary: "QOSHandle out-pointer NULL gives 87, whatever Version holds.",
        testable: true,
    },
    Rule {
        id: "CRE-3",
        summary: "Any Version other than 1.0 gives 87.",
        testable: true,
    },
    Rule {
        id: "CRE-4",
        summary: "Valid arguments give TRUE and a new handle in *QOSHandle.",
        testable: true,
    },
    Rule {
        id: "CRE-5",
        summary: "Every successful call yields a new handle, independent of the others.",
        testable: true,
    },
    Rule {
        id: "CRE-6",
        summary: "The qWAVE service or a dependency cannot start: ERROR_SERVICE_DEPENDENCY_FAIL (1068).",
        testable: true,
    },
    Rule {
        id: "CRE-7",
        summary: "The service's firewall exception is off: ERROR_RESOURCE_DISABLED (4309).",
        testable: true,
    },
    Rule {
        id: "CRE-8",
        summary: "Internal initialisation fails, e.g. just after resuming from sleep: ERROR_GEN_FAILURE (31).",
        testable: true,
    },
    Rule {
        id: "CRE-9",
        summary: "Out of memory or system resources: 8 or 1450.",
        testable: true,
    },
    Rule {
        id: "CRE-10",
        summary: "The handle can be associated with an IOCP to receive overlapped completions.",
        testable: true,
    },
    Rule {
        id: "CRE-11",
        summary: "Argument checks (CRE-1..3) run before any service interaction, and all of them give 87.",
        testable: true,
    },
    // QOSCloseHandle (CLO)
    Rule {
        id: "CLO-1",
        summary: "A NULL handle gives 6 (the docs say 87; real Windows gives 6, AMB-2).",
        testable: true,
    },
    Rule {
        id: "CLO-2",
        summary: "A value that is not a QoS handle gives 6.",
        testable: true,
    },
    Rule {
        id: "CLO-3",
        summary: "A valid handle gives TRUE.",
        testable: true,
    },
    Rule {
        id: "CLO-4",
        summary: "Closing destroys every flow of the handle at once; their sockets lose their marking.",
        testable: true,
    },
    Rule {
        id: "CLO-5",
        summary: "Closing completes every pending request of the handle with ERROR_OPERATION_ABORTED (995, AMB-1).",
        testable: true,
    },
    Rule {
        id: "CLO-6",
        summary: "A Remove or Cancel still running when the handle closes ends with 995. Not testable: the simulator runs each call atomically, so no call is ever in progress while another closes the handle.",
        testable: false,
    },
    Rule {
        id: "CLO-7",
        summary: "Clients tracked through the closed handle follow AMB-3.",
        testable: true,
    },
    Rule {
        id: "CLO-8",
        summary: "After a successful close the value is dead: every later call with it, a second close included, gives 6.",
        testable: true,
    },
    // QOSAddSocketToFlow (ADD)
    Rule {
        id: "ADD-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "ADD-2",
        summary: "A NULL FlowId pointer gives 87.",
        testable: true,
    },
    Rule {
        id: "ADD-3",
        summary: "A destination of the wrong IP family for the socket (an AF_INET sockaddr for an AF_INET6 socket, or an IPv4-mapped IPv6 address) gives 87.",
        testable: true,
    },
    Rule {
        id: "ADD-4",
        summary: "An unconnected socket without DestAddr gives 87 (AMB-5).",
        testable: true,
    },
    Rule {
        id: "ADD-5",
        summary: "A connected socket with a DestAddr other than its peer (address or port) gives 87 (AMB-5).",
        testable: true,
    },
    Rule {
        id: "ADD-6",
        summary: "A DestAddr without a port (or with an unspecified address) gives 87.",
        testable: true,
    },
    Rule {
        id: "ADD-7",
        summary: "A connected socket with DestAddr NULL makes a flow toward the connected peer.",
        testable: true,
    },
    Rule {
        id: "ADD-8",
        summary: "*FlowId 0 and every check passing gives TRUE and a new, non-zero flow id.",
        testable: true,
    },
    Rule {
        id: "ADD-9",
        summary: "A non-zero *FlowId joins that flow; only a non-adaptive flow can be joined and only with QOS_NON_ADAPTIVE_FLOW; the traffic type argument is ignored and *FlowId stays.",
        testable: true,
    },
    Rule {
        id: "ADD-10",
        summary: "An adaptive flow toward an on-link host without an LLTD QoS responder gives ERROR_NOT_SUPPORTED (50); toward off-link hosts the add succeeds (AMB-8).",
        testable: true,
    },
    Rule {
        id: "ADD-11",
        summary: "An adaptive flow whose peer address cannot be resolved gives ERROR_BAD_NET_NAME (67).",
        testable: true,
    },
    Rule {
        id: "ADD-12",
        summary: "An adaptive flow whose peer refuses qWAVE gives ERROR_CONNECTION_REFUSED (1225).",
        testable: true,
    },
    Rule {
        id: "ADD-13",
        summary: "A destination no route reaches gives ERROR_HOST_UNREACHABLE (1232); a socket bound to an interface's address routes by that interface.",
        testable: true,
    },
    Rule {
        id: "ADD-14",
        summary: "Resource and device failures give 8, 1450, 1117, 1164 or 57 (adapter hardware error).",
        testable: true,
    },
    Rule {
        id: "ADD-15",
        summary: "A non-adaptive flow gathers no path data: fundamentals queries and every notification are refused on it (AMB-17).",
        testable: true,
    },
    Rule {
        id: "ADD-16",
        summary: "The add alone does not prioritise an adaptive flow; it needs an accepted rate first (AMB-9).",
        testable: true,
    },
    Rule {
        id: "ADD-17",
        summary: "Only a non-adaptive flow can hold more than one socket.",
        testable: true,
    },
    Rule {
        id: "ADD-18",
        summary: "The traffic type is a request: policy decides the DSCP that is applied and may demand a declared rate before any marking.",
        testable: true,
    },
    Rule {
        id: "ADD-19",
        summary: "A traffic type outside 0..5, or any flag bit other than QOS_NON_ADAPTIVE_FLOW, gives 87.",
        testable: true,
    },
    Rule {
        id: "ADD-20",
        summary: "Flow ids belong to their process and handle (GEN-7): another handle's or process's flow cannot be joined.",
        testable: true,
    },
    // QOSRemoveSocketFromFlow (REM)
    Rule {
        id: "REM-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "REM-2",
        summary: "A FlowId that is not a live flow of this handle gives ERROR_NOT_FOUND (1168).",
        testable: true,
    },
    Rule {
        id: "REM-3",
        summary: "Socket 0 destroys the whole flow, whatever sockets it holds.",
        testable: true,
    },
    Rule {
        id: "REM-4",
        summary: "A given socket leaves just that flow; if it was the flow's only socket the flow is destroyed.",
        testable: true,
    },
    Rule {
        id: "REM-5",
        summary: "A destroyed flow's id is dead (later calls give 1168) and its sockets are no longer marked.",
        testable: true,
    },
    Rule {
        id: "REM-6",
        summary: "A Remove still running when its handle closes ends with 995. Not testable: the simulator runs each call atomically, so a Remove is never in progress during a close.",
        testable: false,
    },
    Rule {
        id: "REM-7",
        summary: "Other documented failures (8, 1450, 1117, 1164, 1232) come from the fault plan.",
        testable: true,
    },
    Rule {
        id: "REM-8",
        summary: "A socket that is not in the flow gives 1168 (AMB-10); non-zero Flags give 87.",
        testable: true,
    },
    Rule {
        id: "REM-9",
        summary: "Pending requests of a destroyed flow complete with 995 (AMB-11).",
        testable: true,
    },
    // QOSSetFlow (SET)
    Rule {
        id: "SET-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "SET-2",
        summary: "An unknown flow gives 1168; FlowId 0 gives 87 (AMB-12).",
        testable: true,
    },
    Rule {
        id: "SET-3",
        summary: "Size must be exactly the operation's buffer size (4, 16, 4) and Buffer non-NULL, otherwise 87.",
        testable: true,
    },
    Rule {
        id: "SET-4",
        summary: "An Operation outside 0..2, or non-zero Flags, gives 87.",
        testable: true,
    },
    Rule {
        id: "SET-5",
        summary: "QOSSetTrafficType changes the flow's class and drops a custom DSCP value.",
        testable: true,
    },
    Rule {
        id: "SET-6",
        summary: "QOSSetOutgoingRate records the flow's rate contract: shaping, and admission control for adaptive flows.",
        testable: true,
    },
    Rule {
        id: "SET-6a",
        summary: "Bandwidth is bits/s at the IP layer, headers included; stored and reported unchanged, and compared with AvailableBandwidth (no layer-3 overhead) after QOS_SUBTRACT_OVERHEAD.",
        testable: true,
    },
    Rule {
        id: "SET-6b",
        summary: "Bandwidth 0 ends shaping and marking of the flow.",
        testable: true,
    },
    Rule {
        id: "SET-6c",
        summary: "Bandwidth 0xFFFFFFFF (QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH) asks for a small default grant (SIM-4).",
        testable: true,
    },
    Rule {
        id: "SET-6d",
        summary: "ShapingBehavior selects how the rate is enforced; Reason is informational and never checked.",
        testable: true,
    },
    Rule {
        id: "SET-6e",
        summary: "An adaptive flow asking more than the path can carry gives ERROR_NETWORK_BUSY (54) and stays unmarked.",
        testable: true,
    },
    Rule {
        id: "SET-6f",
        summary: "Without earlier client tracking, the first rate on an adaptive flow may give 54 while the path is still being measured.",
        testable: true,
    },
    Rule {
        id: "SET-7",
        summary: "QOSSetOutgoingDSCPValue gives a non-adaptive flow an explicit DSCP value, within the limits of SET-7a..7f.",
        testable: true,
    },
    Rule {
        id: "SET-7a",
        summary: "A caller outside Administrators / Network Configuration Operators gets ERROR_ACCESS_DENIED (5).",
        testable: true,
    },
    Rule {
        id: "SET-7b",
        summary: "Only a non-adaptive flow accepts a DSCP value (87 otherwise, AMB-13).",
        testable: true,
    },
    Rule {
        id: "SET-7c",
        summary: "A DSCP value above 63 gives 87.",
        testable: true,
    },
    Rule {
        id: "SET-7d",
        summary: "An adaptive flow on the machine that asks for prioritisation overrides the custom DSCP.",
        testable: true,
    },
    Rule {
        id: "SET-7e",
        summary: "On Windows Vista the operation does not exist and gives 87.",
        testable: true,
    },
    Rule {
        id: "SET-7f",
        summary: "Policy forbidding the operation gives ERROR_ACCESS_DISABLED_BY_POLICY (1260).",
        testable: true,
    },
    Rule {
        id: "SET-8",
        summary: "QOSSetTrafficType and QOSSetOutgoingRate need no admin rights.",
        testable: true,
    },
    Rule {
        id: "SET-9",
        summary: "Policy blocking experiments toward the destination gives 1260.",
        testable: true,
    },
    Rule {
        id: "SET-10",
        summary: "Network information that cannot be obtained (e.g. estimates toward an off-link host) gives 50.",
        testable: true,
    },
    Rule {
        id: "SET-11",
        summary: "Not enough data yet gives ERROR_RETRY (1237), a transient failure: a rate toward a tracked client whose experiments have not completed.",
        testable: true,
    },
    Rule {
        id: "SET-12",
        summary: "qWAVE starved of CPU gives ERROR_BUSY (170).",
        testable: true,
    },
    Rule {
        id: "SET-13",
        summary: "A failed connection with the remote host gives ERROR_UNEXP_NET_ERR (59); an unreachable host gives 1232.",
        testable: true,
    },
    Rule {
        id: "SET-14",
        summary: "Resource and device failures give 8, 1450, 1117, 1164 or 57.",
        testable: true,
    },
    Rule {
        id: "SET-15",
        summary: "With an OVERLAPPED the request returns FALSE + 997 and completes later; without one it is synchronous.",
        testable: true,
    },
    Rule {
        id: "SET-16",
        summary: "Only the owning process can change a flow.",
        testable: true,
    },
    // QOSQueryFlow (QRY)
    Rule {
        id: "QRY-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "QRY-2",
        summary: "An unknown flow gives 1168; FlowId 0 gives 87 (AMB-12).",
        testable: true,
    },
    Rule {
        id: "QRY-3",
        summary: "*Size below the operation's structure size gives ERROR_INSUFFICIENT_BUFFER (122) and writes the required size.",
        testable: true,
    },
    Rule {
        id: "QRY-4",
        summary: "Success gives TRUE, writes the data and sets *Size to the bytes written.",
        testable: true,
    },
    Rule {
        id: "QRY-5",
        summary: "A NULL Size pointer gives 87.",
        testable: true,
    },
    Rule {
        id: "QRY-6",
        summary: "QOS_QUERYFLOW_FRESH (fundamentals only) insists on a new measurement and may give 1237; it is ignored for another process's flow.",
        testable: true,
    },
    Rule {
        id: "QRY-7",
        summary: "Fundamentals on a non-adaptive flow give 50 (AMB-17).",
        testable: true,
    },
    Rule {
        id: "QRY-8",
        summary: "Fundamentals on a path qWAVE cannot measure give 50; the flow keeps its marking and shaping.",
        testable: true,
    },
    Rule {
        id: "QRY-9",
        summary: "Fundamentals before estimates exist give ERROR_NO_DATA (232); results may also arrive with some *Set flags FALSE.",
        testable: true,
    },
    Rule {
        id: "QRY-10",
        summary: "Each fundamentals value counts only when its *Set flag is TRUE; bandwidths in bits/s without layer-3 overhead, RTT in microseconds.",
        testable: true,
    },
    Rule {
        id: "QRY-11",
        summary: "PacketPriority reports the markings actually applied, which may change over time.",
        testable: true,
    },
    Rule {
        id: "QRY-12",
        summary: "OutgoingRate reports the bandwidth of the flow's rate contract.",
        testable: true,
    },
    Rule {
        id: "QRY-13",
        summary: "A request that timed out before enough information was collected gives ERROR_TIMEOUT (1460).",
        testable: true,
    },
    Rule {
        id: "QRY-14",
        summary: "Other documented failures: 1260, 1232, 170, 1237, 8, 1450, 1117, 1164, 57.",
        testable: true,
    },
    Rule {
        id: "QRY-15",
        summary: "With an OVERLAPPED the query returns FALSE + 997 and completes later.",
        testable: true,
    },
    Rule {
        id: "QRY-16",
        summary: "Another process's flow can be queried; FRESH is ignored for it.",
        testable: true,
    },
    // QOSNotifyFlow (NOT)
    Rule {
        id: "NOT-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "NOT-2",
        summary: "An unknown flow gives 1168; FlowId 0 gives 87 (AMB-12).",
        testable: true,
    },
    Rule {
        id: "NOT-3",
        summary: "Congested and Uncongested take no Size and no Buffer; passing either gives 87.",
        testable: true,
    },
    Rule {
        id: "NOT-4",
        summary: "Congested fires when the path congests, Uncongested when it is not congested; either may fire at once.",
        testable: true,
    },
    Rule {
        id: "NOT-5",
        summary: "Available takes the flow's total target bandwidth (UINT64, Size 8) and fires when the path can carry it; no notification fires before the path's estimate is complete.",
        testable: true,
    },
    Rule {
        id: "NOT-6",
        summary: "An Available target not above the flow's current bandwidth gives 87 (AMB-19).",
        testable: true,
    },
    Rule {
        id: "NOT-7",
        summary: "*Size too small for the operation's data gives 122 with the required size.",
        testable: true,
    },
    Rule {
        id: "NOT-8",
        summary: "The same operation already pending on the flow gives ERROR_ALREADY_EXISTS (183); different operations may be pending together.",
        testable: true,
    },
    Rule {
        id: "NOT-9",
        summary: "Every operation on a non-adaptive flow gives 50 (AMB-17).",
        testable: true,
    },
    Rule {
        id: "NOT-10",
        summary: "A path qWAVE cannot measure gives 50.",
        testable: true,
    },
    Rule {
        id: "NOT-11",
        summary: "Other documented failures: 1260, 1232, 59, 8, 1450, 1117, 1164, 57.",
        testable: true,
    },
    Rule {
        id: "NOT-12",
        summary: "With an OVERLAPPED the request returns FALSE + 997 and completes when its condition holds; without one the call blocks until then.",
        testable: true,
    },
    Rule {
        id: "NOT-13",
        summary: "A notification fires once; the next event needs a new request.",
        testable: true,
    },
    Rule {
        id: "NOT-14",
        summary: "QOSCancel, closing the handle or destroying the flow complete the request with 995.",
        testable: true,
    },
    // QOSCancel (CAN)
    Rule {
        id: "CAN-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "CAN-2",
        summary: "A NULL OVERLAPPED gives 87.",
        testable: true,
    },
    Rule {
        id: "CAN-3",
        summary: "Success means cancellation started: TRUE, and the cancelled request completes with 995 through its usual channel.",
        testable: true,
    },
    Rule {
        id: "CAN-4",
        summary: "Only requests issued in the same process, on the same handle, can be cancelled.",
        testable: true,
    },
    Rule {
        id: "CAN-5",
        summary: "A Cancel still running when the handle closes ends with 995. Not testable: the simulator runs each call atomically, so a Cancel is never in progress during a close.",
        testable: false,
    },
    Rule {
        id: "CAN-6",
        summary: "Other documented failures (8, 1450, 1117, 1164, 57) come from the fault plan.",
        testable: true,
    },
    Rule {
        id: "CAN-7",
        summary: "Pending Set, Query and Notify requests of the handle can be cancelled.",
        testable: true,
    },
    // QOSEnumerateFlows (ENU)
    Rule {
        id: "ENU-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "ENU-2",
        summary: "A caller without admin rights gets 5.",
        testable: true,
    },
    Rule {
        id: "ENU-3",
        summary: "Every live flow of the system is listed, other processes' included.",
        testable: true,
    },
    Rule {
        id: "ENU-4",
        summary: "*Size below 4 bytes per flow gives 122 with the bytes needed.",
        testable: true,
    },
    Rule {
        id: "ENU-5",
        summary: "Success gives TRUE, an array of flow ids and *Size = bytes written.",
        testable: true,
    },
    Rule {
        id: "ENU-6",
        summary: "Callers ask for the size, then fetch; the second call can give 122 again if flows appeared in between.",
        testable: true,
    },
    Rule {
        id: "ENU-7",
        summary: "Listed flows of other processes can be queried but not changed.",
        testable: true,
    },
    Rule {
        id: "ENU-8",
        summary: "Size NULL, or Buffer NULL with *Size > 0, gives 87 (AMB-21).",
        testable: true,
    },
    Rule {
        id: "ENU-9",
        summary: "No flows at all: see AMB-22.",
        testable: true,
    },
    Rule {
        id: "ENU-10",
        summary: "Other documented failures (8, 1450, 1117, 1164) come from the fault plan.",
        testable: true,
    },
    // QOSStartTrackingClient (STA)
    Rule {
        id: "STA-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "STA-2",
        summary: "A NULL DestAddr, an unknown family or an unspecified address gives 87.",
        testable: true,
    },
    Rule {
        id: "STA-3",
        summary: "A client is its family and IP address; the port is ignored.",
        testable: true,
    },
    Rule {
        id: "STA-4",
        summary: "Success starts measuring the path to the client, so a later rate request finds estimates ready.",
        testable: true,
    },
    Rule {
        id: "STA-5",
        summary: "Tracking may start as soon as a client appears and run for long: it holds no bandwidth and leaves the path as it was.",
        testable: true,
    },
    Rule {
        id: "STA-6",
        summary: "A client without an LLTD QoS responder, off-link or on loopback gives 50.",
        testable: true,
    },
    Rule {
        id: "STA-7",
        summary: "Failed address resolution for the client gives 67.",
        testable: true,
    },
    Rule {
        id: "STA-8",
        summary: "qWAVE cannot talk to the peer (no qWAVE sink, firewall) gives 1232.",
        testable: true,
    },
    Rule {
        id: "STA-9",
        summary: "Other documented failures (8, 1450, 1117, 1164, 57) come from the fault plan.",
        testable: true,
    },
    Rule {
        id: "STA-10",
        summary: "Tracking does not survive sleep; it must be restarted on a new handle.",
        testable: true,
    },
    Rule {
        id: "STA-11",
        summary: "Tracking an already tracked client: see AMB-23.",
        testable: true,
    },
    // QOSStopTrackingClient (STO)
    Rule {
        id: "STO-1",
        summary: "A bad handle gives 6.",
        testable: true,
    },
    Rule {
        id: "STO-2",
        summary: "A NULL or unusable DestAddr gives 87.",
        testable: true,
    },
    Rule {
        id: "STO-3",
        summary: "The client is its family and IP; the port is ignored.",
        testable: true,
    },
    Rule {
        id: "STO-4",
        summary: "Only a client tracked earlier, through any handle of the process (a lingering one after close included), can be stopped; otherwise 1168 (AMB-24).",
        testable: true,
    },
    Rule {
        id: "STO-5",
        summary: "Flows toward the client are not affected.",
        testable: true,
    },
    Rule {
        id: "STO-6",
        summary: "Other documented failures (8, 1450, 1117, 1164, 57) come from the fault plan.",
        testable: true,
    },
    Rule {
        id: "STO-7",
        summary: "Flags is reserved but not required to be 0: it is ignored.",
        testable: true,
    },
    // Traffic types and marking (TT)
    Rule {
        id: "TT-1",
        summary: "802.1p tags only for adaptive flows toward on-link peers whose path is measured to keep them; otherwise DSCP only.",
        testable: true,
    },
    Rule {
        id: "TT-2",
        summary: "Off-link destinations get DSCP only, whatever the bandwidth.",
        testable: true,
    },
    Rule {
        id: "TT-3",
        summary: "The DSCP table is a default: a policy DSCP replaces it, and QOSQueryPacketPriority shows what really applies.",
        testable: true,
    },
    Rule {
        id: "TT-4",
        summary: "QOSSetOutgoingDSCPValue replaces a non-adaptive flow's DSCP; QOSSetTrafficType brings back the table value.",
        testable: true,
    },
    Rule {
        id: "TT-5",
        summary: "Traffic type values outside 0..5 are undefined and give 87 wherever they are passed.",
        testable: true,
    },
    // Real-world observations (RW)
    Rule {
        id: "RW-1",
        summary: "Close with NULL or a bogus handle gives 6 on real Windows.",
        testable: true,
    },
    Rule {
        id: "RW-2",
        summary: "Create rejects every version except 1.0 with 87, and a NULL out-pointer with 87 even when Version is garbage.",
        testable: true,
    },
    Rule {
        id: "RW-3",
        summary: "An AF_INET destination for a dual-stack AF_INET6 UDP socket gives 87 (Mumble).",
        testable: true,
    },
    Rule {
        id: "RW-4",
        summary: "IPv4-mapped destinations fail; connecting to the mapped address, adding with DestAddr NULL and then disconnecting works, and the flow survives (Sunshine).",
        testable: true,
    },
    Rule {
        id: "RW-5",
        summary: "No admin rights needed to create a handle, add or remove a socket; only the DSCP operation needs them, and clients ignore its failure.",
        testable: true,
    },
    Rule {
        id: "RW-6",
        summary: "On Vista the DSCP operation gives 87.",
        testable: true,
    },
    Rule {
        id: "RW-7",
        summary: "qwave.dll is missing on some Windows Server editions; clients delay-load it. Not testable: DLL loading is outside an in-process model of the API.",
        testable: false,
    },
    Rule {
        id: "RW-8",
        summary: "Murmur adds one unconnected UDP socket with an explicit destination, sends, and destroys the flow for every datagram; the socket can be added again right away.",
        testable: true,
    },
    Rule {
        id: "RW-9",
        summary: "Some clients pass an all-zero sockaddr for unconnected UDP: 87 by default, accepted only with the lenient_zero_dest setting (AMB-26).",
        testable: true,
    },
    Rule {
        id: "RW-10",
        summary: "Mumble skips qWAVE for loopback destinations; loopback flows are never marked anyway (AMB-27).",
        testable: true,
    },
    Rule {
        id: "RW-11",
        summary: "Destroying a single-socket flow works both with Socket 0 and with the socket itself.",
        testable: true,
    },
    Rule {
        id: "RW-12",
        summary: "The official sample polls fundamentals once a second through 232 and partial results, and gives up on 50.",
        testable: true,
    },
    Rule {
        id: "RW-13",
        summary: "JackTrip turned qWAVE marking off because of garbled audio on some networks. Not testable: an end-to-end network effect; the API only shows that marking is on.",
        testable: false,
    },
    Rule {
        id: "RW-14",
        summary: "Wine's qwave is a stub that always fails. Not testable: describes Wine, not the Windows behaviour the simulator models.",
        testable: false,
    },
    Rule {
        id: "RW-15",
        summary: "The QWAVE service and QWAVEdrv driver are demand-start. Not testable: service configuration; its API consequence is CRE-6.",
        testable: false,
    },
    // Ambiguities and our choices (AMB)
    Rule {
        id: "AMB-1",
        summary: "Code of requests aborted by a close. Choice: ERROR_OPERATION_ABORTED (995); no ERROR_ABORTED constant exists.",
        testable: true,
    },
    Rule {
        id: "AMB-2",
        summary: "Invalid handle in QOSCloseHandle: 6 or 87. Choice: 6, as for every function.",
        testable: true,
    },
    Rule {
        id: "AMB-3",
        summary: "Does closing a handle stop client tracking. Choice: tracking lingers for settings.tracking_linger_ms (default 0: stops at once); QOSStopTrackingClient on any handle ends a lingering entry.",
        testable: true,
    },
    Rule {
        id: "AMB-4",
        summary: "Code for v4 or v4-mapped destinations on a dual-stack socket. Choice: 87 for both; connected socket with DestAddr NULL succeeds.",
        testable: true,
    },
    Rule {
        id: "AMB-5",
        summary: "NULL DestAddr on an unconnected socket, or DestAddr different from the peer. Choice: 87.",
        testable: true,
    },
    Rule {
        id: "AMB-6",
        summary: "Undocumented argument faults (reserved flags, unknown bits, enums out of range, NULL pointers, wrong Set size). Choice: 87; too small *Size in Query, Notify, Enumerate gives 122; Reason not checked; QOSStopTrackingClient Flags ignored.",
        testable: true,
    },
    Rule {
        id: "AMB-7",
        summary: "Joining a flow with an unknown id, an adaptive target or without the flag. Choice: unknown id 1168; adaptive target or missing QOS_NON_ADAPTIVE_FLOW 87.",
        testable: true,
    },
    Rule {
        id: "AMB-8",
        summary: "Adaptive add toward an unmeasurable destination. Choice: off-link add succeeds and estimation calls give 50 later; on-link without LLTD responder the add gives 50.",
        testable: true,
    },
    Rule {
        id: "AMB-9",
        summary: "When marking starts. Choice: non-adaptive at a successful add; adaptive only after an accepted rate above 0.",
        testable: true,
    },
    Rule {
        id: "AMB-10",
        summary: "Remove with a socket that is not in the flow. Choice: 1168.",
        testable: true,
    },
    Rule {
        id: "AMB-11",
        summary: "Pending requests of a flow destroyed by Remove. Choice: complete with 995.",
        testable: true,
    },
    Rule {
        id: "AMB-12",
        summary: "Invalid FlowId in Set, Query, Notify. Choice: 0 gives 87; an unknown non-zero id gives 1168.",
        testable: true,
    },
    Rule {
        id: "AMB-13",
        summary: "DSCP operation on an adaptive flow. Choice: 87.",
        testable: true,
    },
    Rule {
        id: "AMB-14",
        summary: "Do traffic type and rate operations need admin. Choice: never; 5 only from the DSCP operation and Enumerate.",
        testable: true,
    },
    Rule {
        id: "AMB-15",
        summary: "Query with too small *Size: 122 or 87. Choice: 122 with the required size.",
        testable: true,
    },
    Rule {
        id: "AMB-16",
        summary: "FRESH with other query operations, unknown flag bits. Choice: FRESH ignored for other operations; unknown bits 87.",
        testable: true,
    },
    Rule {
        id: "AMB-17",
        summary: "Code for fundamentals or notifications on a non-adaptive flow. Choice: 50.",
        testable: true,
    },
    Rule {
        id: "AMB-18",
        summary: "OutgoingRate before any rate was set. Choice: TRUE with 0.",
        testable: true,
    },
    Rule {
        id: "AMB-19",
        summary: "Available target not above the current bandwidth. Choice: 87.",
        testable: true,
    },
    Rule {
        id: "AMB-20",
        summary: "Cancel with an OVERLAPPED matching no pending request. Choice: NULL 87; no match 1168 (settings.unmatched_cancel can make it 87).",
        testable: true,
    },
    Rule {
        id: "AMB-21",
        summary: "What triggers 87 in Enumerate. Choice: Size NULL, or Buffer NULL with *Size > 0.",
        testable: true,
    },
    Rule {
        id: "AMB-22",
        summary: "Enumerate with no flows. Choice: TRUE, *Size 0, even with a NULL Buffer.",
        testable: true,
    },
    Rule {
        id: "AMB-23",
        summary: "Starting to track the same client twice. Choice: TRUE again, one entry per family and IP per handle.",
        testable: true,
    },
    Rule {
        id: "AMB-24",
        summary: "Stopping a client never tracked. Choice: 1168.",
        testable: true,
    },
    Rule {
        id: "AMB-25",
        summary: "Marking under QOSShapeOnly. Choice: best effort (no marking); settings.shape_only_marks keeps the conformant marking; the trace records both.",
        testable: true,
    },
    Rule {
        id: "AMB-26",
        summary: "Zero address and port for an unconnected UDP socket. Choice: 87; settings.lenient_zero_dest accepts it as a wildcard non-adaptive flow.",
        testable: true,
    },
    Rule {
        id: "AMB-27",
        summary: "Loopback destinations. Choice: the add succeeds, the flow is never marked or shaped, estimation calls give 50.",
        testable: true,
    },
    Rule {
        id: "AMB-28",
        summary: "Create with the QWAVE service disabled. Choice: 1068; a blocked firewall exception gives 4309.",
        testable: true,
    },
    Rule {
        id: "AMB-29",
        summary: "Flow id allocation. Choice: one system-wide counter from 1, never reusing an id within a run.",
        testable: true,
    },
    Rule {
        id: "AMB-30",
        summary: "The same socket in two live flows. Choice: allowed; settings.reject_socket_in_two_flows makes the second add give 183.",
        testable: true,
    },
    Rule {
        id: "AMB-31",
        summary: "A blocking notification whose condition never comes. Choice: wait on the virtual clock; after settings.deadlock_after_ms record a deadlock and give 1460.",
        testable: true,
    },
    Rule {
        id: "AMB-32",
        summary: "An overlapped request that can be answered at once. Choice: FALSE + 997 and the completion on the next step; settings.immediate_completion returns the result at once for Notify, Set and non-FRESH Query.",
        testable: true,
    },
    Rule {
        id: "AMB-33",
        summary: "Order of checks when several errors apply. Choice: handle, arguments (sizes included), flow lookup, flow kind, privilege, policy, path, data readiness.",
        testable: true,
    },
    Rule {
        id: "AMB-34",
        summary: "PacketPriority values. Choice: conformant DSCP from the table or custom value, conformant 802.1p only under TT-1, non-conformant values 0.",
        testable: true,
    },
    Rule {
        id: "AMB-35",
        summary: "Does a flow survive a later connect or disconnect of its socket. Choice: yes.",
        testable: true,
    },
    Rule {
        id: "AMB-36",
        summary: "232, 1237 or partial data while estimates warm up. Choice: 232 for settings.warmup_ms, then AvailableBandwidthSet FALSE for settings.partial_ms, then full; FRESH during warm-up gives 1237; settings.warmup = Queries counts fundamentals queries instead.",
        testable: true,
    },
    Rule {
        id: "AMB-37",
        summary: "A flow's socket closed with closesocket. Choice: the flow lives on; Remove with 0 or with the closed socket succeeds.",
        testable: true,
    },
    Rule {
        id: "AMB-38",
        summary: "A member socket added again to its non-adaptive flow with another destination. Choice: TRUE, same id, the destination is remembered.",
        testable: true,
    },
    Rule {
        id: "AMB-39",
        summary: "Remove with FlowId 0. Choice: 87.",
        testable: true,
    },
    Rule {
        id: "AMB-40",
        summary: "Calls during a sleep transition. Choice: with settings.power_transition_errors (default off) they give 782, or 783 after a second Sleep before the Resume; after resume GEN-9 applies.",
        testable: true,
    },
    Rule {
        id: "AMB-41",
        summary: "One unconnected UDP socket in several live flows toward different destinations. Choice: allowed; removing one leaves the others.",
        testable: true,
    },
    Rule {
        id: "AMB-42",
        summary: "Several handles holding flows on the same socket. Choice: allowed; flows and pending requests belong to their handle, and closing one handle leaves the others untouched.",
        testable: true,
    },
    // SIM rules
    Rule {
        id: "SIM-1",
        summary: "A SOCKET value that is not an open socket (never created, or closed) gives 87 from QOSAddSocketToFlow.",
        testable: true,
    },
    Rule {
        id: "SIM-2",
        summary: "An on-link host that is not listed as a peer in the world has no LLTD responder.",
        testable: true,
    },
    Rule {
        id: "SIM-3",
        summary: "Reusing an OVERLAPPED that is still pending on the same handle gives 87 from Set, Query and Notify.",
        testable: true,
    },
    Rule {
        id: "SIM-4",
        summary: "QOS_OUTGOING_DEFAULT_MINIMUM_BANDWIDTH is granted as 64 kb/s.",
        testable: true,
    },
    Rule {
        id: "SIM-5",
        summary: "A rate change refused with ERROR_NETWORK_BUSY withdraws the flow's earlier admission and marking; the earlier contract stays recorded.",
        testable: true,
    },
    Rule {
        id: "SIM-6",
        summary: "A completed QOSNotifyAvailable hands nothing back: the caller's Buffer keeps its target and *Size stays as passed.",
        testable: true,
    },
];

/// The rule with this id, if listed.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The prefix a test proving `id` starts with: `ADD-3` -> `add_3_`, `SET-6b` -> `set_6b_`.
pub fn test_prefix(id: &str) -> String {
    let mut p = id.to_ascii_lowercase().replace('-', "_");
    p.push('_');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "{} listed twice", r.id);
            let (prefix, num) = r.id.split_once('-').expect("PREFIX-n");
            assert!(
                !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_uppercase()),
                "{}",
                r.id
            );
            let digits = num.trim_end_matches(|c: char| c.is_ascii_lowercase());
            assert!(
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
                "{}",
                r.id
            );
            assert!(!r.summary.is_empty(), "{} has no summary", r.id);
            assert_eq!(r.summary.contains("Not testable:"), !r.testable, "{}", r.id);
        }
    }

    #[test]
    fn test_prefix_is_snake_case_id() {
        assert_eq!(test_prefix("ADD-3"), "add_3_");
        assert_eq!(test_prefix("SET-6b"), "set_6b_");
        assert_eq!(rule("AMB-12").map(|r| r.testable), Some(true));
        assert_eq!(rule("GEN-13").map(|r| r.testable), Some(false));
        assert!(rule("XYZ-1").is_none());
    }
}
