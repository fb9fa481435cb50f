// The packet-path benchmark's traffic: users holding tokens minted by the
// issuer, their UDP flows (a STUN Binding Request with the user's token
// first, then voice-sized media both ways), and the capture file that
// holds them, written with writePcap and read back with readCapture.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keygen, mintToken, type Jwk, type KeyPair } from '../src/issuer/index.js';
import { LINKTYPE, readCapture, writePcap, type Capture, type PacketToWrite } from '../src/pcap/index.js';
import { MEDIA_PAYLOAD, addressText, ip, serverAddress, stunRequest, udp, userAddress } from './packets.js';

export interface Keys {
  hmac: KeyPair;
  eddsa: KeyPair;
}

export function makeKeys(): Keys {
  return { hmac: keygen('HMAC 256/64', 'h'), eddsa: keygen('EdDSA', 'e') };
}

/** DSCP the endpoints put on every packet (EF, as WebRTC marks voice), and the service's. */
export const EF = 46;
export const SERVICE_MARK = 16;
/** 2100-01-01: every token is valid whatever the clock. */
const EXP = 4102444800;

export interface ConfigOptions {
  /** gateway.flows.capacity; default: the core's (16,384). */
  capacity?: number;
  /** The service's DSCP (default EF: packets already carry it, so no rewrite). */
  dscp?: number;
}

/**
 * docs/config.md: one service, both keys. The rate limit is lifted: the
 * benchmark verifies thousands of tokens per second of its clock on purpose.
 */
export function gatewayConfig(keys: Keys, options: ConfigOptions = {}): object {
  return {
    keysets: { default: { keys: [keys.hmac.publicJwk, keys.eddsa.publicJwk] } },
    services: [{ name: 'voice', id: 1, dscp: options.dscp ?? EF, mark: SERVICE_MARK }],
    gateway: {
      ...(options.capacity === undefined ? {} : { flows: { capacity: options.capacity } }),
      rate_limit: { per_second: 1e6, burst: 1e6, per_source_per_second: 1e6, per_source_burst: 1e6 },
    },
  };
}

/** A user's token: service 1, bound to the user's address, a distinct cti. */
export function userToken(key: Jwk, user: number, v6: boolean): Uint8Array {
  const cti = (user >>> 0).toString(16).padStart(16, '0');
  return mintToken({ exp: EXP, srv: 1, bip: addressText(userAddress(user, v6)), cti }, { key });
}

/** Users alternate between IPv4 and IPv6. */
export const isV6User = (user: number) => user % 2 === 1;

export interface Flow {
  /** The STUN Binding Request with the user's token (upstream). */
  stun: Uint8Array;
  /** A media packet from the user, and one to the user. */
  up: Uint8Array;
  down: Uint8Array;
}

/** The endpoints of the user's flow from `port` to server `server`'s port 3478. */
function endpoints(user: number, server: number): [Uint8Array, Uint8Array] {
  const v6 = isV6User(user);
  return [userAddress(user, v6), serverAddress(server, v6)];
}

/** The STUN Binding Request that carries the user's token, first packet of the flow. */
export function stunPacket(user: number, server: number, port: number, token: Uint8Array): Uint8Array {
  const [me, peer] = endpoints(user, server);
  return ip(me, peer, udp(port, 3478, stunRequest(token, server)), EF);
}

/** A media packet of the flow, from the user (up) or to the user. */
export function mediaPacket(user: number, server: number, port: number, up: boolean): Uint8Array {
  const [me, peer] = endpoints(user, server);
  return up ? ip(me, peer, udp(port, 3478, MEDIA_PAYLOAD), EF) : ip(peer, me, udp(3478, port, MEDIA_PAYLOAD), EF);
}

/** STUN and media share the 5-tuple, as in WebRTC. */
export function makeFlow(user: number, server: number, port: number, token: Uint8Array): Flow {
  return {
    stun: stunPacket(user, server, port, token),
    up: mediaPacket(user, server, port, true),
    down: mediaPacket(user, server, port, false),
  };
}

/** Deterministic: the same capture every run (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Traffic {
  flows: Flow[];
  users: number;
  capture: Capture;
  /** Size of the capture file in bytes. */
  fileBytes: number;
}

/**
 * `flowCount` flows of `perUser` flows per user (one HMAC 256/64 token per
 * user), then `total` packets in all: every flow's STUN request first, in
 * flow order, then media of a random flow in a random direction, one every
 * microsecond. Written to a temporary pcap file and read back from it.
 */
export function makeTraffic(keys: Keys, flowCount: number, perUser: number, total: number, start: number): Traffic {
  const users = Math.ceil(flowCount / perUser);
  const tokens = Array.from({ length: users }, (_, u) => userToken(keys.hmac.privateJwk, u, isV6User(u)));
  const flows = Array.from({ length: flowCount }, (_, f) => {
    const user = Math.floor(f / perUser);
    return makeFlow(user, f, 40000 + (f % perUser), tokens[user]);
  });
  const random = prng(0x6e746f6b);
  // Media packets of a flow share one array here; the file holds a copy of each.
  const packets: PacketToWrite[] = new Array(total);
  for (let i = 0; i < total; i++) {
    let data: Uint8Array;
    if (i < flowCount) data = flows[i].stun;
    else {
      const flow = flows[Math.floor(random() * flowCount)];
      data = random() < 0.5 ? flow.up : flow.down;
    }
    // Exact ns timestamps: a float would round differently once read back.
    const ns = i * 1000;
    packets[i] = { data, tsSec: start + Math.floor(ns / 1e9), tsNsec: ns % 1e9 };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ntok-bench-'));
  try {
    const file = join(dir, 'traffic.pcap');
    writeFileSync(file, writePcap(LINKTYPE.RAW, packets, { nanosecond: true }));
    const bytes = readFileSync(file);
    const capture = readCapture(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { maxPackets: total });
    return { flows, users, capture, fileBytes: bytes.byteLength };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
