// JOSE names (RFC 7518 §3.1, §5.1) and the JSON member names the JOSE path
// reads, matched against the packed text tables instead of string literals.
// A JOSE algorithm maps to the COSE number of the same primitive where COSE
// has one (HS256 is HMAC 256/256), so a key set can serve both formats.

import { JoseName, JOSE_NAME_COUNT, JOSE_NAME_TEXT, JOSE_NAME_OFFSETS } from "../jose-name-text";
import { JsonKey, JSON_KEY_TEXT, JSON_KEY_OFFSETS } from "../json-key-text";
import { JsonValue } from "../json/reader";
import { asciiEquals } from "../util/bytes";
import {
  ALG_HMAC_256_256, ALG_ES256, ALG_EDDSA, ALG_A128GCM, ALG_A256GCM, ALG_A128CBC_HS256, ALG_A256CBC_HS512,
} from "../cose/alg";

/** The key algorithm each JoseName needs, in JoseName order (dir: none of its own). */
const KEY_ALG: usize = memory.data<i32>([
  0, ALG_HMAC_256_256, ALG_ES256, ALG_EDDSA, ALG_A128CBC_HS256, ALG_A256CBC_HS512, ALG_A128GCM, ALG_A256GCM, 0,
]);

function packedIs(s: string, text: usize, offsets: usize, id: i32): bool {
  const at = offsets + (<usize>id << 1);
  const start = <i32>load<u16>(at);
  return asciiEquals(s, text + <usize>start, <i32>load<u16>(at, 2) - start);
}

/** The JoseName spelled `s` (case-sensitive, RFC 7515 §4.1.1), NONE when ntok has none. */
export function joseName(s: string): JoseName {
  for (let id = 1; id < JOSE_NAME_COUNT; id++) if (packedIs(s, JOSE_NAME_TEXT, JOSE_NAME_OFFSETS, id)) return <JoseName>id;
  return JoseName.NONE;
}

/** The algorithm a key for JOSE algorithm `n` is bound to; 0 for none. */
export function keyAlgOf(n: JoseName): i32 {
  return load<i32>(KEY_ALG + (<usize>n << 2));
}

export function isJwsAlg(n: JoseName): bool {
  return n >= JoseName.HS256 && n <= JoseName.EDDSA;
}

export function isJweEnc(n: JoseName): bool {
  return n >= JoseName.A128CBC_HS256 && n <= JoseName.A256GCM;
}

export function jsonKeyIs(s: string, k: JsonKey): bool {
  // The names are framed as `,"name":` (gen-text.mjs): the name is inside.
  const at = JSON_KEY_OFFSETS + (<usize>k << 1);
  const start = <i32>load<u16>(at) + 2;
  return asciiEquals(s, JSON_KEY_TEXT + <usize>start, <i32>load<u16>(at, 2) - 2 - start);
}

/** Object member `k` of `v`, or null. */
export function memberOf(v: JsonValue, k: JsonKey): JsonValue | null {
  for (let i = 0; i < v.keys.length; i++) if (jsonKeyIs(v.keys[i], k)) return v.items[i];
  return null;
}
