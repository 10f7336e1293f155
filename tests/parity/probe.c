/*
 * qWAVE probe in C: the calls of tests/parity/probe.rs, one line per answer, the same lines.
 * Built with mingw-w64 against its own qos2.h and run under Wine through `qwave-sim wine`
 * (tests/parity/wine.rs), where its lines are compared with the Rust probe's and with the
 * in-process sim's.
 *
 *   x86_64-w64-mingw32-gcc -O1 -o probe.exe probe.c -lqwave -lws2_32
 *   probe.exe calls|faults|garbage|create
 */
#define _WIN32_WINNT 0x0601
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <string.h>

/* mingw-w64's qos2.h uses these before (or without) defining them. */
typedef UINT32 QOS_FLOWID, *PQOS_FLOWID;
#define QOS_NON_ADAPTIVE_FLOW 0x00000002
#include <qos2.h>

static char line[512];
static int have_line;

static void flush_line(void)
{
    if (have_line) {
        printf("%s\n", line);
        have_line = 0;
    }
}

/* `name: TRUE` or `name: FALSE <GetLastError()>`. */
static BOOL b(const char *name, BOOL ok)
{
    DWORD err = GetLastError();
    flush_line();
    if (ok)
        snprintf(line, sizeof line, "%s: TRUE", name);
    else
        snprintf(line, sizeof line, "%s: FALSE %lu", name, (unsigned long)err);
    have_line = 1;
    return ok;
}

static void raw(const char *text)
{
    flush_line();
    snprintf(line, sizeof line, "%s", text);
    have_line = 1;
}

static void x(const char *key, unsigned long long value)
{
    size_t n = strlen(line);
    snprintf(line + n, sizeof line - n, " %s=%llu", key, value);
}

static void xs(const char *key, const char *value)
{
    size_t n = strlen(line);
    snprintf(line + n, sizeof line - n, " %s=%s", key, value);
}

static SOCKADDR_IN v4(unsigned a, unsigned b_, unsigned c, unsigned d, unsigned short port)
{
    SOCKADDR_IN s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    s.sin_port = htons(port);
    s.sin_addr.s_addr = htonl((a << 24) | (b_ << 16) | (c << 8) | d);
    return s;
}

static SOCKET udp(void)
{
    return socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
}

static UINT32 add(const char *name, HANDLE qos, SOCKET s, const void *dest, int tt, DWORD flags)
{
    UINT32 flow = 0;
    if (b(name, QOSAddSocketToFlow(qos, s, (PSOCKADDR)dest, (QOS_TRAFFIC_TYPE)tt, flags, &flow)))
        x("flow", flow);
    return flow;
}

static void priority(const char *name, HANDLE qos, UINT32 flow, ULONG size)
{
    QOS_PACKET_PRIORITY p;
    ULONG n = size;
    BOOL ok;
    memset(&p, 0, sizeof p);
    ok = b(name, QOSQueryFlow(qos, flow, QOSQueryPacketPriority, &n, &p, 0, NULL));
    x("size", n);
    if (ok) {
        x("dscp", p.ConformantDSCPValue);
        x("nc_dscp", p.NonConformantDSCPValue);
        x("l2", p.ConformantL2Value);
    }
}

static BOOL fundamentals(const char *name, HANDLE qos, UINT32 flow, QOS_FLOW_FUNDAMENTALS *f)
{
    ULONG n = sizeof *f;
    memset(f, 0, sizeof *f);
    return b(name, QOSQueryFlow(qos, flow, QOSQueryFlowFundamentals, &n, f, 0, NULL));
}

static BOOL rate(const char *name, HANDLE qos, UINT32 flow, UINT64 bps, ULONG size, OVERLAPPED *ov)
{
    QOS_FLOWRATE_OUTGOING r;
    r.Bandwidth = bps;
    r.ShapingBehavior = QOSShapeAndMark;
    r.Reason = QOSFlowRateNotApplicable;
    return b(name, QOSSetFlow(qos, flow, QOSSetOutgoingRate, size, &r, 0, ov));
}

static void gor(const char *name, HANDLE qos, OVERLAPPED *ov, DWORD *bytes, BOOL wait)
{
    b(name, GetOverlappedResult(qos, ov, bytes, wait));
}

static void dequeue(HANDLE port, OVERLAPPED *ov)
{
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED *got = NULL;
    b("GetQueuedCompletionStatus", GetQueuedCompletionStatus(port, &bytes, &key, &got, INFINITE));
    x("bytes", bytes);
    x("key", key);
    xs("ov", got == ov ? "same" : "other");
}

static void wait_event(HANDLE e)
{
    char text[64];
    snprintf(text, sizeof text, "wait event: %lu", (unsigned long)WaitForSingleObject(e, INFINITE));
    raw(text);
}

static void calls(void)
{
    QOS_VERSION v10 = {1, 0}, v20 = {2, 0};
    HANDLE qos = NULL, other = NULL, q2 = NULL, port, e1, e2, e6;
    SOCKET s1, s2, s3;
    SOCKADDR_IN lltd = v4(192, 168, 1, 20, 5004), no_lltd = v4(192, 168, 1, 30, 5004);
    SOCKADDR_IN refusing = v4(192, 168, 1, 40, 5004), unreachable = v4(198, 51, 100, 7, 5004);
    SOCKADDR_IN offlink = v4(203, 0, 113, 5, 5004);
    SOCKADDR_IN6 lltd6;
    UINT32 adaptive, fixed, off, f;
    UINT64 bps, target;
    ULONG n;
    DWORD bytes = 7, dscp = 46;
    OVERLAPPED ov1, ov2, ov3, ov4, ov5, ov6;
    QOS_FLOW_FUNDAMENTALS fu;
    QOS_PACKET_PRIORITY p;

    memset(&lltd6, 0, sizeof lltd6);
    lltd6.sin6_family = AF_INET6;
    lltd6.sin6_port = htons(5004);
    lltd6.sin6_addr.s6_addr[0] = 0xfd;
    lltd6.sin6_addr.s6_addr[15] = 0x20;

    b("create version=NULL", QOSCreateHandle(NULL, &other));
    b("create out=NULL", QOSCreateHandle(&v10, NULL));
    b("create version=2.0", QOSCreateHandle(&v20, &other));
    b("create", QOSCreateHandle(&v10, &qos));
    b("close NULL", QOSCloseHandle(NULL));
    b("close garbage", QOSCloseHandle((HANDLE)0xBAD0));

    s1 = udp();
    s2 = udp();
    s3 = udp();
    b("add FlowId=NULL", QOSAddSocketToFlow(qos, s1, (PSOCKADDR)&lltd, QOSTrafficTypeVoice, 0, NULL));
    add("add unconnected DestAddr=NULL", qos, s1, NULL, QOSTrafficTypeVoice, 0);
    add("add v6 dest on v4 socket", qos, s1, &lltd6, QOSTrafficTypeVoice, 0);
    add("add traffic type 9", qos, s1, &lltd, 9, 0);
    add("add flags 0x4", qos, s1, &lltd, QOSTrafficTypeVoice, 4);
    add("add not a socket", qos, (SOCKET)0x7777, &lltd, QOSTrafficTypeVoice, 0);
    add("add bad handle", (HANDLE)0xBAD0, s1, &lltd, QOSTrafficTypeVoice, 0);
    adaptive = add("add LLTD peer adaptive", qos, s1, &lltd, QOSTrafficTypeVoice, 0);
    add("add no-LLTD peer adaptive", qos, s2, &no_lltd, QOSTrafficTypeVoice, 0);
    fixed = add("add no-LLTD peer non-adaptive", qos, s2, &no_lltd, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW);
    add("add unreachable non-adaptive", qos, s3, &unreachable, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW);
    add("add refusing peer adaptive", qos, s3, &refusing, QOSTrafficTypeVoice, 0);
    off = add("add off-link adaptive", qos, s3, &offlink, QOSTrafficTypeVoice, 0);

    priority("query priority", qos, fixed, 16);
    priority("query priority Size=8", qos, fixed, 8);
    b("query Size=NULL", QOSQueryFlow(qos, fixed, QOSQueryPacketPriority, NULL, NULL, 0, NULL));
    fundamentals("query fundamentals warming up", qos, adaptive, &fu);
    fundamentals("query fundamentals off-link", qos, off, &fu);
    priority("query unknown flow", qos, 999, 16);
    priority("query flow 0", qos, 0, 16);
    rate("set rate adaptive unmeasured", qos, adaptive, 1000000, 16, NULL);
    rate("set rate Size=8", qos, fixed, 64000, 8, NULL);
    rate("set rate non-adaptive", qos, fixed, 64000, 16, NULL);
    bps = 0;
    n = 8;
    if (b("query outgoing rate", QOSQueryFlow(qos, fixed, QOSQueryOutgoingRate, &n, &bps, 0, NULL)))
        x("bps", bps);
    b("set DSCP not admin", QOSSetFlow(qos, fixed, QOSSetOutgoingDSCPValue, 4, &dscp, 0, NULL));
    n = 0;
    b("enumerate Size=0", QOSEnumerateFlows(qos, &n, NULL));
    x("size", n);
    b("notify non-adaptive", QOSNotifyFlow(qos, fixed, QOSNotifyCongested, NULL, NULL, 0, NULL));
    n = 4;
    target = 1000000000ULL;
    b("notify available Size=4", QOSNotifyFlow(qos, adaptive, QOSNotifyAvailable, &n, &target, 0, NULL));
    x("size", n);

    /* An overlapped notification completed through an event. */
    e1 = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(&ov1, 0, sizeof ov1);
    ov1.hEvent = e1;
    b("notify uncongested overlapped", QOSNotifyFlow(qos, adaptive, QOSNotifyUncongested, NULL, NULL, 0, &ov1));
    wait_event(e1);
    gor("GetOverlappedResult", qos, &ov1, &bytes, FALSE);
    x("bytes", bytes);

    /* ... and through GetOverlappedResult: pending, cancelled, then 995. */
    e2 = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(&ov2, 0, sizeof ov2);
    ov2.hEvent = e2;
    b("notify congested overlapped", QOSNotifyFlow(qos, adaptive, QOSNotifyCongested, NULL, NULL, 0, &ov2));
    gor("GetOverlappedResult no wait", qos, &ov2, &bytes, FALSE);
    b("cancel", QOSCancel(qos, &ov2));
    gor("GetOverlappedResult wait", qos, &ov2, &bytes, TRUE);
    b("cancel again", QOSCancel(qos, &ov2));

    /* An overlapped query without an event, waited for on the handle. */
    memset(&ov3, 0, sizeof ov3);
    memset(&p, 0, sizeof p);
    n = 16;
    b("query priority overlapped", QOSQueryFlow(qos, fixed, QOSQueryPacketPriority, &n, &p, 0, &ov3));
    if (b("GetOverlappedResult wait", GetOverlappedResult(qos, &ov3, &bytes, TRUE))) {
        x("bytes", bytes);
        x("dscp", p.ConformantDSCPValue);
    }

    /* A completion port: a success with data, then a failure. */
    port = CreateIoCompletionPort(qos, NULL, 42, 0);
    raw(port ? "bind port: TRUE" : "bind port: FALSE");
    if (port) {
        memset(&ov4, 0, sizeof ov4);
        bps = 0;
        n = 8;
        b("query rate overlapped", QOSQueryFlow(qos, fixed, QOSQueryOutgoingRate, &n, &bps, 0, &ov4));
        dequeue(port, &ov4);
        x("bps", bps);
        memset(&ov5, 0, sizeof ov5);
        /* The estimate is complete by now (the notification above waited for it, NOT-5): a
           rate beyond the path's 80 Mb/s is refused (SET-6e). */
        rate("set rate adaptive overlapped", qos, adaptive, 500000000, 16, &ov5);
        dequeue(port, &ov5);
        CloseHandle(port);
    }

    /* Closing the handle aborts a pending request (995). */
    e6 = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(&ov6, 0, sizeof ov6);
    ov6.hEvent = e6;
    b("notify congested overlapped", QOSNotifyFlow(qos, adaptive, QOSNotifyCongested, NULL, NULL, 0, &ov6));
    b("close", QOSCloseHandle(qos));
    wait_event(e6);
    gor("GetOverlappedResult", qos, &ov6, &bytes, FALSE);
    b("close again", QOSCloseHandle(qos));
    add("add on closed handle", qos, s1, &lltd, QOSTrafficTypeVoice, 0);
    CloseHandle(e1);
    CloseHandle(e2);
    CloseHandle(e6);

    /* Tracking, a blocking notification, remove. */
    b("create", QOSCreateHandle(&v10, &q2));
    b("start tracking LLTD peer", QOSStartTrackingClient(q2, (PSOCKADDR)&lltd, 0));
    b("start tracking no-LLTD peer", QOSStartTrackingClient(q2, (PSOCKADDR)&no_lltd, 0));
    b("stop tracking never tracked", QOSStopTrackingClient(q2, (PSOCKADDR)&no_lltd, 0));
    b("stop tracking", QOSStopTrackingClient(q2, (PSOCKADDR)&lltd, 0));
    b("start tracking NULL", QOSStartTrackingClient(q2, NULL, 0));
    f = add("add LLTD peer adaptive", q2, s2, &lltd, QOSTrafficTypeVoice, 0);
    b("notify uncongested blocking", QOSNotifyFlow(q2, f, QOSNotifyUncongested, NULL, NULL, 0, NULL));
    b("remove socket 0", QOSRemoveSocketFromFlow(q2, 0, f, 0));
    b("remove again", QOSRemoveSocketFromFlow(q2, 0, f, 0));
    b("close", QOSCloseHandle(q2));
    closesocket(s1);
    closesocket(s2);
    closesocket(s3);
}

static void faults(void)
{
    QOS_VERSION v10 = {1, 0};
    HANDLE qos = NULL, q2 = NULL, e;
    SOCKET s1 = udp(), s2 = udp();
    SOCKADDR_IN lltd = v4(192, 168, 1, 20, 5004), no_lltd = v4(192, 168, 1, 30, 5004);
    UINT32 adaptive, fixed, f;
    OVERLAPPED ov;
    DWORD bytes = 0;
    ULONG n = 0;

    b("create", QOSCreateHandle(&v10, &qos));
    adaptive = add("add LLTD peer adaptive", qos, s1, &lltd, QOSTrafficTypeVoice, 0);
    fixed = add("add non-adaptive", qos, s2, &no_lltd, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW);
    /* Waits until the timeline's DeviceReset (5 s) aborts it. */
    e = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(&ov, 0, sizeof ov);
    ov.hEvent = e;
    b("notify congested overlapped", QOSNotifyFlow(qos, adaptive, QOSNotifyCongested, NULL, NULL, 0, &ov));
    wait_event(e);
    gor("GetOverlappedResult", qos, &ov, &bytes, FALSE);
    priority("query after reset", qos, fixed, 16);
    add("add after reset", qos, s2, &no_lltd, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW);
    rate("set after reset", qos, fixed, 64000, 16, NULL);
    b("enumerate after reset", QOSEnumerateFlows(qos, &n, NULL));
    b("close stale handle", QOSCloseHandle(qos));
    priority("query after close", qos, fixed, 16);
    b("create", QOSCreateHandle(&v10, &q2));
    f = add("add non-adaptive", q2, s2, &no_lltd, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW);
    priority("query priority", q2, f, 16);
    b("close", QOSCloseHandle(q2));
    CloseHandle(e);
    closesocket(s1);
    closesocket(s2);
}

/* Pointers the process cannot access (Wine only: the in-process sim would dereference them).
 * qwave.dll answers them as NULL ones, after the handle check. */
static void garbage(void)
{
    QOS_VERSION v10 = {1, 0};
    HANDLE qos = NULL, other = NULL;
    SOCKET s = udp();
    SOCKADDR_IN no_lltd = v4(192, 168, 1, 30, 5004);
    void *bad = (void *)(ULONG_PTR)0x10;
    ULONG n = 64;
    UINT32 flow = 0;
    b("create Version=garbage", QOSCreateHandle((PQOS_VERSION)bad, &other));
    b("create QOSHandle=garbage", QOSCreateHandle(&v10, (PHANDLE)bad));
    b("create", QOSCreateHandle(&v10, &qos));
    b("add FlowId=garbage", QOSAddSocketToFlow(qos, s, (PSOCKADDR)&no_lltd, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW, (PQOS_FLOWID)bad));
    b("add DestAddr=garbage", QOSAddSocketToFlow(qos, s, (PSOCKADDR)bad, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW, &flow));
    b("add bad handle FlowId=garbage", QOSAddSocketToFlow((HANDLE)0xBAD0, s, (PSOCKADDR)&no_lltd, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW, (PQOS_FLOWID)bad));
    add("add", qos, s, &no_lltd, QOSTrafficTypeVoice, QOS_NON_ADAPTIVE_FLOW);
    b("query Size=garbage", QOSQueryFlow(qos, 1, QOSQueryPacketPriority, (PULONG)bad, NULL, 0, NULL));
    b("query Buffer=garbage", QOSQueryFlow(qos, 1, QOSQueryPacketPriority, &n, bad, 0, NULL));
    b("enumerate Buffer=garbage", QOSEnumerateFlows(qos, &n, bad));
    b("notify Overlapped=garbage", QOSNotifyFlow(qos, 1, QOSNotifyCongested, NULL, NULL, 0, (LPOVERLAPPED)bad));
    b("set Buffer=garbage", QOSSetFlow(qos, 1, QOSSetTrafficType, 4, bad, 0, NULL));
    b("start tracking DestAddr=garbage", QOSStartTrackingClient(qos, (PSOCKADDR)bad, 0));
    b("close", QOSCloseHandle(qos));
    closesocket(s);
}

static void create_only(void)
{
    QOS_VERSION v10 = {1, 0};
    HANDLE qos = NULL;
    if (b("create", QOSCreateHandle(&v10, &qos)))
        b("close", QOSCloseHandle(qos));
}

int main(int argc, char **argv)
{
    WSADATA wsa;
    const char *mode = argc > 1 ? argv[1] : "calls";
    if (WSAStartup(0x0202, &wsa) != 0)
        return 2;
    if (!strcmp(mode, "calls"))
        calls();
    else if (!strcmp(mode, "faults"))
        faults();
    else if (!strcmp(mode, "garbage"))
        garbage();
    else
        create_only();
    flush_line();
    WSACleanup();
    return 0;
}
