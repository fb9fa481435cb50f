// The typed TypeScript API over the core, in the spirit of jose:
//   const v = await Verifier.open(config); v.verify(bytes, { now })
// Every answer comes from ntok.wasm; this file only converts types.
import { Core, FLAG_BARE_CWT } from './core.js';
import { fastestCrypto, type CryptoProvider } from './crypto.js';

export interface TokenClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  /** lowercase hex */
  cti?: string;
  /** integer, or lowercase hex for a byte-string id */
  nti?: number | string;
  srv?: string | number;
  sid?: number;
  /** IP text, with /prefix for a prefix binding */
  bip?: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Stable result code name (docs/abi.md), e.g. "ok", "bad-mac", "expired". */
  code: string;
  message?: string;
  claims?: TokenClaims;
  kid?: string;
  /** COSE algorithm number; for a JOSE token the header's name (a JWE's is "dir", with `enc`). */
  alg?: number | string;
  /** A JWE's content encryption (JOSE tokens). */
  enc?: string;
  descriptor: number;
  reflect: number;
}

export interface VerifyOptions {
  /** Unix time in seconds (default: the host clock). */
  now?: number;
  /** The input is a bare COSE/CWT message without the 4-byte header. */
  bareCwt?: boolean;
}

export interface OpenOptions {
  crypto?: CryptoProvider;
  /** ntok.wasm bytes (default: build/ntok.wasm). */
  wasm?: Uint8Array;
  /**
   * Linear memory ceiling in 64 KiB pages, as a board's `wasm_pages` caps it
   * under wasm3 (default: none but the engine's). Growing past it fails
   * inside the core: a trap, which Gateway recovers from.
   */
  maxPages?: number;
}

/** A failure of the API itself (not a token verdict), with a stable code. */
export class NtokError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'NtokError';
  }
}

export class Verifier {
  private constructor(readonly core: Core) {}

  /** Instantiates the core and loads `config` (docs/abi.md, "Configuration JSON"). */
  static async open(config: object | string, options: OpenOptions = {}): Promise<Verifier> {
    const crypto = options.crypto ?? (await fastestCrypto());
    const v = new Verifier(await Core.instantiate(crypto, options.wasm, options.maxPages));
    v.configure(config);
    return v;
  }

  /** Replaces the configuration; on error the old one stays and NtokError says why. */
  configure(config: object | string): void {
    const bytes = new TextEncoder().encode(typeof config === 'string' ? config : JSON.stringify(config));
    const e = this.core.exports;
    const code = this.core.writeInput(bytes) ? e.configure(bytes.length) : e.configure(e.input_capacity() + 1);
    if (code !== 0) {
      const out = JSON.parse(this.core.output()) as { code: string; message: string };
      throw new NtokError(out.code, out.message);
    }
  }

  /** The core's JSON, byte for byte (what `ntok verify --json` prints). */
  verifyJson(token: Uint8Array, options: VerifyOptions = {}): string {
    const e = this.core.exports;
    const now = options.now ?? Date.now() / 1000;
    const flags = options.bareCwt ? FLAG_BARE_CWT : 0;
    const len = this.core.writeInput(token) ? token.length : e.input_capacity() + 1;
    e.verify(len, now, flags);
    return this.core.output();
  }

  verify(token: Uint8Array, options: VerifyOptions = {}): VerifyResult {
    return JSON.parse(this.verifyJson(token, options)) as VerifyResult;
  }

  /** Decodes without verifying (an Encrypt0 layer is opened when a key fits). */
  inspectJson(token: Uint8Array, options: { bareCwt?: boolean } = {}): string {
    const e = this.core.exports;
    const len = this.core.writeInput(token) ? token.length : e.input_capacity() + 1;
    e.inspect(len, options.bareCwt ? FLAG_BARE_CWT : 0);
    return this.core.output();
  }

  inspect(token: Uint8Array, options: { bareCwt?: boolean } = {}): Record<string, unknown> {
    return JSON.parse(this.inspectJson(token, options)) as Record<string, unknown>;
  }

  /** The stable names of all result codes, from the core's table. */
  resultCodes(): string[] {
    return this.core.resultCodes();
  }
}
