// A JWT claims set (RFC 7519 §4) into the Claims the COSE path fills, so
// that validation, revocation, binding and the packet path see one kind of
// claims. The claims ntok knows are rewritten as the CBOR map a CWT would
// carry and read by Claims.decode, which checks them exactly as it checks a
// CWT's; the claims it does not know are left out (RFC 7519 §4: ignored).
//
// Mapping (docs/abi.md): jti is the token id cti, as the UTF-8 bytes of the
// string (JSON has no byte strings; a JSON "cti" is not a claim ntok knows);
// a string nti likewise; numbers are integers when they have no fraction or
// exponent and are below 2^53, floats otherwise (a NumericDate may have a
// fraction; a huge or fractional id is then a bad claim).

import { CborReader, DuplicateKeys, Major } from "../cbor/reader";
import { CborWriter } from "../cbor/writer";
import { JOSE_CBOR, JOSE_CBOR_CAPACITY } from "../scratch";
import { JsonType, JsonValue } from "../json/reader";
import { Claims, Claim, claimBit, claimName } from "../claims";
import { Code } from "../result";
import { Detail } from "../detail-text";
import { json, jsonFailed } from "./compact";

/**
 * At most 1,536 bytes of JSON: floats grow most (9 bytes from "1e5,"), to
 * under 3,500 bytes.
 */
const CBOR: usize = JOSE_CBOR;
const CBOR_CAPACITY: i32 = JOSE_CBOR_CAPACITY; // 4,096 bytes
const writer = new CborWriter();

/** 2^53: from here on a double no longer holds every integer, so a JSON integer may not be the one written. */
const TWO_53: f64 = 9007199254740992.0;

/** Any JSON value as CBOR; values no claim can have (objects, booleans, null) become null. */
function put(w: CborWriter, v: JsonValue): void {
  if (v.type == JsonType.STRING) w.textString(v.str);
  else if (v.type == JsonType.NUMBER) {
    const x = v.num;
    if (v.isUint) w.head(Major.UINT, v.uint); // exact to 2^64 - 1 (a 63-bit nti)
    else if (v.isInteger && Math.abs(x) < TWO_53) w.head(Major.NINT, <u64>(-1.0 - x));
    else w.float64(x);
  } else if (v.type == JsonType.ARRAY) {
    w.head(Major.ARRAY, <u64>v.items.length);
    for (let i = 0; i < v.items.length; i++) put(w, v.items[i]);
  } else w.head(Major.SIMPLE, 22);
}

/**
 * Reads the claims JSON at (ptr, len) into `claims`; false with the failure in
 * `r`: not-cwt for a payload that is not a JSON object, limit-exceeded past
 * the JSON limits, a claim's own code otherwise.
 */
export function decodeJsonClaims(ptr: usize, len: i32, claims: Claims, r: CborReader, keys: DuplicateKeys): bool {
  const root = json.parse(ptr, len);
  if (root == null) return jsonFailed(r, Code.NOT_CWT, Detail.PAYLOAD_IS_NOT_A_JSON_CLAIMS_SET);
  if (root.type != JsonType.OBJECT) return r.fail(Code.NOT_CWT, Detail.PAYLOAD_IS_NOT_A_JSON_CLAIMS_SET);
  // One CBOR map of the claims ntok knows, under a CWT's keys (JSON keys are
  // unique, so are these), read by the same Claims.decode as a CWT's.
  // Its head is one byte (at most 11 claims), written when they are counted.
  const w = writer;
  w.reset(CBOR, CBOR_CAPACITY);
  w.head(Major.MAP, 0);
  let count = 0;
  for (let i = 0; i < root.keys.length; i++) {
    const name = root.keys[i];
    const bit: u32 = name == "jti" ? Claim.CTI : name == "cti" ? 0 : claimBit(name);
    if (bit == 0) continue;
    count++;
    // iss..cti have integer keys 1..7 (RFC 8392 §3), the draft's claims text keys.
    if (bit <= <u32>Claim.CTI) w.head(Major.UINT, <u64>(ctz(bit) + 1));
    else w.textString(claimName(bit));
    const v = root.items[i];
    if (v.type == JsonType.STRING && (bit == Claim.CTI || bit == Claim.NTI)) {
      const bytes = String.UTF8.encode(v.str, false, String.UTF8.ErrorMode.WTF8);
      w.byteString(changetype<usize>(bytes), bytes.byteLength);
    } else put(w, v);
  }
  if (w.overflow) return r.fail(Code.TOO_LARGE, Detail.PLAINTEXT_EXCEEDS_ITS_BUFFER);
  store<u8>(CBOR, <u8>((Major.MAP << 5) | count));
  r.reset(CBOR, <i32>(w.pos - CBOR));
  return claims.decode(r, keys);
}
