#!/usr/bin/env python3
"""Send (and sink) UDP flows carrying network tokens, for test captures.

Python 3 standard library only. Run by make-captures.sh inside network
namespaces it created; see README.md in this folder for the manifest format.

Subcommands:
  check MANIFEST                 validate; print the normalized flows as JSON
  sink MANIFEST --addr4 A --addr6 A --ready FILE --stats FILE
                                 server side: receive on every dport of the
                                 manifest, answer flows marked "reply": true
                                 (STUN Binding Success Response to a Binding
                                 Request, echo of anything else; a type-1 token
                                 is reflected back as type 2), until SIGTERM
  send MANIFEST --src4 A --src6 A --dst4 A --dst6 A --out FLOWS_JSON
                                 client side: send every flow in turn, collect
                                 the replies, write flows.json
  finish FLOWS_JSON --stats FILE [--meta KEY=VALUE ...]
                                 merge the sink's counts and metadata into
                                 flows.json

Carriers:
  stun     first packet (every packet with per_packet) is a STUN Binding
           Request (RFC 8489) with SOFTWARE / USERNAME, the token attribute
           (type 0x8030 unless "stun_attr" says otherwise) and FINGERPRINT;
           the other packets are RTP-like media on the same socket.
  hbh      IPv6 Hop-by-Hop Options header with option 0x1F (or "option_type")
           whose data is the token, set with setsockopt(IPV6_HOPOPTS) (a
           sticky option, RFC 3542 section 6.3) for the first packet (every
           packet with per_packet), cleared with an empty buffer afterwards.
  dstopts  the same with IPV6_DSTOPTS (a Destination Options header).
  none     RTP-like media only.
"""

import ipaddress
import json
import os
import random
import re
import select
import signal
import socket
import struct
import sys
import time
import zlib

# Linux values (also in Python's socket module on Linux; spelled out so that
# a missing constant cannot silently change behaviour).
IPV6_RECVHOPOPTS = 53
IPV6_HOPOPTS = 54
IPV6_RECVDSTOPTS = 58
IPV6_DSTOPTS = 59
IPV6_RECVTCLASS = 66
IPV6_TCLASS = 67
IP_TOS = 1

STUN_COOKIE = 0x2112A442
STUN_BINDING_REQUEST = 0x0001
STUN_BINDING_SUCCESS = 0x0101
ATTR_USERNAME = 0x0006
ATTR_XOR_MAPPED_ADDRESS = 0x0020
ATTR_SOFTWARE = 0x8022
ATTR_FINGERPRINT = 0x8028
FINGERPRINT_XOR = 0x5354554E
DEFAULT_STUN_ATTR = 0x8030
DEFAULT_OPTION_TYPE = 0x1F

CARRIERS = ("stun", "hbh", "dstopts", "none")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
AUTO_SPORT_BASE = 40000
MAX_FLOWS = 64
MAX_STUN_TOKEN = 1024
MAX_PAYLOAD = 1200
REPLY_WAIT_S = 1.0

# Destinations this tool agrees to send to: documentation prefixes only
# (RFC 5737, RFC 3849), so that it can never send to a real network.
ALLOWED_DST = [ipaddress.ip_network(n) for n in
               ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]

KNOWN_KEYS = {
    "name", "family", "proto", "carrier", "token", "per_packet", "packets",
    "dscp", "ecn", "reply", "dport", "sport", "size", "interval_ms",
    "stun_attr", "option_type", "software", "username", "comment",
}


class ManifestError(Exception):
    pass


# ---------------------------------------------------------------- manifest

def _int(flow, key, default, lo, hi):
    v = flow.get(key, default)
    if isinstance(v, str) and re.fullmatch(r"0[xX][0-9a-fA-F]+", v):
        v = int(v, 16)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ManifestError(f"flow {flow.get('name')!r}: {key} must be an integer in [{lo}, {hi}], got {v!r}")
    return v


def _bool(flow, key, default):
    v = flow.get(key, default)
    if not isinstance(v, bool):
        raise ManifestError(f"flow {flow.get('name')!r}: {key} must be true or false, got {v!r}")
    return v


def normalize(manifest):
    """Validate a manifest (list of flows) and fill in every default."""
    if not isinstance(manifest, list) or not 1 <= len(manifest) <= MAX_FLOWS:
        raise ManifestError(f"the manifest must be a JSON array of 1..{MAX_FLOWS} flows")
    out = []
    names = set()
    for i, flow in enumerate(manifest):
        if not isinstance(flow, dict):
            raise ManifestError(f"flow #{i} is not an object")
        unknown = sorted(set(flow) - KNOWN_KEYS)
        if unknown:
            raise ManifestError(f"flow #{i}: unknown keys {unknown}")
        name = flow.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ManifestError(f"flow #{i}: name must match {NAME_RE.pattern}")
        if name in names:
            raise ManifestError(f"flow {name!r}: duplicate name")
        names.add(name)
        family = flow.get("family")
        if family not in (4, 6) or isinstance(family, bool):
            raise ManifestError(f"flow {name!r}: family must be 4 or 6")
        proto = flow.get("proto", "udp")
        if proto != "udp":
            raise ManifestError(f"flow {name!r}: only proto \"udp\" is supported")
        carrier = flow.get("carrier", "none")
        if carrier not in CARRIERS:
            raise ManifestError(f"flow {name!r}: carrier must be one of {CARRIERS}")
        if carrier in ("hbh", "dstopts") and family != 6:
            raise ManifestError(f"flow {name!r}: carrier {carrier} needs family 6")
        token_hex = flow.get("token")
        token = None
        if carrier != "none":
            if not isinstance(token_hex, str) or not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", token_hex):
                raise ManifestError(f"flow {name!r}: token must be a non-empty even-length hex string")
            token = bytes.fromhex(token_hex)
            limit = 255 if carrier in ("hbh", "dstopts") else MAX_STUN_TOKEN
            if len(token) > limit:
                raise ManifestError(f"flow {name!r}: token is {len(token)} bytes, carrier {carrier} allows {limit}")
        elif token_hex is not None:
            raise ManifestError(f"flow {name!r}: carrier none takes no token")
        software = flow.get("software", "ntok make-captures")
        if software is not None and (not isinstance(software, str) or len(software.encode()) > 763):
            raise ManifestError(f"flow {name!r}: software must be a string (< 764 bytes) or null")
        username = flow.get("username")
        if username is not None and (not isinstance(username, str) or len(username.encode()) > 512):
            raise ManifestError(f"flow {name!r}: username must be a string (<= 512 bytes)")
        interval = flow.get("interval_ms", 20)
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not 0 <= interval <= 1000:
            raise ManifestError(f"flow {name!r}: interval_ms must be a number in [0, 1000]")
        comment = flow.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise ManifestError(f"flow {name!r}: comment must be a string")
        out.append({
            "name": name,
            "family": family,
            "proto": "udp",
            "carrier": carrier,
            "token": token.hex() if token is not None else None,
            "per_packet": _bool(flow, "per_packet", False),
            "packets": _int(flow, "packets", 5, 1, 10000),
            "dscp": _int(flow, "dscp", 0, 0, 63),
            "ecn": _int(flow, "ecn", 0, 0, 3),
            "reply": _bool(flow, "reply", False),
            "dport": _int(flow, "dport", 3478 if carrier == "stun" else 5004, 1, 65535),
            "sport": _int(flow, "sport", 0, 1024, 65535) if "sport" in flow else None,
            "size": _int(flow, "size", 160, 0, MAX_PAYLOAD),
            "interval_ms": interval,
            "stun_attr": _int(flow, "stun_attr", DEFAULT_STUN_ATTR, 0, 0xFFFF),
            "option_type": _int(flow, "option_type", DEFAULT_OPTION_TYPE, 2, 255),
            "software": software,
            "username": username,
            "comment": comment,
        })
    # Source ports: explicit ones stay, the others get 40000 + index (skipping
    # ports taken), so that sink and sender agree without talking.
    taken = {(f["family"], f["sport"]) for f in out if f["sport"] is not None}
    if len(taken) != sum(1 for f in out if f["sport"] is not None):
        raise ManifestError("two flows of one family use the same sport")
    port = AUTO_SPORT_BASE
    for f in out:
        if f["sport"] is None:
            while (f["family"], port) in taken:
                port += 1
            f["sport"] = port
            taken.add((f["family"], port))
            port += 1
    # One server socket per (family, dport) answers every flow to it.
    return out


def load_manifest(path):
    try:
        with open(path, "r", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as e:
        raise ManifestError(f"cannot read manifest {path}: {e}")
    return normalize(data)


# ---------------------------------------------------------------- STUN

def _pad4(b):
    return b + b"\x00" * (-len(b) % 4)


def stun_attr(atype, value):
    return struct.pack("!HH", atype, len(value)) + _pad4(value)


def stun_message(mtype, txid, attrs, fingerprint=True):
    """A STUN message; FINGERPRINT (RFC 8489 section 14.7) last."""
    body = b"".join(attrs)
    if not fingerprint:
        return struct.pack("!HHI", mtype, len(body), STUN_COOKIE) + txid + body
    length = len(body) + 8
    head = struct.pack("!HHI", mtype, length, STUN_COOKIE) + txid + body
    crc = (zlib.crc32(head) & 0xFFFFFFFF) ^ FINGERPRINT_XOR
    return head + stun_attr(ATTR_FINGERPRINT, struct.pack("!I", crc))


def stun_parse(data):
    """(type, txid, [(attr_type, value)]) or None if not STUN (RFC 8489 section 5)."""
    if len(data) < 20 or data[0] & 0xC0:
        return None
    mtype, length, cookie = struct.unpack("!HHI", data[:8])
    if cookie != STUN_COOKIE or length % 4 or 20 + length != len(data):
        return None
    attrs = []
    pos = 20
    while pos + 4 <= len(data):
        atype, alen = struct.unpack("!HH", data[pos:pos + 4])
        if pos + 4 + alen > len(data):
            return None
        attrs.append((atype, data[pos + 4:pos + 4 + alen]))
        pos += 4 + alen + (-alen % 4)
    return mtype, data[8:20], attrs


def binding_request(flow, token, txid):
    attrs = []
    if flow["username"] is not None:
        attrs.append(stun_attr(ATTR_USERNAME, flow["username"].encode()))
    if flow["software"] is not None:
        attrs.append(stun_attr(ATTR_SOFTWARE, flow["software"].encode()))
    attrs.append(stun_attr(flow["stun_attr"], token))
    return stun_message(STUN_BINDING_REQUEST, txid, attrs)


def xor_mapped_address(family, addr, port, txid):
    xport = port ^ (STUN_COOKIE >> 16)
    raw = socket.inet_pton(socket.AF_INET if family == 4 else socket.AF_INET6, addr)
    key = struct.pack("!I", STUN_COOKIE) + txid
    xaddr = bytes(a ^ k for a, k in zip(raw, key))
    return stun_attr(ATTR_XOR_MAPPED_ADDRESS, struct.pack("!BBH", 0, 1 if family == 4 else 2, xport) + xaddr)


# ---------------------------------------------------------------- tokens, IPv6 options

def reflected(token):
    """A type-1 token ("reflect at receiver") comes back as type 2; others not at all."""
    if token is None or len(token) < 4 or token[0] >> 4 != 1:
        return None
    return bytes([0x20 | (token[0] & 0x0F)]) + token[1:]


def options_header(option_type, data):
    """A whole Hop-by-Hop / Destination Options header (RFC 8200 section 4.3,
    RFC 3542 section 10): next header (0: the kernel writes the real one),
    length in 8-octet units minus one, the option, Pad1/PadN to a multiple of 8."""
    if len(data) > 255:
        raise ValueError("option data > 255 bytes")
    body = bytes([option_type, len(data)]) + data
    pad = -(2 + len(body)) % 8
    if pad == 1:
        body += b"\x00"  # Pad1
    elif pad > 1:
        body += bytes([1, pad - 2]) + b"\x00" * (pad - 2)  # PadN
    total = 2 + len(body)
    return bytes([0, total // 8 - 1]) + body


def options_find(header, option_type):
    """The data of the first option of option_type in a whole options header."""
    if len(header) < 2:
        return None
    end = min(len(header), (header[1] + 1) * 8)
    pos = 2
    while pos < end:
        t = header[pos]
        if t == 0:
            pos += 1
            continue
        if pos + 2 > end:
            return None
        n = header[pos + 1]
        if pos + 2 + n > end:
            return None
        if t == option_type:
            return header[pos + 2:pos + 2 + n]
        pos += 2 + n
    return None


# ---------------------------------------------------------------- media

class Media:
    """RTP-like packets (RFC 3550 header, version 2): the first byte 0x80 is
    never mistaken for STUN (whose first two bits are zero)."""

    def __init__(self, seed, size):
        self.rng = random.Random(seed)
        self.seq = self.rng.randrange(0, 0x10000)
        self.ts = self.rng.randrange(0, 0x100000000)
        self.ssrc = self.rng.randrange(0, 0x100000000)
        self.size = size
        self.first = True

    def next(self):
        marker = 0x80 if self.first else 0
        self.first = False
        head = struct.pack("!BBHII", 0x80, marker | 0, self.seq, self.ts, self.ssrc)  # PT 0 (PCMU)
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + 160) & 0xFFFFFFFF
        return head + bytes(self.rng.getrandbits(8) for _ in range(self.size))


# ---------------------------------------------------------------- sender

def _check_dst(addr):
    ip = ipaddress.ip_address(addr)
    if not any(ip in n for n in ALLOWED_DST):
        raise ManifestError(f"refusing to send to {addr}: not a documentation address")


def _recv_reply(sock, flow, rec):
    """Read one reply (non-blocking) and note reflected tokens."""
    try:
        data, anc, _flags, _addr = sock.recvmsg(65535, socket.CMSG_SPACE(2048))
    except BlockingIOError:
        return False
    rec["replies_received"] += 1
    for level, ctype, cdata in anc:
        if level == socket.IPPROTO_IPV6 and ctype in (IPV6_HOPOPTS, IPV6_DSTOPTS):
            got = options_find(cdata, flow["option_type"])
            if got is not None:
                rec["reflected_tokens"].append({
                    "reply": rec["replies_received"] - 1,
                    "where": "hbh" if ctype == IPV6_HOPOPTS else "dstopts",
                    "token": got.hex(),
                })
    msg = stun_parse(data)
    if msg is not None and msg[0] == STUN_BINDING_SUCCESS:
        rec["stun_responses"] += 1
        for atype, value in msg[2]:
            if atype == flow["stun_attr"]:
                rec["reflected_tokens"].append({
                    "reply": rec["replies_received"] - 1, "where": "stun", "token": value.hex()})
    return True


def send_flow(flow, src, dst):
    fam = socket.AF_INET if flow["family"] == 4 else socket.AF_INET6
    _check_dst(dst)
    token = bytes.fromhex(flow["token"]) if flow["token"] else None
    tos = (flow["dscp"] << 2) | flow["ecn"]
    rec = {
        "name": flow["name"],
        "family": flow["family"],
        "proto": "udp",
        "carrier": flow["carrier"],
        "src": src,
        "sport": flow["sport"],
        "dst": dst,
        "dport": flow["dport"],
        "token": flow["token"],
        "token_len": len(token) if token else 0,
        "per_packet": flow["per_packet"],
        "packets": flow["packets"],
        "dscp": flow["dscp"],
        "ecn": flow["ecn"],
        "tos": tos,
        "reply": flow["reply"],
        "interval_ms": flow["interval_ms"],
        "token_packets": [],
        "payload_lengths": [],
        "stun_attr": flow["stun_attr"] if flow["carrier"] == "stun" else None,
        "stun_transaction_ids": [],
        "option_type": flow["option_type"] if flow["carrier"] in ("hbh", "dstopts") else None,
        "option_header": None,
        "replies_expected": flow["packets"] if flow["reply"] else 0,
        "replies_received": 0,
        "stun_responses": 0,
        "reflected_tokens": [],
        "started_at": None,
    }
    sock = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, IP_TOS, tos)
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, tos)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPOPTS, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVDSTOPTS, 1)
        sock.bind((src, flow["sport"]))
        sock.connect((dst, flow["dport"]))
        sock.setblocking(False)
        optname = {"hbh": IPV6_HOPOPTS, "dstopts": IPV6_DSTOPTS}.get(flow["carrier"])
        opthdr = options_header(flow["option_type"], token) if optname else None
        if opthdr is not None:
            rec["option_header"] = opthdr.hex()
        media = Media(f"{flow['name']}/{flow['family']}/{flow['sport']}", flow["size"])
        rec["started_at"] = time.time()
        interval = flow["interval_ms"] / 1000.0
        for i in range(flow["packets"]):
            carries = i == 0 or flow["per_packet"]
            if flow["carrier"] == "stun" and carries:
                txid = os.urandom(12)
                payload = binding_request(flow, token, txid)
                rec["stun_transaction_ids"].append(txid.hex())
            else:
                payload = media.next()
            if optname is not None and carries:
                sock.setsockopt(socket.IPPROTO_IPV6, optname, opthdr)
            _send_all(sock, payload)
            if optname is not None and carries and not flow["per_packet"]:
                # RFC 3542 section 6.3: an empty buffer removes the sticky header.
                sock.setsockopt(socket.IPPROTO_IPV6, optname, b"")
            if flow["carrier"] != "none" and carries:
                rec["token_packets"].append(i)
            rec["payload_lengths"].append(len(payload))
            deadline = time.monotonic() + (interval if i + 1 < flow["packets"] else 0)
            while True:
                while _recv_reply(sock, flow, rec):
                    pass
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                select.select([sock], [], [], left)
        deadline = time.monotonic() + REPLY_WAIT_S
        while rec["replies_received"] < rec["replies_expected"]:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            select.select([sock], [], [], left)
            while _recv_reply(sock, flow, rec):
                pass
    finally:
        sock.close()
    return rec


def _send_all(sock, payload):
    for _ in range(100):
        try:
            sock.send(payload)
            return
        except BlockingIOError:
            select.select([], [sock], [], 0.1)
    raise OSError("socket never became writable")


def cmd_send(args):
    flows = load_manifest(args["manifest"])
    addrs = {4: (args["src4"], args["dst4"]), 6: (args["src6"], args["dst6"])}
    records = []
    for flow in flows:
        src, dst = addrs[flow["family"]]
        records.append(send_flow(flow, src, dst))
    missing = [r["name"] for r in records if r["replies_received"] < r["replies_expected"]]
    result = {"version": 1, "flows": records}
    tmp = args["out"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, args["out"])
    if missing:
        print(f"send.py: flows missing replies: {missing}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- sink

def cmd_sink(args):
    flows = load_manifest(args["manifest"])
    by_source = {}
    for f in flows:
        by_source[(f["family"], f["sport"], f["dport"])] = f
    stats = {f["name"]: {"received": 0, "replied": 0, "token_seen": 0, "reflected": 0} for f in flows}
    stats_other = {"received": 0}
    socks = {}
    for f in flows:
        key = (f["family"], f["dport"])
        if key in socks:
            continue
        fam = socket.AF_INET if f["family"] == 4 else socket.AF_INET6
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPOPTS, 1)
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVDSTOPTS, 1)
        s.bind((args["addr4"] if f["family"] == 4 else args["addr6"], f["dport"]))
        s.setblocking(False)
        socks[s.fileno()] = (s, f["family"])

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    with open(args["ready"], "w") as fh:
        fh.write("ready\n")
    while not stop:
        try:
            ready, _, _ = select.select([s for s, _ in socks.values()], [], [], 0.2)
        except InterruptedError:
            continue
        for s in ready:
            _sock, family = socks[s.fileno()]
            while True:
                try:
                    data, anc, _fl, addr = s.recvmsg(65535, socket.CMSG_SPACE(2048))
                except BlockingIOError:
                    break
                flow = by_source.get((family, addr[1], s.getsockname()[1]))
                if flow is None:
                    stats_other["received"] += 1
                    continue
                st = stats[flow["name"]]
                st["received"] += 1
                _answer(s, family, flow, data, anc, addr, st)
    with open(args["stats"], "w", encoding="utf-8") as fh:
        json.dump({"flows": stats, "unmatched": stats_other}, fh, indent=2)
    return 0


def _answer(s, family, flow, data, anc, addr, st):
    # Token in an IPv6 option of the request?
    opt_token = None
    opt_where = None
    for level, ctype, cdata in anc:
        if level == socket.IPPROTO_IPV6 and ctype in (IPV6_HOPOPTS, IPV6_DSTOPTS):
            got = options_find(cdata, flow["option_type"])
            if got is not None:
                opt_token, opt_where = got, ctype
    msg = stun_parse(data)
    stun_token = None
    if msg is not None and msg[0] == STUN_BINDING_REQUEST:
        for atype, value in msg[2]:
            if atype == flow["stun_attr"]:
                stun_token = value
    if opt_token is not None or stun_token is not None:
        st["token_seen"] += 1
    if not flow["reply"]:
        return
    anc_out = []
    if msg is not None and msg[0] == STUN_BINDING_REQUEST:
        txid = msg[1]
        attrs = [xor_mapped_address(family, addr[0], addr[1], txid),
                 stun_attr(ATTR_SOFTWARE, b"ntok make-captures sink")]
        back = reflected(stun_token)
        if back is not None:
            attrs.append(stun_attr(flow["stun_attr"], back))
            st["reflected"] += 1
        out = stun_message(STUN_BINDING_SUCCESS, txid, attrs)
    else:
        out = data
    back = reflected(opt_token)
    if back is not None:
        anc_out.append((socket.IPPROTO_IPV6, opt_where, options_header(flow["option_type"], back)))
        st["reflected"] += 1
    s.sendmsg([out], anc_out, 0, addr)
    st["replied"] += 1


# ---------------------------------------------------------------- finish

def cmd_finish(args):
    with open(args["flows"], "r", encoding="utf-8") as fh:
        doc = json.load(fh)
    if args.get("stats"):
        try:
            with open(args["stats"], "r", encoding="utf-8") as fh:
                stats = json.load(fh)
        except (OSError, ValueError):
            stats = None
        for rec in doc["flows"]:
            st = (stats or {}).get("flows", {}).get(rec["name"])
            rec["server"] = st
        doc["server_unmatched"] = (stats or {}).get("unmatched")
    meta = {}
    for kv in args.get("meta", []):
        k, _, v = kv.partition("=")
        meta[k] = v
    doc["capture"] = meta
    order = ["version", "capture", "flows", "server_unmatched"]
    doc = {k: doc[k] for k in order if k in doc}
    tmp = args["flows"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, args["flows"])
    return 0


# ---------------------------------------------------------------- main

USAGE = __doc__.split("Subcommands:")[1].split("Carriers:")[0]


def parse_args(argv):
    if not argv or argv[0] not in ("check", "send", "sink", "finish"):
        raise ManifestError("usage: send.py {check|send|sink|finish} ..." + USAGE)
    args = {"cmd": argv[0], "meta": []}
    pos = []
    it = iter(argv[1:])
    for a in it:
        if a.startswith("--"):
            key = a[2:].replace("-", "_")
            try:
                val = next(it)
            except StopIteration:
                raise ManifestError(f"{a} needs a value")
            if key == "meta":
                args["meta"].append(val)
            else:
                args[key] = val
        else:
            pos.append(a)
    if len(pos) != 1:
        raise ManifestError(f"{argv[0]}: expected one file argument")
    args["flows" if argv[0] == "finish" else "manifest"] = pos[0]
    need = {"send": ["src4", "src6", "dst4", "dst6", "out"],
            "sink": ["addr4", "addr6", "ready", "stats"]}.get(argv[0], [])
    for k in need:
        if k not in args:
            raise ManifestError(f"{argv[0]}: --{k.replace('_', '-')} is required")
    return args


def main(argv):
    try:
        args = parse_args(argv)
        if args["cmd"] == "check":
            json.dump(load_manifest(args["manifest"]), sys.stdout, indent=2)
            sys.stdout.write("\n")
            return 0
        return {"send": cmd_send, "sink": cmd_sink, "finish": cmd_finish}[args["cmd"]](args)
    except ManifestError as e:
        print(f"send.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
