// Loads ntok.wasm and provides its `env` imports (docs/abi.md) from a
// CryptoProvider. Thin by design: bytes in, result code and the core's JSON
// out. Nothing here knows about tokens.
import type { CryptoProvider, KeyRef } from './crypto.js';
import { withMemoryMaximum } from './memory-limit.js';

export interface CoreExports {
  memory: WebAssembly.Memory;
  abi_version(): number;
  input_ptr(): number;
  input_capacity(): number;
  output_ptr(): number;
  output_len(): number;
  configure(len: number): number;
  verify(len: number, now: number, flags: number): number;
  inspect(len: number, flags: number): number;
  result_name(code: number): number;
  result_message(code: number): number;
  process(len: number, link: number, direction: number, now: number): number;
  verdict_ptr(): number;
  flow_name(flow: number): number;
  service_name(service: number): number;
  status(): number;
  revoke(len: number): number;
  nat_ptr(): number;
  set_nat(len: number): void;
}

export const ABI_VERSION = 1;
export const FLAG_BARE_CWT = 1;

/** The wasm module built by `npm run build:wasm`, read once per process. */
let cachedModule: Promise<WebAssembly.Module> | undefined;
let cachedBytes: Promise<Uint8Array> | undefined;

async function defaultWasm(): Promise<Uint8Array> {
  cachedBytes ??= (async () => {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(new URL('../../../build/ntok.wasm', import.meta.url)));
  })();
  return cachedBytes;
}

/**
 * Compiles `bytes` (default: build/ntok.wasm, compiled once). `maxPages`
 * caps linear memory as a board's wasm_pages does (memory-limit.ts).
 */
export async function loadModule(bytes?: Uint8Array, maxPages?: number): Promise<WebAssembly.Module> {
  if (maxPages !== undefined) return WebAssembly.compile(withMemoryMaximum(bytes ?? (await defaultWasm()), maxPages) as Uint8Array<ArrayBuffer>);
  if (bytes) return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  cachedModule ??= (async () => WebAssembly.compile((await defaultWasm()) as Uint8Array<ArrayBuffer>))();
  return cachedModule;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Keys the host holds for one instance, by handle (the core only sees handles). */
export class KeyTable {
  private readonly keys = new Map<number, KeyRef>();
  private nextHandle = 1;

  add(ref: KeyRef): number {
    const handle = this.nextHandle++;
    this.keys.set(handle, ref);
    return handle;
  }

  get(handle: number): KeyRef | undefined {
    return this.keys.get(handle);
  }

  delete(handle: number): void {
    this.keys.delete(handle);
  }

  get size(): number {
    return this.keys.size;
  }
}

type Import = (...args: number[]) => number | void;

/**
 * The `env` imports of docs/abi.md over a CryptoProvider, for an instance
 * whose memory `memory()` returns once it exists. Used by Core and by the
 * as-pect specs of the core, so both run the same glue.
 */
export function hostImports(crypto: CryptoProvider, memory: () => WebAssembly.Memory, keys: KeyTable): Record<string, Import> {
  // Views are made per call: memory.grow detaches old ArrayBuffers.
  const mem = (ptr: number, len: number) => new Uint8Array(memory().buffer, ptr, len);
  const env: Record<string, Import> = {
    key_import(alg: number, ptr: number, len: number): number {
      try {
        return keys.add(crypto.importKey(alg, mem(ptr, len).slice()));
      } catch {
        return -1;
      }
    },
    key_free(handle: number): void {
      keys.delete(handle);
    },
    sha256(ptr: number, len: number, out: number): void {
      mem(out, 32).set(crypto.sha256(mem(ptr, len)));
    },
    hmac_sha256(handle: number, ptr: number, len: number, out: number): number {
      const k = keys.get(handle);
      if (k === undefined) return -2;
      mem(out, 32).set(crypto.hmacSha256(k, mem(ptr, len)));
      return 0;
    },
    hmac_sha512(handle: number, ptr: number, len: number, out: number): number {
      const k = keys.get(handle);
      if (k === undefined) return -2;
      mem(out, 64).set(crypto.hmacSha512(k, mem(ptr, len)));
      return 0;
    },
    ed25519_verify(handle: number, msg: number, msgLen: number, sig: number, sigLen: number): number {
      const k = keys.get(handle);
      if (k === undefined) return -2;
      return crypto.ed25519Verify(k, mem(msg, msgLen), mem(sig, sigLen)) ? 1 : 0;
    },
    p256_verify(handle: number, msg: number, msgLen: number, sig: number, sigLen: number): number {
      const k = keys.get(handle);
      if (k === undefined) return -2;
      return crypto.p256Verify(k, mem(msg, msgLen), mem(sig, sigLen)) ? 1 : 0;
    },
    aes_ccm_decrypt(handle: number, nonce: number, nonceLen: number, aad: number, aadLen: number,
      ct: number, ctLen: number, tagLen: number, out: number): number {
      const k = keys.get(handle);
      if (k === undefined) return -2;
      const pt = crypto.aesCcmDecrypt(k, mem(nonce, nonceLen), mem(aad, aadLen), mem(ct, ctLen), tagLen);
      if (pt === null) return -1;
      mem(out, pt.length).set(pt);
      return pt.length;
    },
    aes_gcm_decrypt(handle: number, nonce: number, nonceLen: number, aad: number, aadLen: number,
      ct: number, ctLen: number, out: number): number {
      const k = keys.get(handle);
      if (k === undefined) return -2;
      const pt = crypto.aesGcmDecrypt(k, mem(nonce, nonceLen), mem(aad, aadLen), mem(ct, ctLen));
      if (pt === null) return -1;
      mem(out, pt.length).set(pt);
      return pt.length;
    },
    aes_cbc_decrypt(handle: number, iv: number, ct: number, ctLen: number, out: number): number {
      const k = keys.get(handle);
      if (k === undefined) return -2;
      const pt = crypto.aesCbcDecrypt(k, mem(iv, 16), mem(ct, ctLen));
      mem(out, pt.length).set(pt);
      return pt.length;
    },
  };
  // An exception thrown through the core would abandon it mid-call; every
  // import answers with a negative code instead (docs/abi.md: host error).
  const guarded: Record<string, Import> = {};
  for (const [name, fn] of Object.entries(env)) {
    guarded[name] = (...args: number[]) => {
      try {
        return fn(...args);
      } catch {
        return -4;
      }
    };
  }
  return guarded;
}

/** One instance of the core with its key table. */
export class Core {
  readonly exports: CoreExports;
  private readonly keys: KeyTable;

  private constructor(exports: CoreExports, keys: KeyTable, readonly module: WebAssembly.Module) {
    this.exports = exports;
    this.keys = keys;
  }

  static async instantiate(crypto: CryptoProvider, wasm?: Uint8Array, maxPages?: number): Promise<Core> {
    return Core.fromModule(await loadModule(wasm, maxPages), crypto);
  }

  /**
   * A new instance of a compiled module, synchronously: what a host needs to
   * replace an instance that trapped without waiting (src/host/gateway.ts).
   */
  static fromModule(module: WebAssembly.Module, crypto: CryptoProvider): Core {
    let core: Core | undefined;
    const keys = new KeyTable();
    const env = hostImports(crypto, () => core!.exports.memory, keys);
    const instance = new WebAssembly.Instance(module, { env });
    core = new Core(instance.exports as unknown as CoreExports, keys, module);
    if (core.exports.abi_version() !== ABI_VERSION) throw new Error(`ntok.wasm ABI ${core.exports.abi_version()}, host expects ${ABI_VERSION}`);
    return core;
  }

  /** Copies bytes into the input buffer; false when they do not fit. */
  writeInput(bytes: Uint8Array): boolean {
    const e = this.exports;
    if (bytes.length > e.input_capacity()) return false;
    new Uint8Array(e.memory.buffer, e.input_ptr(), bytes.length).set(bytes);
    return true;
  }

  /** The JSON text the last call wrote. */
  output(): string {
    const e = this.exports;
    return utf8.decode(new Uint8Array(e.memory.buffer, e.output_ptr(), e.output_len()));
  }

  liveKeys(): number {
    return this.keys.size;
  }

  /** Every result code's stable name, read from the core's own table. */
  resultCodes(): string[] {
    const names: string[] = [];
    for (let code = 0; ; code++) {
      if (this.exports.result_name(code) === 0) return names;
      names.push(this.output());
    }
  }

  resultMessage(code: number): string {
    this.exports.result_message(code);
    return this.output();
  }
}
