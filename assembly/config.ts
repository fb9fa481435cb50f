// Configuration and key sets, parsed once by the core for every host
// (docs/abi.md, "Configuration JSON"). Key material is handed to the host
// here and never kept in the module: a Key holds only a host handle.

import { RevokedIds } from "./revoked";
import { JsonReader, JsonType, JsonValue } from "./json/reader";
import { decimal, decodeBase64url, hexToBytes } from "./util/encoding";
import {
  algFromName, messageTypeOf, MessageType, ALG_ES256, ALG_EDDSA, ALG_A128GCM, ALG_AES_CCM_16_64_128, ALG_A256GCM,
  ALG_A128CBC_HS256, ALG_A256CBC_HS512, ALG_HMAC_256_256, ALG_HMAC_512_512, ALG_A128CBC, ALG_A256CBC,
} from "./cose/alg";
import { joseName, keyAlgOf } from "./jose/names";
import { claimBit } from "./claims";
import { keyImport, keyFree } from "./host";
import { GatewayConfig, GatewayConfigParser } from "./policy/gateway-config";
import { Msg } from "./config-message-text";
import { element, member, message } from "./config-message";

export const MAX_KEYS_PER_SET: i32 = 64;
export const MAX_KEYSETS: i32 = 16;
export const MAX_DESCRIPTORS: i32 = 64;
export const MAX_REVOKED: i32 = 4096;
export const DEFAULT_LEEWAY: f64 = 60;
/** The draft's registry value for CWT payloads. */
export const DESCRIPTOR_CWT: u32 = 0x2;

export const enum Format { CWT = 1, JOSE = 2 }

export class Key {
  /** The MAC half of a JOSE AES-CBC-HMAC key (`handle` is its AES half); 0 otherwise. */
  mac: i32 = 0;
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
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      // The element read straight from the backing store: Array's unchecked get stays a call.
      const k = changetype<Key>(load<usize>(keys.dataStart + (<usize>i << alignof<usize>())));
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
  /** The service (index into the configuration's services) of a token that names none; 0: none. */
  service: i32 = 0;
  constructor(public id: u32, public format: Format, public keyset: KeySet) {}
}

export class Config {
  leeway: f64 = DEFAULT_LEEWAY;
  required: u32 = 0;
  issuers: string[] = [];
  audiences: string[] = [];
  /** "u<decimal>" for integer ids, "b<hex>" for byte-string ids. */
  revoked: RevokedIds = new RevokedIds();
  descriptors: Descriptor[] = [];
  keysets: KeySet[] = [];
  /** The packet path's policy ("services", "gateway"). */
  gateway: GatewayConfig = new GatewayConfig();

  @inline descriptor(id: u32): Descriptor | null {
    const list = this.descriptors;
    const n = list.length;
    const items = list.dataStart; // read directly: every token looks its descriptor up
    for (let i = 0; i < n; i++) {
      const d = load<Descriptor>(items + (<usize>i << alignof<usize>()));
      if (d.id == id) return d;
    }
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
      for (let j = 0; j < ks.length; j++) {
        if (ks[j].handle > 0) keyFree(ks[j].handle);
        if (ks[j].mac > 0) keyFree(ks[j].mac);
      }
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

/** Builds a Config from JSON; on failure `error` says why and no key stays imported. */
export class ConfigParser {
  error: string = "";
  private config: Config = new Config();

  parse(ptr: usize, len: i32): Config | null {
    this.config = new Config();
    const reader = new JsonReader();
    const root = reader.parse(ptr, len);
    if (root == null) return this.fail(reader.error);
    if (root.type != JsonType.OBJECT) return this.fail(message(Msg.CONFIGURATION_MUST_BE_A_JSON_OBJECT));
    if (!this.parseRoot(root)) {
      this.config.freeKeys();
      return null;
    }
    return this.config;
  }

  /**
   * Adds the ids of a JSON array (the form of "revoked") to `into`'s revoked
   * set: a revocation pushed to a running gateway (revoke()). False with
   * `error` set when the text is not such an array or the set would pass
   * its limit; `into` is then unchanged.
   */
  addRevoked(ptr: usize, len: i32, into: Config): bool {
    const reader = new JsonReader();
    const root = reader.parse(ptr, len);
    if (root == null) {
      this.error = reader.error;
      return false;
    }
    this.config = new Config();
    if (!this.parseRevoked(root)) return false;
    const ids = this.config.revoked.values();
    let added = 0;
    for (let i = 0; i < ids.length; i++) if (!into.revoked.has(ids[i])) added++;
    if (into.revoked.size + added > MAX_REVOKED) return this.bad(Msg.MORE_THAN_N_REVOKED_IDS, "", decimal(MAX_REVOKED));
    for (let i = 0; i < ids.length; i++) into.revoked.add(ids[i]);
    return true;
  }

  private fail(msg: string): Config | null {
    if (this.error.length == 0) this.error = msg;
    return null;
  }

  /** Records the first failure (Msg m about the field at `where`) and returns false. */
  private bad(m: Msg, where: string = "", arg: string = ""): bool {
    if (this.error.length == 0) this.error = message(m, where, arg);
    return false;
  }

  private parseRoot(root: JsonValue): bool {
    const c = this.config;
    if (!this.onlyMembers(root, ["leeway", "require", "issuers", "audiences", "revoked", "descriptors", "keysets", "services", "gateway", "comment"], "the configuration")) return false;
    const leeway = root.get("leeway");
    if (leeway != null) {
      if (leeway.type != JsonType.NUMBER || leeway.num < 0 || leeway.num > 86400) return this.bad(Msg.LEEWAY_MUST_BE_SECONDS_FROM_0_TO_86400);
      c.leeway = leeway.num;
    }
    const req = root.get("require");
    if (req != null) {
      if (req.type != JsonType.ARRAY) return this.bad(Msg.MUST_BE_AN_ARRAY, "require");
      for (let i = 0; i < req.items.length; i++) {
        const bit = req.items[i].type == JsonType.STRING ? claimBit(req.items[i].str) : 0;
        if (bit == 0) return this.bad(Msg.IS_NOT_A_CLAIM_NAME, element("require", i));
        c.required |= bit;
      }
    }
    if (!this.stringList(root.get("issuers"), "issuers", c.issuers)) return false;
    if (!this.stringList(root.get("audiences"), "audiences", c.audiences)) return false;
    if (!this.parseRevoked(root.get("revoked"))) return false;
    const keysets = root.get("keysets");
    if (keysets != null) {
      if (keysets.type != JsonType.OBJECT) return this.bad(Msg.MUST_BE_AN_OBJECT, "keysets");
      if (keysets.keys.length > MAX_KEYSETS) return this.bad(Msg.MORE_THAN_N_KEY_SETS, "", decimal(MAX_KEYSETS));
      for (let i = 0; i < keysets.keys.length; i++) {
        if (!this.parseKeySet(keysets.keys[i], keysets.items[i])) return false;
      }
    }
    const gateway = new GatewayConfigParser();
    if (!gateway.parse(root, c.gateway)) {
      this.fail(gateway.error);
      return false;
    }
    const descriptors = root.get("descriptors");
    if (descriptors == null) {
      c.addDefaultDescriptor();
      return true;
    }
    if (descriptors.type != JsonType.ARRAY) return this.bad(Msg.MUST_BE_AN_ARRAY, "descriptors");
    if (descriptors.items.length > MAX_DESCRIPTORS) return this.bad(Msg.MORE_THAN_N_DESCRIPTORS, "", decimal(MAX_DESCRIPTORS));
    for (let i = 0; i < descriptors.items.length; i++) {
      if (!this.parseDescriptor(descriptors.items[i], element("descriptors", i))) return false;
    }
    return true;
  }

  private stringList(v: JsonValue | null, name: string, out: string[]): bool {
    if (v == null) return true;
    if (v.type != JsonType.ARRAY) return this.bad(Msg.MUST_BE_AN_ARRAY, name);
    for (let i = 0; i < v.items.length; i++) {
      if (v.items[i].type != JsonType.STRING) return this.bad(Msg.MUST_BE_A_STRING, element(name, i));
      out.push(v.items[i].str);
    }
    return true;
  }

  private parseRevoked(v: JsonValue | null): bool {
    if (v == null) return true;
    if (v.type != JsonType.ARRAY) return this.bad(Msg.MUST_BE_AN_ARRAY, "revoked");
    if (v.items.length > MAX_REVOKED) return this.bad(Msg.MORE_THAN_N_REVOKED_IDS, "", decimal(MAX_REVOKED));
    for (let i = 0; i < v.items.length; i++) {
      const item = v.items[i];
      if (item.type == JsonType.NUMBER) {
        // Exactly, to 2^64 - 1: an nti may be any CBOR unsigned integer.
        if (!item.isUint) return this.bad(Msg.REVOKED_MUST_BE_A_NON_NEGATIVE_INTEGER_OR_HEX, element("revoked", i));
        this.config.revoked.add("u" + decimal(item.uint));
      } else if (item.type == JsonType.STRING) {
        if (hexToBytes(item.str) == null) return this.bad(Msg.REVOKED_MUST_BE_LOWERCASE_HEX, element("revoked", i));
        this.config.revoked.add("b" + item.str);
      } else return this.bad(Msg.REVOKED_MUST_BE_AN_INTEGER_OR_HEX, element("revoked", i));
    }
    return true;
  }

  /** Typos in configuration must not pass silently (JWKs excepted: RFC 7517 §4 ignores unknown members). */
  private onlyMembers(v: JsonValue, allowed: string[], where: string): bool {
    for (let i = 0; i < v.keys.length; i++) {
      if (!allowed.includes(v.keys[i])) return this.bad(Msg.UNKNOWN_MEMBER_IN, where, v.keys[i]);
    }
    return true;
  }

  private parseDescriptor(v: JsonValue, where: string): bool {
    if (v.type != JsonType.OBJECT) return this.bad(Msg.MUST_BE_AN_OBJECT, where);
    if (!this.onlyMembers(v, ["id", "format", "keyset", "service", "comment"], where)) return false;
    const id = v.get("id");
    if (id == null || id.type != JsonType.NUMBER || !id.isInteger || id.num < 0 || id.num > 0x0fffffff) {
      return this.bad(Msg.DESCRIPTOR_ID_RANGE, where);
    }
    if (this.config.descriptor(<u32>id.num) != null) return this.bad(Msg.DESCRIPTOR_ID_CONFIGURED_TWICE, where);
    const format = v.get("format");
    let f = Format.CWT;
    if (format != null) {
      if (format.type != JsonType.STRING) return this.bad(Msg.MUST_BE_A_STRING, member(where, "format"));
      if (format.str == "jose") f = Format.JOSE;
      else if (format.str != "cwt") return this.bad(Msg.DESCRIPTOR_FORMAT, where);
    }
    const name = v.get("keyset");
    if (name != null && name.type != JsonType.STRING) return this.bad(Msg.MUST_BE_A_STRING, member(where, "keyset"));
    const ksName = name != null ? name.str : "default";
    const ks = this.config.keyset(ksName);
    if (ks == null) return this.bad(Msg.KEYSET_IS_NOT_DEFINED, where, ksName);
    const d = new Descriptor(<u32>id.num, f, ks);
    // Per-service descriptors (the first deployment's 0x10001, 0xB00F) carry the service.
    const service = v.get("service");
    if (service != null) {
      if (service.type != JsonType.STRING) return this.bad(Msg.MUST_BE_A_STRING, member(where, "service"));
      d.service = this.config.gateway.serviceIndexByName(service.str);
      if (d.service == 0) return this.bad(Msg.DESCRIPTOR_SERVICE_IS_NOT_DEFINED, where, service.str);
    }
    this.config.descriptors.push(d);
    return true;
  }

  private parseKeySet(name: string, v: JsonValue): bool {
    const where = member("keysets", name);
    if (v.type != JsonType.OBJECT) return this.bad(Msg.MUST_BE_AN_OBJECT, where);
    if (!this.onlyMembers(v, ["keys", "expect", "binding", "comment"], where)) return false;
    const ks = new KeySet(name);
    this.config.keysets.push(ks);
    const expect = v.get("expect");
    if (expect != null) {
      if (expect.type != JsonType.STRING) return this.bad(Msg.MUST_BE_A_STRING, member(where, "expect"));
      const e = expect.str;
      if (e == "mac0") ks.expect = MessageType.MAC0;
      else if (e == "sign1") ks.expect = MessageType.SIGN1;
      else if (e == "encrypt0") ks.expect = MessageType.ENCRYPT0;
      else if (e != "any") return this.bad(Msg.KEYSET_EXPECT, where);
    }
    const binding = v.get("binding");
    if (binding != null) {
      if (binding.type != JsonType.STRING || (binding.str != "source" && binding.str != "either")) {
        return this.bad(Msg.KEYSET_BINDING, where);
      }
      ks.eitherEndpoint = binding.str == "either";
    }
    let keys = v.get("keys");
    // A whole JWK Set ({"keys": [...]}) is accepted where the array is expected.
    if (keys != null && keys.type == JsonType.OBJECT) keys = keys.get("keys");
    if (keys == null || keys.type != JsonType.ARRAY) return this.bad(Msg.KEYSET_KEYS, where);
    if (keys.items.length > MAX_KEYS_PER_SET) return this.bad(Msg.KEYSET_HAS_MORE_THAN_N_KEYS, where, decimal(MAX_KEYS_PER_SET));
    for (let i = 0; i < keys.items.length; i++) {
      if (!this.parseJwk(ks, keys.items[i], element(member(where, "keys"), i))) return false;
    }
    return true;
  }

  /** RFC 7517 JWK to a host key handle; the key is bound to its one `alg`. */
  private parseJwk(ks: KeySet, v: JsonValue, where: string): bool {
    if (v.type != JsonType.OBJECT) return this.bad(Msg.MUST_BE_AN_OBJECT, where);
    const kid = stringMember(v, "kid");
    if (kid == null || kid.length == 0) return this.bad(Msg.JWK_NEEDS_A_KID, where);
    const kidBytes = String.UTF8.encode(kid, false, String.UTF8.ErrorMode.WTF8);
    if (ks.findByKid(changetype<usize>(kidBytes), kidBytes.byteLength) != null) return this.bad(Msg.JWK_KID_APPEARS_TWICE, where, kid);
    const algValue = v.get("alg");
    let alg = 0;
    if (algValue != null && algValue.type == JsonType.STRING) {
      alg = algFromName(algValue.str);
      if (alg == 0) alg = keyAlgOf(joseName(algValue.str));
    }
    else if (algValue != null && algValue.type == JsonType.NUMBER && algValue.isInteger) alg = <i32>algValue.num;
    if (algValue == null) return this.bad(Msg.JWK_NEEDS_AN_ALG, where);
    // JOSE-only algorithms: no COSE message type, one key length each.
    const joseSize = alg == ALG_A256CBC_HS512 ? 64 : alg == ALG_A256GCM || alg == ALG_A128CBC_HS256 ? 32 : 0;
    if (joseSize == 0 && messageTypeOf(alg) == MessageType.NONE) return this.bad(Msg.JWK_ALG_IS_NOT_SUPPORTED, where);
    const kty = stringMember(v, "kty");
    let raw: Uint8Array | null = null;
    if (kty == "oct") {
      if (messageTypeOf(alg) == MessageType.SIGN1) return this.bad(Msg.JWK_OCT_KEY_WITH_A_SIGNATURE_ALG, where);
      raw = b64Member(v, "k");
      if (raw == null) return this.bad(Msg.JWK_K_MUST_BE_BASE64URL, where);
      const aes = alg == ALG_AES_CCM_16_64_128 || alg == ALG_A128GCM;
      if (aes && raw.length != 16) return this.bad(Msg.JWK_AES_128_KEYS_ARE_16_BYTES, where);
      if (joseSize != 0 && raw.length != joseSize) return this.bad(Msg.JWK_K_MUST_BE_N_BYTES, where, decimal(joseSize));
      if (!aes && raw.length < 16) return this.bad(Msg.JWK_HMAC_KEYS_AT_LEAST_16_BYTES, where);
    } else if (kty == "OKP") {
      if (alg != ALG_EDDSA || stringMember(v, "crv") != "Ed25519") return this.bad(Msg.JWK_OKP_KEYS_ED25519_EDDSA, where);
      raw = b64Member(v, "x");
      if (raw == null || raw.length != 32) return this.bad(Msg.JWK_X_MUST_BE_32_BYTES, where);
    } else if (kty == "EC") {
      if (alg != ALG_ES256 || stringMember(v, "crv") != "P-256") return this.bad(Msg.JWK_EC_KEYS_P256_ES256, where);
      const x = b64Member(v, "x");
      const y = b64Member(v, "y");
      if (x == null || y == null || x.length != 32 || y.length != 32) return this.bad(Msg.JWK_X_AND_Y_MUST_BE_32_BYTES, where);
      raw = new Uint8Array(65);
      raw[0] = 4; // SEC 1 §2.3.3 uncompressed point
      raw.set(x!, 1);
      raw.set(y!, 33);
    } else {
      return this.bad(Msg.JWK_KTY, where);
    }
    // RFC 7518 §5.2.2.1: an AES-CBC-HMAC key is MAC_KEY, then ENC_KEY, of
    // half its length each. The host gets them as two keys: it never splits one.
    const cbc = alg == ALG_A128CBC_HS256 || alg == ALG_A256CBC_HS512;
    const hs256 = alg == ALG_A128CBC_HS256;
    const half = cbc ? raw.length >> 1 : 0;
    const key = new Key(kidBytes, alg, keyImport(cbc ? (hs256 ? ALG_A128CBC : ALG_A256CBC) : alg, raw.dataStart + half, raw.length - half));
    if (cbc) key.mac = keyImport(hs256 ? ALG_HMAC_256_256 : ALG_HMAC_512_512, raw.dataStart, half);
    // Kept even when refused: a failed configuration frees every handle it got (freeKeys).
    ks.keys.push(key);
    return key.handle > 0 && key.mac >= 0 ? true : this.bad(Msg.JWK_THE_HOST_REFUSED_THE_KEY, where);
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
