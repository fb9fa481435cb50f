// The packet path over the core (docs/abi.md, "Packets"):
//   const g = await Gateway.open(config); const v = g.process(packet, { now })
// Every decision comes from ntok.wasm; this file copies bytes in and out
// and reads the verdict struct.
import { Core } from './core.js';
import { fastestCrypto } from './crypto.js';
import { NtokError, type OpenOptions } from './verifier.js';

/** pcap LINKTYPE of the bytes given to process(); NFQUEUE delivers raw IP (101). */
export const LINK_RAW = 101;

export const enum Direction {
  /** The core decides from `gateway.lan` when it is configured; otherwise both are allowed. */
  Unknown = 0,
  /** From the LAN: tagging applies. */
  Upstream = 1,
  Downstream = 2,
}

/** Verdict flags (docs/abi.md). */
export const VERDICT = {
  NEW_FLOW: 1,
  DECIDED: 2,
  VERIFIED: 4,
  CACHED: 8,
  REWRITTEN: 16,
  TAGGED: 32,
} as const;

export interface ProcessOptions {
  /** Unix seconds (default: the host clock). */
  now?: number;
  link?: number;
  direction?: Direction;
  /**
   * Behind NAT: the address (4 or 16 bytes) the packet's LAN endpoint is
   * translated to, from conntrack; a token bound to it holds for the LAN flow.
   */
  nat?: Uint8Array;
}

/**
 * The verdict of the last process(). One object, reused: read it before the
 * next call.
 */
export interface Verdict {
  drop: boolean;
  /** Result code number; Gateway.resultName() gives its name. */
  code: number;
  /** Conntrack / skb mark for the packet (0: not decided yet). */
  mark: number;
  /** DSCP the packet carries now; -1 when it did not parse. */
  dscp: number;
  /** Flow table slot; -1 when the packet belongs to no flow. */
  flow: number;
  /** Service index (0: none); Gateway.serviceName() gives its name. */
  service: number;
  flags: number;
  /** Length of the packet now (grows when a token was attached). */
  length: number;
}

export class Gateway {
  private readonly verdict: Verdict = { drop: false, code: 0, mark: 0, dscp: -1, flow: -1, service: 0, flags: 0, length: 0 };
  private words: Int32Array;
  private bytes: Uint8Array;
  private readonly inputPtr: number;
  private readonly capacity: number;
  private readonly verdictIndex: number;
  private readonly codeNames: string[];

  private constructor(readonly core: Core) {
    const e = core.exports;
    this.inputPtr = e.input_ptr();
    this.capacity = e.input_capacity();
    this.verdictIndex = e.verdict_ptr() >> 2;
    this.words = new Int32Array(e.memory.buffer);
    this.bytes = new Uint8Array(e.memory.buffer);
    this.codeNames = core.resultCodes();
  }

  /** Instantiates the core and loads `config` (docs/config.md). */
  static async open(config: object | string, options: OpenOptions = {}): Promise<Gateway> {
    const core = await Core.instantiate(options.crypto ?? (await fastestCrypto()), options.wasm);
    const g = new Gateway(core);
    g.configure(config);
    return g;
  }

  /** Replaces the configuration; live flows keep their decisions (re-mapped by service name). */
  configure(config: object | string): void {
    const text = new TextEncoder().encode(typeof config === 'string' ? config : JSON.stringify(config));
    const e = this.core.exports;
    const code = this.core.writeInput(text) ? e.configure(text.length) : e.configure(e.input_capacity() + 1);
    if (code !== 0) {
      const out = JSON.parse(this.core.output()) as { code: string; message: string };
      throw new NtokError(out.code, out.message);
    }
  }

  /**
   * Runs one packet through the core. The bytes are copied in; the packet
   * as the core left it (DSCP rewritten, token attached) is `packet()`.
   */
  process(packet: Uint8Array, options: ProcessOptions = {}): Verdict {
    const len = packet.length <= this.capacity ? packet.length : this.capacity + 1;
    // A view of memory that grew is detached (length 0): checking that costs less than reading memory.buffer.
    if (this.bytes.length === 0) this.remakeViews();
    if (len <= this.capacity) this.bytes.set(packet, this.inputPtr);
    if (options.nat !== undefined) {
      this.bytes.set(options.nat.subarray(0, 16), this.core.exports.nat_ptr());
      this.core.exports.set_nat(options.nat.length);
    }
    this.core.exports.process(len, options.link ?? LINK_RAW, options.direction ?? Direction.Unknown, options.now ?? Date.now() / 1000);
    if (this.words.length === 0) this.remakeViews(); // the first packet allocates the flow table
    const w = this.words;
    const i = this.verdictIndex;
    const v = this.verdict;
    v.drop = w[i] === 1;
    v.code = w[i + 1];
    v.mark = w[i + 2] >>> 0;
    v.dscp = w[i + 3];
    v.flow = w[i + 4];
    v.service = w[i + 5];
    v.flags = w[i + 6];
    v.length = w[i + 7];
    return v;
  }

  /**
   * Revokes token ids (integers, lowercase hex for byte strings) in the
   * configuration in force: live flows their tokens decided lose their mark.
   */
  revoke(ids: (number | string)[]): { revoked: number; withdrawn: number } {
    const text = new TextEncoder().encode(JSON.stringify(ids));
    const e = this.core.exports;
    const code = this.core.writeInput(text) ? e.revoke(text.length) : e.revoke(e.input_capacity() + 1);
    const out = JSON.parse(this.core.output()) as { code: string; message?: string; revoked: number; withdrawn: number };
    if (code !== 0) throw new NtokError(out.code, out.message ?? out.code);
    return { revoked: out.revoked, withdrawn: out.withdrawn };
  }

  /** The last processed packet as it is now (a copy). */
  packet(): Uint8Array {
    if (this.bytes.length === 0) this.remakeViews();
    return this.bytes.slice(this.inputPtr, this.inputPtr + this.verdict.length);
  }

  resultName(code: number): string {
    return this.codeNames[code] ?? `code-${code}`;
  }

  /** `udp 10.0.0.2:5000 > 10.0.0.1:3478`, origin first; '' for a free slot. */
  flowName(flow: number): string {
    return this.core.exports.flow_name(flow) > 0 ? this.core.output() : '';
  }

  /** The service's name as a JSON string (the core escapes it), or null for none. */
  serviceNameJson(service: number): string | null {
    return this.core.exports.service_name(service) > 0 ? this.core.output() : null;
  }

  serviceName(service: number): string | null {
    const json = this.serviceNameJson(service);
    return json === null ? null : (JSON.parse(json) as string);
  }

  /** The core's counters (docs/abi.md, status). */
  statusJson(): string {
    this.core.exports.status();
    return this.core.output();
  }

  status(): GatewayStatus {
    return JSON.parse(this.statusJson()) as GatewayStatus;
  }

  /** Views are remade after memory.grow, which detaches the old buffer. */
  private remakeViews(): void {
    const buffer = this.core.exports.memory.buffer;
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
  }
}

export interface GatewayStatus {
  packets: number;
  bad_packets: number;
  fast_path: number;
  verifications: number;
  cache_hits: number;
  rate_limited: number;
  rewritten: number;
  washed: number;
  dropped: number;
  lost_at_expiry: number;
  tagged: number;
  tag_too_large: number;
  withdrawn: number;
  flows: { capacity: number; active: number; bytes: number; inserts: number; evictions: number; expirations: number };
  token_cache: { entries: number; capacity: number; bytes: number };
  decisions: Record<string, number>;
}
