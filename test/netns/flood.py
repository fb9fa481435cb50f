#!/usr/bin/env python3
"""Send many one-packet UDP flows, fast or at a set rate, for load tests.

Python 3 standard library only. Run inside the client namespace of
test/netns/topology.sh (test/e2e/flood.test.ts, bench/load.ts). send.py
sends a few flows with every detail recorded; this sends up to a million,
each a distinct 5-tuple with one datagram, and records only counts and times.

  flood.py PAYLOADS --src A --dst A --flows N --out STATS_JSON
           [--rate R] [--sockets S] [--sport-base P] [--dport-base D]

PAYLOADS holds the UDP payloads: records of a 2-byte big-endian length and
the bytes; flow i sends record i modulo their number (the caller builds
them: STUN Binding Requests carrying tokens, forged or valid, or media).

Flow i leaves from source port P + (i mod S) to destination port
D + (i div S): S sockets bound beforehand, so that sending is one sendto per
flow. --rate R paces the flows at R per second (0, the default: as fast as
the machine allows). The datagrams are sent with blocking sendto; an error
(ENOBUFS, say) is counted and the flow is not sent again.

STATS_JSON: {"flows", "sent", "errors": {errno name: count}, "start", "end"
(wall clock, seconds: the clock tcpdump stamps packets with), "elapsed",
"rate" (flows sent per second), "late_ms" (with --rate: how far the sender
fell behind its schedule at worst)}.
"""

import errno
import ipaddress
import json
import os
import socket
import struct
import sys
import time

# As send.py: documentation prefixes only (RFC 5737, RFC 3849), so that this
# can never flood a real network.
ALLOWED_DST = [ipaddress.ip_network(n) for n in
               ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
MAX_FLOWS = 1_000_000
MAX_SOCKETS = 1024


def fail(msg):
    print(f"flood.py: {msg}", file=sys.stderr)
    sys.exit(2)


def read_payloads(path):
    with open(path, "rb") as fh:
        data = fh.read()
    out = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            fail(f"{path}: truncated record at byte {pos}")
        (n,) = struct.unpack_from("!H", data, pos)
        if pos + 2 + n > len(data):
            fail(f"{path}: truncated record at byte {pos}")
        out.append(data[pos + 2:pos + 2 + n])
        pos += 2 + n
    if not out:
        fail(f"{path}: no payloads")
    return out


def parse_args(argv):
    opts = {"rate": "0", "sockets": "64", "sport_base": "20000", "dport_base": "20000"}
    pos = []
    it = iter(argv)
    for a in it:
        if a.startswith("--"):
            try:
                opts[a[2:].replace("-", "_")] = next(it)
            except StopIteration:
                fail(f"{a} needs a value")
        else:
            pos.append(a)
    if len(pos) != 1:
        fail("usage: flood.py PAYLOADS --src A --dst A --flows N --out STATS_JSON "
             "[--rate R] [--sockets S] [--sport-base P] [--dport-base D]")
    for k in ("src", "dst", "flows", "out"):
        if k not in opts:
            fail(f"--{k.replace('_', '-')} is required")
    try:
        flows, sockets = int(opts["flows"]), int(opts["sockets"])
        sport, dport, rate = int(opts["sport_base"]), int(opts["dport_base"]), float(opts["rate"])
    except ValueError as e:
        fail(str(e))
    if not 1 <= flows <= MAX_FLOWS or not 1 <= sockets <= MAX_SOCKETS or rate < 0:
        fail(f"--flows must be 1..{MAX_FLOWS}, --sockets 1..{MAX_SOCKETS}, --rate >= 0")
    sockets = min(sockets, flows)
    last_dport = dport + (flows - 1) // sockets
    if not 1024 <= sport <= 65535 - sockets + 1 or not 1 <= dport or last_dport > 65535:
        fail(f"ports out of range: sources {sport}+{sockets}, destinations {dport}..{last_dport}")
    dst = ipaddress.ip_address(opts["dst"])
    if not any(dst in n for n in ALLOWED_DST):
        fail(f"refusing to send to {dst}: not a documentation address")
    return pos[0], opts["src"], str(dst), flows, sockets, sport, dport, rate, opts["out"]


def main(argv):
    path, src, dst, flows, nsock, sport, dport, rate, out = parse_args(argv)
    payloads = read_payloads(path)
    fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
    socks = []
    for k in range(nsock):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, sport + k))
        socks.append(s)
    sends = [s.sendto for s in socks]
    npay = len(payloads)
    errors = {}
    sent = 0
    late = 0.0
    clock = time.perf_counter
    start_wall = time.time()
    t0 = clock()
    i = 0
    # One flow per sendto; with a rate, the schedule is checked every `step`
    # flows (about a millisecond's worth), and the sender sleeps when ahead.
    step = max(1, int(rate / 1000)) if rate > 0 else flows
    while i < flows:
        end = min(flows, i + step)
        while i < end:
            try:
                sends[i % nsock](payloads[i % npay], (dst, dport + i // nsock))
                sent += 1
            except OSError as e:
                name = errno.errorcode.get(e.errno, str(e.errno))
                errors[name] = errors.get(name, 0) + 1
            i += 1
        if rate > 0 and i < flows:
            ahead = t0 + i / rate - clock()
            if ahead > 0:
                time.sleep(ahead)
            elif -ahead > late:
                late = -ahead
    elapsed = clock() - t0
    end_wall = time.time()
    for s in socks:
        s.close()
    stats = {"flows": flows, "sent": sent, "errors": errors, "start": start_wall, "end": end_wall,
             "elapsed": elapsed, "rate": sent / elapsed if elapsed > 0 else 0.0, "late_ms": late * 1000}
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(stats, fh)
        fh.write("\n")
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
