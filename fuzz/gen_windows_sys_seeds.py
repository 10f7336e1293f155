#!/usr/bin/env python3
"""Writes the deterministic seed corpus of the `windows_sys_ops` target (fuzz/seeds/windows_sys_ops/).

The byte encoding is `qwave_sim::fuzz::windows_sys_bytes`'s: 8 bytes of seed, then per call one
byte choosing the function (`% 26`) and one or more bytes per argument. Half the seeds start
with a happy path (a handle, a UDP socket, a voice flow, an overlapped query and notification)
so mutations start from live objects; the rest are random. Run from the repository root.
"""
import os
import random

CREATE = [0, 2, 1]                                   # QOSCreateHandle(&1.0, &h)
SOCKET = [11, 0, 0, 0]                               # socket(AF_INET, SOCK_DGRAM, 0)
ADD = [2, 3, 0, 3, 0, 1, 0, 0, 0, 4, 0, 0, 1]        # QOSAddSocketToFlow(h, s, 192.168.1.20:5004, Voice, 0 (adaptive), &0)
QUERY = [5, 3, 0, 3, 0, 0, 0, 1, 0, 9, 1] + [0] * 16 + [0, 2, 1]   # QOSQueryFlow(h, f, Fundamentals, &40, &buf, 0, &ov)
NOTIFY = [6, 3, 0, 3, 0, 0, 0, 0, 0, 0, 2, 1]        # QOSNotifyFlow(h, f, Congested, NULL, NULL, 0, &ov)
ADVANCE = [23, 3]                                    # advance 1 s
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
