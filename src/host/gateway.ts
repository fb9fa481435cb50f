// The packet path over the core (docs/abi.md, "Packets"):
//   const g = await Gateway.open(config); const v = g.process(packet, { now })
// Every decision comes from ntok.wasm; this file copies bytes in and out
// and reads the verdict struct.
import { Core } from './core.js';
import { fastestCrypto, type CryptoProvider } from './crypto.js';
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

/** docs/abi.md: the code of a packet the core could not decide because it trapped. */
export const CODE_HOST_ERROR = 25;

/**
 * What V8 throws for a trap in wasm: `unreachable` (the core's answer to
 * memory it cannot get), an access outside linear memory, a stack overflow
 * (a RangeError).
 */
export function isTrap(e: unknown): e is Error {
  return e instanceof WebAssembly.RuntimeError || e instanceof RangeError;
}

export class Gateway {
  private readonly verdict: Verdict = { drop: false, code: 0, mark: 0, dscp: -1, flow: -1, service: 0, flags: 0, length: 0 };
  private current: Core;
  private words!: Int32Array;
  private bytes!: Uint8Array;
  private inputPtr = 0;
  private capacity = 0;
  private verdictIndex = 0;
  private readonly codeNames: string[];
  /** The configuration text in force, given again to an instance that replaces one that trapped. */
  private config: string | null = null;
  /** Ids revoked with revoke() since the configuration was loaded: a recreated instance gets them again. */
  private revoked: (number | string)[] = [];
  /**
   * Traps in the core since open(). Each one replaced the instance with a new
   * one, configured again: the flows, cached token verdicts and counters of
   * the old one are lost (status() starts again from zero).
   */
  traps = 0;
  /** The engine's message for the last trap. */
  lastTrap: string | null = null;

  private constructor(core: Core, private readonly crypto: CryptoProvider) {
    this.current = core;
    this.attach();
    this.codeNames = core.resultCodes();
  }

  /** The instance in force (replaced after a trap). */
  get core(): Core {
    return this.current;
  }

  /** Instantiates the core and loads `config` (docs/config.md). */
  static async open(config: object | string, options: OpenOptions = {}): Promise<Gateway> {
    const crypto = options.crypto ?? (await fastestCrypto());
    const g = new Gateway(await Core.instantiate(crypto, options.wasm, options.maxPages), crypto);
    g.configure(config);
    return g;
  }

  /**
   * Replaces the configuration; live flows keep their decisions (re-mapped by
   * service name). A trap while the core reads it is recovered from (see
   * `traps`) and reported as NtokError host-error, the old configuration
   * kept.
   */
  configure(config: object | string): void {
    const text = typeof config === 'string' ? config : JSON.stringify(config);
    let code: number;
    try {
      code = this.load(text);
    } catch (e) {
      if (!isTrap(e)) throw e;
      this.recover(e);
      throw new NtokError('host-error', `trap: ${e.message}`);
    }
    if (code !== 0) {
      const out = JSON.parse(this.current.output()) as { code: string; message: string };
      throw new NtokError(out.code, out.message);
    }
    this.config = text;
    this.revoked = [];
  }

  private load(text: string): number {
    const bytes = new TextEncoder().encode(text);
    const e = this.current.exports;
    return this.current.writeInput(bytes) ? e.configure(bytes.length) : e.configure(e.input_capacity() + 1);
  }

  /**
   * Runs one packet through the core. The bytes are copied in; the packet
   * as the core left it (DSCP rewritten, token attached) is `packet()`.
   * A trap in the core does not reach the caller: the packet is accepted
   * unmarked and unchanged with code host-error, and the instance replaced
   * (see `traps`).
   */
  process(packet: Uint8Array, options: ProcessOptions = {}): Verdict {
    const len = packet.length <= this.capacity ? packet.length : this.capacity + 1;
    // A view of memory that grew is detached (length 0): checking that costs less than reading memory.buffer.
    if (this.bytes.length === 0) this.remakeViews();
    if (len <= this.capacity) this.bytes.set(packet, this.inputPtr);
    if (options.nat !== undefined) {
      this.bytes.set(options.nat.subarray(0, 16), this.current.exports.nat_ptr());
      this.current.exports.set_nat(options.nat.length);
    }
    try {
      this.current.exports.process(len, options.link ?? LINK_RAW, options.direction ?? Direction.Unknown, options.now ?? Date.now() / 1000);
    } catch (e) {
      if (!isTrap(e)) throw e;
      return this.trapped(packet, e);
    }
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
    const e = this.current.exports;
    const code = this.current.writeInput(text) ? e.revoke(text.length) : e.revoke(e.input_capacity() + 1);
    const out = JSON.parse(this.current.output()) as { code: string; message?: string; revoked: number; withdrawn: number };
    if (code !== 0) throw new NtokError(out.code, out.message ?? out.code);
    this.revoked.push(...ids);
    return { revoked: out.revoked, withdrawn: out.withdrawn };
  }

  /** The verdict for a packet the core trapped on: as an unparsed packet's, forwarded as it came. */
  private trapped(packet: Uint8Array, e: Error): Verdict {
    this.recover(e);
    // Left in the new instance's input buffer, so that packet() gives it back unchanged.
    if (this.bytes.length === 0) this.remakeViews(); // configure may have grown memory
    if (packet.length <= this.capacity) this.bytes.set(packet, this.inputPtr);
    const v = this.verdict;
    v.drop = false;
    v.code = CODE_HOST_ERROR;
    v.mark = 0;
    v.dscp = -1;
    v.flow = -1;
    v.service = 0;
    v.flags = 0;
    v.length = packet.length;
    return v;
  }

  /**
   * Replaces the instance that trapped with a new one of the same module,
   * configured with the configuration in force. Synchronous (an instance of
   * the compiled module), so that process() answers at once.
   */
  private recover(e: Error): void {
    this.traps++;
    this.lastTrap = e.message;
    this.current = Core.fromModule(this.current.module, this.crypto);
    this.attach();
    // The same text on a fresh instance of the same module: it was accepted before, so it is again.
    if (this.config !== null && this.load(this.config) !== 0) throw new Error(`the configuration was refused after a trap: ${this.current.output()}`);
    if (this.revoked.length > 0) {
      const text = new TextEncoder().encode(JSON.stringify(this.revoked));
      if (!this.current.writeInput(text) || this.current.exports.revoke(text.length) !== 0) throw new Error('revocations were refused after a trap');
    }
  }

  /** A call into the core that is tried once more on a new instance if it traps. */
  private recovering<T>(call: () => T): T {
    try {
      return call();
    } catch (e) {
      if (!isTrap(e)) throw e;
      this.recover(e);
      return call();
    }
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
    return this.recovering(() => (this.current.exports.flow_name(flow) > 0 ? this.current.output() : ''));
  }

  /** The service's name as a JSON string (the core escapes it), or null for none. */
  serviceNameJson(service: number): string | null {
    return this.recovering(() => (this.current.exports.service_name(service) > 0 ? this.current.output() : null));
  }

  serviceName(service: number): string | null {
    const json = this.serviceNameJson(service);
    return json === null ? null : (JSON.parse(json) as string);
  }

  /** The core's counters (docs/abi.md, status): the instance in force's, since its last trap. */
  statusJson(): string {
    return this.recovering(() => {
      this.current.exports.status();
      return this.current.output();
    });
  }

  status(): GatewayStatus {
    return JSON.parse(this.statusJson()) as GatewayStatus;
  }

  /** Reads the constant addresses of the instance in force. */
  private attach(): void {
    const e = this.current.exports;
    this.inputPtr = e.input_ptr();
    this.capacity = e.input_capacity();
    this.verdictIndex = e.verdict_ptr() >> 2;
    this.remakeViews();
  }

  /** Views are remade after memory.grow, which detaches the old buffer. */
  private remakeViews(): void {
    const buffer = this.current.exports.memory.buffer;
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
