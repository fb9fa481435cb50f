// Configuration and key sets, parsed once by the core for every host
// (docs/abi.md, "Configuration JSON"). Key material is handed to the host
// here and never kept in the module: a Key holds only a host handle.

import { JsonReader, JsonType, JsonValue } from "./json/reader";
import { decodeBase64url, hexToBytes } from "./util/encoding";
import { algFromName, messageTypeOf, MessageType, ALG_ES256, ALG_EDDSA, ALG_A128GCM, ALG_AES_CCM_16_64_128 } from "./cose/alg";
import { claimBit } from "./claims";
import { keyImport, keyFree } from "./host";
import { GatewayConfig, GatewayConfigParser } from "./policy/gateway-config";

export const MAX_KEYS_PER_SET: i32 = 64;
export const MAX_KEYSETS: i32 = 16;
export const MAX_DESCRIPTORS: i32 = 64;
export const MAX_REVOKED: i32 = 4096;
export const DEFAULT_LEEWAY: f64 = 60;
/** The draft's registry value for CWT payloads. */
export const DESCRIPTOR_CWT: u32 = 0x2;

export const enum Format { CWT = 1, JOSE = 2 }

export class Key {
  constructor(public kid: ArrayBuffer, public alg: i32, public handle: i32) {}
}

export class KeySet {
  keys: Key[] = [];
  expect: MessageType = MessageType.NONE;
  /**
   * bip may match either endpoint of the packet, not only the source (the
   * reference deployment's rule); the default binds to the source.
   */
  eitherEndpoint: bool = false;
  constructor(public name: string) {}

  findByKid(ptr: usize, len: i32): Key | null {
    for (let i = 0; i < this.keys.length; i++) {
      const k = this.keys[i];
      if (k.kid.byteLength == len && memory.compare(changetype<usize>(k.kid), ptr, len) == 0) return k;
    }
    return null;
  }

  /** The key a kid-less message may use: the set's only key for that algorithm. */
  onlyKeyFor(alg: i32): Key | null {
    let found: Key | null = null;
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i].alg != alg) continue;
      if (found != null) return null;
      found = this.keys[i];
    }
    return found;
  }
}

export class Descriptor {
  constructor(public id: u32, public format: Format, public keyset: KeySet) {}
}

export class Config {
  leeway: f64 = DEFAULT_LEEWAY;
  required: u32 = 0;
  issuers: string[] = [];
  audiences: string[] = [];
  /** "u<decimal>" for integer ids, "b<hex>" for byte-string ids. */
  revoked: Set<string> = new Set<string>();
  descriptors: Descriptor[] = [];
  keysets: KeySet[] = [];
  /** The packet path's policy ("services", "gateway"). */
  gateway: GatewayConfig = new GatewayConfig();

  descriptor(id: u32): Descriptor | null {
    for (let i = 0; i < this.descriptors.length; i++) if (this.descriptors[i].id == id) return this.descriptors[i];
    return null;
  }

  keyset(name: string): KeySet | null {
    for (let i = 0; i < this.keysets.length; i++) if (this.keysets[i].name == name) return this.keysets[i];
    return null;
  }

  /** Without a descriptors list, 0x2 is CWT with key set "default" (made empty if absent). */
  addDefaultDescriptor(): void {
    let ks = this.keyset("default");
    if (ks == null) {
      ks = new KeySet("default");
      this.keysets.push(ks);
    }
    this.descriptors.push(new Descriptor(DESCRIPTOR_CWT, Format.CWT, ks));
  }

  freeKeys(): void {
    for (let i = 0; i < this.keysets.length; i++) {
      const ks = this.keysets[i].keys;
      for (let j = 0; j < ks.length; j++) keyFree(ks[j].handle);
    }
  }
}

function initialConfig(): Config {
  const c = new Config();
  c.addDefaultDescriptor();
  return c;
}

/** The configuration in force; replaced whole by a successful configure(). */
export let current = initialConfig();

export function setCurrent(c: Config): void {
  current.freeKeys();
  current = c;
}

// Shared phrases: each distinct string literal costs the module ~30 bytes
// plus two per character, and the field's path is what names the problem.
const NOT_OBJECT = " must be an object";
const NOT_ARRAY = " must be an array";
const NOT_STRING = " must be a string";
const NOT_CLAIM = " is not a claim name";

/** Builds a Config from JSON; on failure `error` says why and no key stays imported. */
export class ConfigParser {
  error: string = "";
  private config: Config = new Config();

  parse(ptr: usize, len: i32): Config | null {
    this.config = new Config();
    const reader = new JsonReader();
    const root = reader.parse(ptr, len);
    if (root == null) return this.fail(reader.error);
    if (root.type != JsonType.OBJECT) return this.fail("configuration must be a JSON object");
    if (!this.parseRoot(root)) {
      this.config.freeKeys();
      return null;
    }
    return this.config;
  }

  private fail(msg: string): Config | null {
    if (this.error.length == 0) this.error = msg;
    return null;
  }

  private bad(msg: string): bool {
    if (this.error.length == 0) this.error = msg;
    return false;
  }

  private parseRoot(root: JsonValue): bool {
    const c = this.config;
    if (!this.onlyMembers(root, ["leeway", "require", "issuers", "audiences", "revoked", "descriptors", "keysets", "services", "gateway", "comment"], "the configuration")) return false;
    const leeway = root.get("leeway");
    if (leeway != null) {
      if (leeway.type != JsonType.NUMBER || leeway.num < 0 || leeway.num > 86400) return this.bad("leeway must be a number of seconds from 0 to 86400");
      c.leeway = leeway.num;
    }
    const req = root.get("require");
    if (req != null) {
      if (req.type != JsonType.ARRAY) return this.bad("require" + NOT_ARRAY);
      for (let i = 0; i < req.items.length; i++) {
        const bit = req.items[i].type == JsonType.STRING ? claimBit(req.items[i].str) : 0;
        if (bit == 0) return this.bad("require[" + i.toString() + "]" + NOT_CLAIM);
        c.required |= bit;
      }
    }
    if (!this.stringList(root.get("issuers"), "issuers", c.issuers)) return false;
    if (!this.stringList(root.get("audiences"), "audiences", c.audiences)) return false;
    if (!this.parseRevoked(root.get("revoked"))) return false;
    const keysets = root.get("keysets");
    if (keysets != null) {
      if (keysets.type != JsonType.OBJECT) return this.bad("keysets" + NOT_OBJECT);
      if (keysets.keys.length > MAX_KEYSETS) return this.bad("more than " + MAX_KEYSETS.toString() + " key sets");
      for (let i = 0; i < keysets.keys.length; i++) {
        if (!this.parseKeySet(keysets.keys[i], keysets.items[i])) return false;
      }
    }
    const gateway = new GatewayConfigParser();
    if (!gateway.parse(root, c.gateway)) return this.bad(gateway.error);
    const descriptors = root.get("descriptors");
    if (descriptors == null) {
      c.addDefaultDescriptor();
      return true;
    }
    if (descriptors.type != JsonType.ARRAY) return this.bad("descriptors" + NOT_ARRAY);
    if (descriptors.items.length > MAX_DESCRIPTORS) return this.bad("more than " + MAX_DESCRIPTORS.toString() + " descriptors");
    for (let i = 0; i < descriptors.items.length; i++) {
      if (!this.parseDescriptor(descriptors.items[i], "descriptors[" + i.toString() + "]")) return false;
    }
    return true;
  }

  private stringList(v: JsonValue | null, name: string, out: string[]): bool {
    if (v == null) return true;
    if (v.type != JsonType.ARRAY) return this.bad(name + NOT_ARRAY);
    for (let i = 0; i < v.items.length; i++) {
      if (v.items[i].type != JsonType.STRING) return this.bad(name + "[" + i.toString() + "]" + NOT_STRING);
      out.push(v.items[i].str);
    }
    return true;
  }

  private parseRevoked(v: JsonValue | null): bool {
    if (v == null) return true;
    if (v.type != JsonType.ARRAY) return this.bad("revoked" + NOT_ARRAY);
    if (v.items.length > MAX_REVOKED) return this.bad("more than " + MAX_REVOKED.toString() + " revoked ids");
    for (let i = 0; i < v.items.length; i++) {
      const item = v.items[i];
      const where = "revoked[" + i.toString() + "]";
      if (item.type == JsonType.NUMBER) {
        if (!item.isInteger || item.num < 0 || item.num > 9007199254740991) return this.bad(where + " must be a non-negative integer or a hex string");
        this.config.revoked.add("u" + (<u64>item.num).toString());
      } else if (item.type == JsonType.STRING) {
        if (hexToBytes(item.str) == null) return this.bad(where + " must be lowercase hex");
        this.config.revoked.add("b" + item.str);
      } else return this.bad(where + " must be an integer or a hex string");
    }
    return true;
  }

  /** Typos in configuration must not pass silently (JWKs excepted: RFC 7517 §4 ignores unknown members). */
  private onlyMembers(v: JsonValue, allowed: string[], where: string): bool {
    for (let i = 0; i < v.keys.length; i++) {
      if (!allowed.includes(v.keys[i])) return this.bad("unknown member \"" + v.keys[i] + "\" in " + where);
    }
    return true;
  }

  private parseDescriptor(v: JsonValue, where: string): bool {
    if (v.type != JsonType.OBJECT) return this.bad(where + NOT_OBJECT);
    if (!this.onlyMembers(v, ["id", "format", "keyset", "comment"], where)) return false;
    const id = v.get("id");
    if (id == null || id.type != JsonType.NUMBER || !id.isInteger || id.num < 0 || id.num > 0x0fffffff) {
      return this.bad(where + ".id must be an integer from 0 to 0x0fffffff (28 bits)");
    }
    if (this.config.descriptor(<u32>id.num) != null) return this.bad(where + ".id is configured twice");
    const format = v.get("format");
    let f = Format.CWT;
    if (format != null) {
      if (format.type != JsonType.STRING) return this.bad(where + ".format" + NOT_STRING);
      if (format.str == "jose") f = Format.JOSE;
      else if (format.str != "cwt") return this.bad(where + ".format must be \"cwt\" or \"jose\"");
    }
    const name = v.get("keyset");
    if (name != null && name.type != JsonType.STRING) return this.bad(where + ".keyset" + NOT_STRING);
    const ksName = name != null ? name.str : "default";
    const ks = this.config.keyset(ksName);
    if (ks == null) return this.bad(where + ".keyset \"" + ksName + "\" is not defined");
    this.config.descriptors.push(new Descriptor(<u32>id.num, f, ks));
    return true;
  }

  private parseKeySet(name: string, v: JsonValue): bool {
    const where = "keysets." + name;
    if (v.type != JsonType.OBJECT) return this.bad(where + NOT_OBJECT);
    if (!this.onlyMembers(v, ["keys", "expect", "binding", "comment"], where)) return false;
    const ks = new KeySet(name);
    this.config.keysets.push(ks);
    const expect = v.get("expect");
    if (expect != null) {
      if (expect.type != JsonType.STRING) return this.bad(where + ".expect" + NOT_STRING);
      const e = expect.str;
      if (e == "mac0") ks.expect = MessageType.MAC0;
      else if (e == "sign1") ks.expect = MessageType.SIGN1;
      else if (e == "encrypt0") ks.expect = MessageType.ENCRYPT0;
      else if (e != "any") return this.bad(where + ".expect must be mac0, sign1, encrypt0 or any");
    }
    const binding = v.get("binding");
    if (binding != null) {
      if (binding.type != JsonType.STRING || (binding.str != "source" && binding.str != "either")) {
        return this.bad(where + ".binding must be \"source\" or \"either\"");
      }
      ks.eitherEndpoint = binding.str == "either";
    }
    let keys = v.get("keys");
    // A whole JWK Set ({"keys": [...]}) is accepted where the array is expected.
    if (keys != null && keys.type == JsonType.OBJECT) keys = keys.get("keys");
    if (keys == null || keys.type != JsonType.ARRAY) return this.bad(where + ".keys must be a JWK Set's keys array");
    if (keys.items.length > MAX_KEYS_PER_SET) return this.bad(where + " has more than " + MAX_KEYS_PER_SET.toString() + " keys");
    for (let i = 0; i < keys.items.length; i++) {
      if (!this.parseJwk(ks, keys.items[i], where + ".keys[" + i.toString() + "]")) return false;
    }
    return true;
  }

  /** RFC 7517 JWK to a host key handle; the key is bound to its one `alg`. */
  private parseJwk(ks: KeySet, v: JsonValue, where: string): bool {
    if (v.type != JsonType.OBJECT) return this.bad(where + NOT_OBJECT);
    const kid = stringMember(v, "kid");
    if (kid == null || kid.length == 0) return this.bad(where + " needs a kid");
    const kidBytes = String.UTF8.encode(kid);
    if (ks.findByKid(changetype<usize>(kidBytes), kidBytes.byteLength) != null) return this.bad(where + ": kid \"" + kid + "\" appears twice");
    const algValue = v.get("alg");
    let alg = 0;
    if (algValue != null && algValue.type == JsonType.STRING) alg = algFromName(algValue.str);
    else if (algValue != null && algValue.type == JsonType.NUMBER && algValue.isInteger) alg = <i32>algValue.num;
    if (algValue == null) return this.bad(where + " needs an alg (a key is bound to one algorithm)");
    if (messageTypeOf(alg) == MessageType.NONE) return this.bad(where + ": alg is not supported");
    const kty = stringMember(v, "kty");
    let raw: Uint8Array | null = null;
    if (kty == "oct") {
      if (messageTypeOf(alg) == MessageType.SIGN1) return this.bad(where + ": an oct key cannot have a signature alg");
      raw = b64Member(v, "k");
      if (raw == null) return this.bad(where + ".k must be base64url");
      const aes = alg == ALG_AES_CCM_16_64_128 || alg == ALG_A128GCM;
      if (aes && raw.length != 16) return this.bad(where + ": AES-128 keys are 16 bytes");
      if (!aes && raw.length < 16) return this.bad(where + ": HMAC keys must be at least 16 bytes");
    } else if (kty == "OKP") {
      if (alg != ALG_EDDSA || stringMember(v, "crv") != "Ed25519") return this.bad(where + ": OKP keys must be crv Ed25519 with alg EdDSA");
      raw = b64Member(v, "x");
      if (raw == null || raw.length != 32) return this.bad(where + ".x must be 32 bytes of base64url");
    } else if (kty == "EC") {
      if (alg != ALG_ES256 || stringMember(v, "crv") != "P-256") return this.bad(where + ": EC keys must be crv P-256 with alg ES256");
      const x = b64Member(v, "x");
      const y = b64Member(v, "y");
      if (x == null || y == null || x.length != 32 || y.length != 32) return this.bad(where + ".x and .y must be 32 bytes of base64url");
      raw = new Uint8Array(65);
      raw[0] = 4; // SEC 1 §2.3.3 uncompressed point
      raw.set(x!, 1);
      raw.set(y!, 33);
    } else {
      return this.bad(where + ".kty must be oct, OKP or EC");
    }
    const handle = keyImport(alg, raw.dataStart, raw.length);
    if (handle <= 0) return this.bad(where + ": the host refused the key");
    ks.keys.push(new Key(kidBytes, alg, handle));
    return true;
  }
}

function stringMember(v: JsonValue, name: string): string | null {
  const m = v.get(name);
  return m != null && m.type == JsonType.STRING ? m.str : null;
}

function b64Member(v: JsonValue, name: string): Uint8Array | null {
  const s = stringMember(v, name);
  return s == null ? null : decodeBase64url(s, false);
}
