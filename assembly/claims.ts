// CWT claims (RFC 8392 §3) and the network-token claims of the draft
// (nti, bip, srv, sid: text keys). Decoding records (ptr, len) views into
// the token; nothing is copied.

import { CborReader, DuplicateKeys, Major } from "./cbor/reader";
import { Code } from "./result";
import { Detail } from "./detail-text";
import { TextKind, textKind } from "./util/bytes";
import { Prefix } from "./util/prefix";
import { JsonWriter } from "./json/writer";
import { JsonKey } from "./json-key-text";

/** A claim's bit number: Claim X is 1 << ClaimIndex X. */
const enum ClaimIndex { ISS, SUB, AUD, EXP, NBF, IAT, CTI, NTI, SRV, SID, BIP }

export const enum Claim {
  ISS = 1 << ClaimIndex.ISS,
  SUB = 1 << ClaimIndex.SUB,
  AUD = 1 << ClaimIndex.AUD,
  EXP = 1 << ClaimIndex.EXP,
  NBF = 1 << ClaimIndex.NBF,
  IAT = 1 << ClaimIndex.IAT,
  CTI = 1 << ClaimIndex.CTI,
  NTI = 1 << ClaimIndex.NTI,
  SRV = 1 << ClaimIndex.SRV,
  SID = 1 << ClaimIndex.SID,
  BIP = 1 << ClaimIndex.BIP,
}

const NAMES: string[] = ["iss", "sub", "aud", "exp", "nbf", "iat", "cti", "nti", "srv", "sid", "bip"];

/** The bit of a claim name, 0 for a name ntok does not know. */
export function claimBit(name: string): u32 {
  const i = NAMES.indexOf(name);
  return i < 0 ? 0 : <u32>1 << <u32>i;
}

export function claimName(bit: u32): string {
  return NAMES[ctz(bit)];
}

/** A bip given as text (JWT claims have no byte strings). */
const BIP_TEXT = new Prefix();

/** Most audiences an aud array may list (RFC 7519 allows an array). */
const MAX_AUDIENCES: i32 = 16;

/**
 * A NumericDate: integer or floating point (RFC 8392 §2). Unmanaged: the
 * three live as long as the module (in the one Claims), so the collector
 * need not know them.
 */
@unmanaged
class NumericDate {
  value: f64 = 0;
  isFloat: bool = false;
  negative: bool = false;
  magnitude: u64 = 0;

  write(w: JsonWriter): void {
    if (this.isFloat) w.number(this.value);
    // -1 - magnitude; -2^64 itself does not fit a u64 (RFC 8949 §3.1 major type 1).
    else if (this.negative) {
      if (this.magnitude == u64.MAX_VALUE) w.ascii("-18446744073709551616");
      else {
        w.byte(0x2d);
        w.uint(this.magnitude + 1);
      }
    }
    else w.uint(this.magnitude);
  }
}

export class Claims {
  present: u32 = 0;
  /** Text claims keep what textKind() found: plain text is written to results in one copy. */
  issPtr: usize = 0; issLen: i32 = 0; issKind: TextKind = TextKind.UNKNOWN;
  subPtr: usize = 0; subLen: i32 = 0; subKind: TextKind = TextKind.UNKNOWN;
  /** The aud item as encoded (a text string or an array of them). */
  audPtr: usize = 0; audLen: i32 = 0;
  exp: NumericDate = new NumericDate();
  nbf: NumericDate = new NumericDate();
  iat: NumericDate = new NumericDate();
  ctiPtr: usize = 0; ctiLen: i32 = 0;
  ntiIsBytes: bool = false; ntiPtr: usize = 0; ntiLen: i32 = 0; nti: u64 = 0;
  srvIsText: bool = false; srvPtr: usize = 0; srvLen: i32 = 0; srvKind: TextKind = TextKind.UNKNOWN; srv: u64 = 0;
  sid: u64 = 0;
  /** Bound address (4 or 16 bytes) kept in `bipBytes`; prefix -1 when a whole address. */
  bipBytes: usize = memory.data(16);
  bipLen: i32 = 0;
  bipPrefix: i32 = -1;

  @inline
  reset(): void {
    this.present = 0;
    this.bipPrefix = -1;
  }

  has(c: Claim): bool {
    return (this.present & c) != 0;
  }

  /** Decodes a claims map; the reader sits at its head. */
  decode(r: CborReader, keys: DuplicateKeys): bool {
    this.reset();
    if (r.peekMajor() != Major.MAP) return r.fail(Code.NOT_CWT, Detail.PAYLOAD_IS_NOT_A_CWT_CLAIMS_MAP);
    const n = r.map();
    if (n < 0) return false;
    keys.clear();
    for (let i = 0; i < n; i++) {
      if (r.smallUint() < 0 && !r.head()) return false;
      if (r.major != Major.UINT && r.major != Major.NINT && r.major != Major.TEXT) return r.fail(Code.MALFORMED, Detail.CLAIM_KEY_IS_NEITHER_INTEGER_NOR_TEXT);
      let bit: u32 = 0;
      if (r.major == Major.UINT && r.arg >= 1 && r.arg <= 7) bit = <u32>1 << <u32>(r.arg - 1);
      else if (r.major == Major.TEXT) bit = this.textClaim(r.ptr, r.len);
      if (bit == 0) {
        // RFC 8392 §3: claims not understood are ignored, but a repeated key is refused all the same.
        if (!keys.add(r) || !r.skip(1)) return false;
        continue;
      }
      // A known claim has a key of its own: seen twice, its bit is already set.
      if (this.present & bit) return r.fail(Code.MALFORMED, Detail.DUPLICATE_MAP_KEY);
      if (!this.decodeClaim(r, bit)) return false;
    }
    return true;
  }

  private textClaim(ptr: usize, len: i32): u32 {
    if (len != 3) return 0;
    const a = load<u8>(ptr), b = load<u8>(ptr + 1), c = load<u8>(ptr + 2);
    if (a == 0x6e && b == 0x74 && c == 0x69) return Claim.NTI; // "nti"
    if (a == 0x62 && b == 0x69 && c == 0x70) return Claim.BIP; // "bip"
    if (a == 0x73 && b == 0x72 && c == 0x76) return Claim.SRV; // "srv"
    if (a == 0x73 && b == 0x69 && c == 0x64) return Claim.SID; // "sid"
    return 0;
  }

  private bad(r: CborReader, bit: u32): bool {
    return r.fail(Code.BAD_CLAIM, Detail.CLAIM_HAS_THE_WRONG_TYPE, claimName(bit));
  }

  /** The kind of the text claim text() read last. */
  private kind: TextKind = TextKind.UNKNOWN;

  private text(r: CborReader, bit: u32): bool {
    if (!r.head()) return false;
    if (r.major != Major.TEXT) return this.bad(r, bit);
    return this.validText(r);
  }

  @inline private validText(r: CborReader): bool {
    const kind = textKind(r.ptr, r.len);
    if (kind == TextKind.INVALID) return r.fail(Code.MALFORMED, Detail.TEXT_STRING_IS_NOT_VALID_UTF_8);
    this.kind = kind;
    return true;
  }

  private date(r: CborReader, bit: u32, d: NumericDate): bool {
    if (!r.head()) return false;
    d.isFloat = false;
    d.negative = false;
    if (r.major == Major.UINT) {
      d.magnitude = r.arg;
      d.value = <f64>r.arg;
    } else if (r.major == Major.NINT) {
      d.negative = true;
      d.magnitude = r.arg;
      d.value = -1.0 - <f64>r.arg;
    } else if (r.isFloat()) {
      // A float time must be a time: finite and within the doubles' exact integers.
      if (!(Math.abs(r.float) < 9007199254740992.0)) return this.bad(r, bit);
      d.isFloat = true;
      d.value = r.float;
    } else return this.bad(r, bit);
    return true;
  }

  /** The value of claim `bit` at the reader's head (a CWT's, or a JWT's rewritten as CBOR). */
  decodeClaim(r: CborReader, bit: u32): bool {
    this.present |= bit;
    // On the bit's number, not the bit: dense cases are one table jump, not a chain of compares.
    switch (<i32>ctz(bit)) {
      case ClaimIndex.ISS:
        if (!this.text(r, bit)) return false;
        this.issPtr = r.ptr; this.issLen = r.len; this.issKind = this.kind;
        return true;
      case ClaimIndex.SUB:
        if (!this.text(r, bit)) return false;
        this.subPtr = r.ptr; this.subLen = r.len; this.subKind = this.kind;
        return true;
      case ClaimIndex.AUD: {
        const start = r.pos;
        if (r.peekMajor() == Major.ARRAY) {
          const n = r.array();
          if (n < 0) return false;
          if (n == 0 || n > MAX_AUDIENCES) return this.bad(r, bit);
          for (let i = 0; i < n; i++) if (!this.text(r, bit)) return false;
        } else if (!this.text(r, bit)) return false;
        this.audPtr = start; this.audLen = <i32>(r.pos - start);
        return true;
      }
      case ClaimIndex.EXP: return this.date(r, bit, this.exp);
      case ClaimIndex.NBF: return this.date(r, bit, this.nbf);
      case ClaimIndex.IAT: return this.date(r, bit, this.iat);
      case ClaimIndex.CTI:
        if (!r.head()) return false;
        if (r.major != Major.BYTES) return this.bad(r, bit);
        this.ctiPtr = r.ptr; this.ctiLen = r.len;
        return true;
      case ClaimIndex.NTI:
        if (!r.head()) return false;
        if (r.major == Major.UINT) { this.ntiIsBytes = false; this.nti = r.arg; return true; }
        if (r.major == Major.BYTES) { this.ntiIsBytes = true; this.ntiPtr = r.ptr; this.ntiLen = r.len; return true; }
        return this.bad(r, bit);
      case ClaimIndex.SRV:
        if (!r.head()) return false;
        if (r.major == Major.UINT) { this.srvIsText = false; this.srv = r.arg; return true; }
        if (r.major != Major.TEXT) return this.bad(r, bit);
        if (!this.validText(r)) return false;
        this.srvIsText = true; this.srvPtr = r.ptr; this.srvLen = r.len; this.srvKind = this.kind;
        return true;
      case ClaimIndex.SID:
        if (!r.head()) return false;
        if (r.major != Major.UINT) return this.bad(r, bit);
        this.sid = r.arg;
        return true;
      case ClaimIndex.BIP: return this.decodeBip(r);
    }
    return false;
  }

  /** bip: bstr of 4 or 16 bytes, IP text (with "/prefix length" or not), or [bstr, prefix length]. */
  private decodeBip(r: CborReader): bool {
    const bit = Claim.BIP;
    if (!r.head()) return false;
    this.bipPrefix = -1;
    if (r.major == Major.BYTES) {
      if (r.len != 4 && r.len != 16) return this.bad(r, bit);
      memory.copy(this.bipBytes, r.ptr, r.len);
      this.bipLen = r.len;
      return true;
    }
    if (r.major == Major.TEXT) {
      // Prefix takes ASCII only: other bytes (invalid UTF-8 included) are no address.
      const p = BIP_TEXT;
      if (!p.parseBytes(r.ptr, r.len)) return this.bad(r, bit);
      memory.copy(this.bipBytes, changetype<usize>(p.bytes), p.len);
      this.bipLen = p.len;
      if (p.hasLength) this.bipPrefix = p.bits;
      return true;
    }
    if (r.major == Major.ARRAY && r.arg == 2) {
      if (!r.head()) return false;
      if (r.major != Major.BYTES || (r.len != 4 && r.len != 16)) return this.bad(r, bit);
      memory.copy(this.bipBytes, r.ptr, r.len);
      this.bipLen = r.len;
      if (!r.head()) return false;
      if (r.major != Major.UINT || r.arg > <u64>(this.bipLen << 3)) return this.bad(r, bit);
      this.bipPrefix = <i32>r.arg;
      return true;
    }
    return this.bad(r, bit);
  }

  /** Writes the claims object of the result JSON. */
  write(w: JsonWriter, r: CborReader): void {
    w.open();
    if (this.has(Claim.ISS)) { w.key(JsonKey.ISS); w.stringBytes(this.issPtr, this.issLen, this.issKind); }
    if (this.has(Claim.SUB)) { w.key(JsonKey.SUB); w.stringBytes(this.subPtr, this.subLen, this.subKind); }
    if (this.has(Claim.AUD)) {
      w.key(JsonKey.AUD);
      r.reset(this.audPtr, this.audLen);
      if (r.peekMajor() == Major.ARRAY) {
        const n = r.array();
        w.openArray();
        for (let i = 0; i < n; i++) { r.head(); w.element(); w.stringBytes(r.ptr, r.len); }
        w.closeArray();
      } else { r.head(); w.stringBytes(r.ptr, r.len); }
    }
    if (this.has(Claim.EXP)) { w.key(JsonKey.EXP); this.exp.write(w); }
    if (this.has(Claim.NBF)) { w.key(JsonKey.NBF); this.nbf.write(w); }
    if (this.has(Claim.IAT)) { w.key(JsonKey.IAT); this.iat.write(w); }
    if (this.has(Claim.CTI)) { w.key(JsonKey.CTI); w.hex(this.ctiPtr, this.ctiLen); }
    if (this.has(Claim.NTI)) {
      w.key(JsonKey.NTI);
      if (this.ntiIsBytes) w.hex(this.ntiPtr, this.ntiLen); else w.uint(this.nti);
    }
    if (this.has(Claim.SRV)) {
      w.key(JsonKey.SRV);
      if (this.srvIsText) w.stringBytes(this.srvPtr, this.srvLen, this.srvKind); else w.uint(this.srv);
    }
    if (this.has(Claim.SID)) { w.key(JsonKey.SID); w.uint(this.sid); }
    if (this.has(Claim.BIP)) { w.key(JsonKey.BIP); w.ip(this.bipBytes, this.bipLen, this.bipPrefix); }
    w.close();
  }
}
