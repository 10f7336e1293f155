#!/usr/bin/env python3
"""Writes the deterministic seed corpus of the `windows_sys_ops` target (fuzz/seeds/windows_sys_ops/).

The byte encoding is `qwave_sim::fuzz::windows_sys_bytes`'s: 8 bytes of seed, then per call one
byte choosing what to call (`% 26`; 0..=10 is a QOS function). A QOS call is a `Call<Sym>` drawn
by the `arbitrary` impls of `qwave_sim::fuzz` (sim/fuzz/arb_call.rs), the same as the `model_ops`
target's; the other calls take one byte or more per argument. Half the seeds start with a happy
path (a handle, a UDP socket, a voice flow, an overlapped query and notification) so mutations
start from live objects; the rest are random. Run from the repository root.

How `arbitrary` reads the bytes the happy path uses: `int_in_range(a..=b)` with fewer than 256
values takes one byte, `a + byte % (b - a + 1)`; `ratio(1, n)` is `int_in_range(1..=n) <= 1`,
so byte 1 reads as false (and 0 as true); `choose` reads an index like `int_in_range`.
"""
import os
import random

QOS = 0          # the call byte: a QOS function (0..=10 % 26)
NO = 1           # ratio(1, n) -> false
ISSUED_0 = [3, 0]                    # HandleArg::Issued(0)
CREATED_0 = [3, 0]                   # SocketArg::Created(0)
SEEN_0 = [3, 0]                      # FlowArg::Seen(0)
KNOWN_0 = [4, 0]                     # AddrArg::Known(0): 192.168.1.20:5004, the LLTD peer
CODE = lambda v: [0, v]              # a valid operation / traffic type code v
FLAGS_0 = [NO, 0]                    # flags: the first of two valid values, 0
FLAGS_ONLY_0 = [NO]                  # flags: the only valid value, 0 (`choose` of one reads nothing)

CREATE = [QOS, 0, NO, NO]                                             # QOSCreateHandle(&{1, 0}, &h)
SOCKET = [11, 0, 0, 0]                                                # socket(AF_INET, SOCK_DGRAM, 0)
ADD = [QOS, 3] + ISSUED_0 + CREATED_0 + KNOWN_0 + CODE(4) + FLAGS_0 + [2]  # QOSAddSocketToFlow(h0, s0, peer, Voice, 0 (adaptive), &0)
QUERY = [QOS, 12] + ISSUED_0 + SEEN_0 + CODE(0) + [NO, 0, 0, NO] + FLAGS_0 + [1, 0]  # QOSQueryFlow(h0, flow0, Fundamentals, &40, &buf, 0, &ov0)
NOTIFY = [QOS, 15] + ISSUED_0 + SEEN_0 + CODE(0) + [NO, NO] + FLAGS_ONLY_0 + [NO, 2]      # QOSNotifyFlow(h0, flow0, Congested, NULL, NULL, 0, &ov2)
ADVANCE = [23, 3]                                                     # advance 1 s
HAPPY = [0] * 8 + CREATE + SOCKET + ADD + QUERY + NOTIFY + ADVANCE

r = random.Random(0x5157)
out = "fuzz/seeds/windows_sys_ops"
os.makedirs(out, exist_ok=True)
for name in os.listdir(out):
    os.remove(os.path.join(out, name))
for i in range(40):
    n = r.choice([32, 64, 128, 256, 512, 1024])
    tail = bytes(r.getrandbits(8) for _ in range(n))
    data = bytes(HAPPY) + tail if i % 2 == 0 else tail
    with open(os.path.join(out, f"gen-{i:02}"), "wb") as f:
        f.write(data)
