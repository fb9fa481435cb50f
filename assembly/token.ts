// The token pipeline: header -> descriptor (format + key set) -> payload
// layers (COSE, or JOSE compact per descriptor) -> claims -> policy.
// Everything it decodes stays a view into the input or a static buffer.

import { CborReader, DuplicateKeys, Major } from "./cbor/reader";
import { Code, codeTextPtr, codeTextLength } from "./result";
import { Detail } from "./detail-text";
import { TokenHeader, HEADER_LEN } from "./header";
import { Descriptor, DESCRIPTOR_CWT, Format, Key, KeySet, current } from "./config";
import { Claims } from "./claims";
import { CoseMessage } from "./cose/message";
import { MessageType, messageTypeOf, messageTypeName } from "./cose/alg";
import { checkLayer, check, MAX_LAYERS } from "./cose/verify";
import { validateClaims, verdict } from "./validate";
import { out, JsonWriter } from "./json/writer";
import { TextKind, textKind } from "./util/bytes";
import { sha256 } from "./host";
import { JsonKey, JSON_KEY_TEXT, JSON_KEY_OFFSETS } from "./json-key-text";
import { JoseName, JOSE_NAME_TEXT, JOSE_NAME_OFFSETS } from "./jose-name-text";
import { jose, HEADER, KID } from "./jose/compact";
import { openJose } from "./jose/verify";
import { decodeJsonClaims } from "./jose/claims";

const DIGEST: usize = memory.data(32);

/** Draft §5: tokens are small; anything larger is refused before parsing. */
export const MAX_TOKEN_BYTES: i32 = 2048;

/** verify / inspect flag: the input is a bare COSE/CWT message without header. */
export const FLAG_BARE_CWT: i32 = 1;

const enum Mode { VERIFY, INSPECT }

/** State of one run through the pipeline, reused from call to call. */
class Run {
  code: i32 = Code.OK;
  detail: Detail = Detail.NONE;
  detailArg: string = "";
  header: TokenHeader = new TokenHeader();
  hasHeader: bool = false;
  /** Layers parsed successfully, outermost first. */
  layers: i32 = 0;
  /** The key that checked the innermost layer (its kid names a kid-less message). */
  key: Key | null = null;
  /** A layer whose key could not be found or which was not decrypted (inspect). */
  opaque: bool = false;
  claimsDecoded: bool = false;
  /** The crypto of every layer checked out (claims are authentic). */
  authentic: bool = false;
  /** The key set of the token's descriptor (binding rules). */
  keyset: KeySet | null = null;
  /** The descriptor's service for a token that names none (0: none). */
  service: i32 = 0;
  /** The payload is JOSE (`jose` holds its one layer), not COSE. */
  jose: bool = false;
}

const run = new Run();
const reader = new CborReader();
const keys = new DuplicateKeys();
const claims = new Claims();
const messages = new StaticArray<CoseMessage>(MAX_LAYERS);
for (let i = 0; i < MAX_LAYERS; i++) messages[i] = new CoseMessage();

function fail(code: i32, detail: Detail, arg: string = ""): i32 {
  if (run.code == Code.OK) {
    run.code = code;
    run.detail = detail;
    run.detailArg = arg;
  }
  return run.code;
}

function failFromReader(): i32 {
  return fail(reader.error, reader.detail, reader.detailArg);
}

/**
 * The key of a layer into run.key: the one with the layer's kid, or for a
 * kid-less layer the key set's only key for its alg. OK or the failure; in
 * inspect a missing key is no failure (a MACed or signed payload is readable
 * without it), but an `encrypted` layer then stays opaque.
 */
function layerKey(ks: KeySet, kidPtr: usize, kidLen: i32, alg: i32, mode: Mode, encrypted: bool): i32 {
  const key = kidLen >= 0 ? ks.findByKid(kidPtr, kidLen) : ks.onlyKeyFor(alg);
  run.key = key;
  if (key == null) {
    if (mode == Mode.VERIFY) return fail(Code.UNKNOWN_KID, kidLen >= 0 ? Detail.NO_KEY_WITH_THIS_KID : Detail.NO_KID_AND_NO_SINGLE_KEY_FOR_THE_ALG);
    run.opaque = encrypted;
  } else if (key.alg != alg) {
    // A key is bound to one algorithm: a token naming another is not tried with it.
    return fail(Code.ALG_MISMATCH, Detail.TOKEN_ALG_DIFFERS_FROM_THE_KEY_S_ALG);
  }
  return Code.OK;
}

/** One COSE layer and whatever it contains (claims, or a nested message). */
function cwtLayer(ptr: usize, len: i32, ks: KeySet, layer: i32, mode: Mode): i32 {
  if (layer >= MAX_LAYERS) return fail(Code.LIMIT_EXCEEDED, Detail.COSE_MESSAGES_NESTED_TOO_DEEPLY);
  const m = unchecked(messages[layer]);
  reader.resetInline(ptr, len);
  // RFC 8392 §7.2: a nested CWT is tagged, so only the outermost may rely on `expect`.
  if (!m.parse(reader, layer == 0 ? ks.expect : MessageType.NONE)) return failFromReader();
  run.layers = layer + 1;
  if (!reader.atEnd()) return fail(Code.MALFORMED, Detail.BYTES_AFTER_THE_COSE_MESSAGE);
  if (!m.critUnderstood()) return fail(Code.UNKNOWN_CRITICAL, Detail.CRIT_NAMES_A_HEADER_PARAMETER_NTOK_DOES_NOT_PROC);
  if (!m.hasAlg) return fail(Code.MALFORMED, Detail.NO_ALG_IN_THE_PROTECTED_HEADER);
  const algType = m.algUnknown ? MessageType.NONE : messageTypeOf(m.alg);
  if (algType == MessageType.NONE) return fail(Code.UNSUPPORTED_ALG, Detail.ALG_IS_NOT_SUPPORTED);
  if (algType != m.type) return fail(Code.UNSUPPORTED_ALG, Detail.ALG_DOES_NOT_BELONG_TO_THIS_COSE_MESSAGE_TYPE);

  const found = layerKey(ks, m.kidPtr, m.kidLen, m.alg, mode, m.type == MessageType.ENCRYPT0);
  if (found != Code.OK || run.opaque) return found;
  const key = run.key;
  let contentPtr = m.payloadPtr;
  let contentLen = m.payloadLen;
  if (key != null && (mode == Mode.VERIFY || m.type == MessageType.ENCRYPT0)) {
    if (!checkLayer(m, key.handle, layer)) return fail(check.code, check.detail);
    if (m.type == MessageType.ENCRYPT0) {
      contentPtr = check.plainPtr;
      contentLen = check.plainLen;
    }
  }

  reader.resetInline(contentPtr, contentLen);
  if (reader.peekMajor() == Major.TAG) return cwtLayer(contentPtr, contentLen, ks, layer + 1, mode);
  if (!claims.decode(reader, keys)) return failFromReader();
  if (!reader.atEnd()) return fail(Code.MALFORMED, Detail.BYTES_AFTER_THE_CLAIMS_MAP);
  run.claimsDecoded = true;
  return Code.OK;
}

/** A JOSE compact JWS or JWE (one layer) and its JSON claims. */
function joseLayer(ptr: usize, len: i32, ks: KeySet, mode: Mode): i32 {
  const m = jose;
  reader.reset(0, 0); // the JOSE path's failures are recorded in the reader
  if (!m.parse(ptr, len, reader)) return failFromReader();
  run.layers = 1;
  const found = layerKey(ks, KID, m.kidLen, m.keyAlg, mode, m.jwe);
  if (found != Code.OK) return found;
  if (!openJose(m, run.key, mode == Mode.VERIFY, reader)) return failFromReader();
  if (run.opaque) return Code.OK;
  if (!decodeJsonClaims(m.plainPtr, m.plainLen, claims, reader, keys)) return failFromReader();
  run.claimsDecoded = true;
  return Code.OK;
}

/** Runs header + payload layers; leaves the body's claims decoded on success. */
function decode(len: i32, flags: i32, mode: Mode, input: usize): i32 {
  run.code = Code.OK;
  run.detail = Detail.NONE;
  run.detailArg = "";
  run.layers = 0;
  run.key = null;
  run.keyset = null;
  run.service = 0;
  run.jose = false;
  run.opaque = false;
  run.claimsDecoded = false;
  run.authentic = false;
  run.hasHeader = (flags & FLAG_BARE_CWT) == 0;
  run.header.reflect = 0;
  run.header.descriptor = DESCRIPTOR_CWT;
  if (len < 0 || len > MAX_TOKEN_BYTES) return fail(Code.TOO_LARGE, Detail.TOKEN_LARGER_THAN_2048_BYTES);
  let body = input;
  let bodyLen = len;
  if (run.hasHeader) {
    if (len < HEADER_LEN) return fail(Code.MALFORMED, Detail.SHORTER_THAN_THE_4_BYTE_NETWORK_TOKEN_HEADER);
    if (!run.header.read(input)) return fail(Code.BAD_HEADER, Detail.RESERVED_REFLECT_TYPE);
    body += HEADER_LEN;
    bodyLen -= HEADER_LEN;
  }
  const cfg = current;
  const d: Descriptor | null = cfg.descriptor(run.header.descriptor);
  if (d == null) return fail(Code.UNKNOWN_DESCRIPTOR, Detail.NO_DESCRIPTOR_CONFIGURED_FOR_THIS_ID);
  run.keyset = d.keyset;
  run.service = d.service;
  run.jose = d.format == Format.JOSE;
  const code = run.jose ? joseLayer(body, bodyLen, d.keyset, mode) : cwtLayer(body, bodyLen, d.keyset, 0, mode);
  run.authentic = code == Code.OK && mode == Mode.VERIFY;
  return code;
}

/** The message's kid; for a kid-less message, the kid of the key that checked it (if any). */
function writeKid(w: JsonWriter, kidPtr: usize, kidLen: i32, key: Key | null): void {
  writeKidInline(w, kidPtr, kidLen, key);
}

/** writeKid() without the call, for verify. */
@inline function writeKidInline(w: JsonWriter, kidPtr: usize, kidLen: i32, key: Key | null): void {
  if (kidLen < 0) {
    if (key == null) return;
    kidPtr = changetype<usize>(key.kid);
    kidLen = key.kid.byteLength;
  }
  w.key(JsonKey.KID);
  const kind = textKind(kidPtr, kidLen);
  if (kind != TextKind.INVALID) w.stringBytes(kidPtr, kidLen, kind);
  else w.hex(kidPtr, kidLen);
}

/**
 * A result that does not fit the output buffer (only a 2 KiB token full of
 * bytes that need escaping can do that) is replaced by a short, valid one.
 */
@inline function finish(w: JsonWriter, code: i32): i32 {
  return w.overflow ? overflowed(w) : code;
}

function overflowed(w: JsonWriter): i32 {
  w.reset();
  w.open();
  w.key(JsonKey.OK);
  w.bool(false);
  w.key(JsonKey.CODE);
  w.quotedRaw(codeTextPtr(Code.TOO_LARGE), codeTextLength(Code.TOO_LARGE));
  w.key(JsonKey.MESSAGE);
  w.detail(Detail.RESULT_DOES_NOT_FIT_THE_OUTPUT_BUFFER, "");
  w.close();
  return Code.TOO_LARGE;
}

/** `"ok":true,"code":"ok"`: the common opening, one copy instead of two keys and two values. */
const OK_STATUS: usize = memory.data<u8>([0x22, 0x6f, 0x6b, 0x22, 0x3a, 0x74, 0x72, 0x75, 0x65, 0x2c, 0x22, 0x63, 0x6f, 0x64, 0x65, 0x22, 0x3a, 0x22, 0x6f, 0x6b, 0x22]);

function writeStatus(w: JsonWriter, code: i32): void {
  writeStatusInline(w, code);
}

/** writeStatus() without the call, for verify. */
@inline function writeStatusInline(w: JsonWriter, code: i32): void {
  if (code == Code.OK && w.first) {
    w.raw(OK_STATUS, 21);
    w.first = false;
    return;
  }
  w.key(JsonKey.OK);
  w.bool(code == Code.OK);
  w.key(JsonKey.CODE);
  w.quotedRaw(codeTextPtr(code), codeTextLength(code));
  if (code != Code.OK) {
    w.key(JsonKey.MESSAGE);
    if (run.detail != Detail.NONE) w.detail(run.detail, run.detailArg);
    else w.quotedMessage(codeTextPtr(code, true), codeTextLength(code, true));
  }
}

/** A JOSE name (jose-names.json) as a JSON string: the names need no escaping. */
function writeJoseName(w: JsonWriter, id: i32): void {
  const at = JOSE_NAME_OFFSETS + (<usize>id << 1);
  const start = <i32>load<u16>(at);
  w.quotedRaw(JOSE_NAME_TEXT + <usize>start, <i32>load<u16>(at, 2) - start);
}

/**
 * kid (the header's, else the kid of the key that checked a kid-less token)
 * and the JOSE names: "alg", and for a JWE "alg":"dir" and "enc".
 */
function writeJoseKeyAndAlg(w: JsonWriter): void {
  const m = jose;
  writeKid(w, KID, m.kidLen, run.key);
  w.key(JsonKey.ALG);
  writeJoseName(w, m.jwe ? JoseName.DIR : m.alg);
  if (m.jwe) {
    w.key(JsonKey.ENC);
    writeJoseName(w, m.alg);
  }
}

/** inspect's one layer of a JOSE token. */
function writeJoseLayer(w: JsonWriter): void {
  const m = jose;
  w.element();
  w.open();
  w.key(JsonKey.TYPE);
  // The framed member name (`,"jwe":`) holds the quoted name, 5 bytes for both.
  const at = JSON_KEY_OFFSETS + (<usize>(m.jwe ? JsonKey.JWE : JsonKey.JWS) << 1);
  w.raw(JSON_KEY_TEXT + <usize>load<u16>(at) + 1, 5);
  writeJoseKeyAndAlg(w);
  if (m.ivLen >= 0) { w.key(JsonKey.IV); w.hex(m.ivPtr, m.ivLen); }
  w.key(JsonKey.PROTECTED);
  w.hex(HEADER, m.headerLen);
  w.key(JsonKey.PAYLOAD_BYTES);
  w.int(m.contentLen);
  w.key(JsonKey.TAG_BYTES);
  w.int(m.tagLen);
  w.close();
}

@inline function writeHeader(w: JsonWriter): void {
  w.key(JsonKey.DESCRIPTOR);
  w.uint(run.header.descriptor);
  w.key(JsonKey.REFLECT);
  w.uint(<u64>run.header.reflect); // four bits of the header: never negative
}

/**
 * Verifies a token and checks its claims against `required` and the rest of
 * the policy; no output. The packet path calls this; tokenClaims() and
 * tokenHeader() then describe what was checked.
 */
export function checkToken(input: usize, len: i32, now: f64, flags: i32, required: u32): i32 {
  let code = decode(len, flags, Mode.VERIFY, input);
  if (code == Code.OK && !isFinite(now)) code = fail(Code.HOST_ERROR, Detail.THE_HOST_PASSED_NO_VALID_TIME);
  if (code == Code.OK) {
    code = validateClaims(claims, current, now, required, reader);
    if (code != Code.OK) fail(code, verdict.detail, verdict.detailArg);
  }
  return code;
}

/** Claims of the last checkToken (valid when it got as far as decoding them). */
export function tokenClaims(): Claims {
  return claims;
}

export function tokenHeader(): TokenHeader {
  return run.header;
}

/** The service of the last token's descriptor, for a token that names none (0: none). */
export function tokenDescriptorService(): i32 {
  return run.service;
}

/** The key set that checked the last token; null when the descriptor was unknown. */
export function tokenKeySet(): KeySet | null {
  return run.keyset;
}

export function verifyToken(input: usize, len: i32, now: f64, flags: i32): i32 {
  const code = checkToken(input, len, now, flags, current.required);
  const w = out;
  w.reset();
  w.open();
  writeStatusInline(w, code);
  if (run.authentic) {
    w.key(JsonKey.CLAIMS);
    claims.write(w, reader);
  }
  if (run.jose) {
    if (run.layers > 0) writeJoseKeyAndAlg(w);
  } else if (run.layers > 0) {
    // The innermost layer is the one that authenticated the claims.
    const m = unchecked(messages[run.layers - 1]);
    writeKidInline(w, m.kidPtr, m.kidLen, run.key);
    if (m.hasAlg && !m.algUnknown) {
      w.key(JsonKey.ALG);
      w.int(m.alg);
    }
  }
  writeHeader(w);
  w.close();
  return finish(w, code);
}

export function inspectToken(input: usize, len: i32, flags: i32): i32 {
  const code = decode(len, flags, Mode.INSPECT, input);
  const w = out;
  w.reset();
  w.open();
  writeStatus(w, code);
  w.key(JsonKey.HEADER);
  w.open();
  w.key(JsonKey.PRESENT);
  w.bool(run.hasHeader);
  writeHeader(w);
  w.close();
  // The token's digest: what an audit log records instead of the token.
  if (len >= 0 && len <= MAX_TOKEN_BYTES) {
    sha256(input, len, DIGEST);
    w.key(JsonKey.SHA256);
    w.hex(DIGEST, 32);
  }
  w.key(JsonKey.LAYERS);
  w.openArray();
  if (run.jose && run.layers > 0) writeJoseLayer(w);
  for (let i = 0; i < run.layers && !run.jose; i++) {
    const m = messages[i];
    w.element();
    w.open();
    w.key(JsonKey.TYPE);
    w.asciiString(messageTypeName(m.type));
    w.key(JsonKey.TAGGED);
    w.bool(m.coseTagged);
    w.key(JsonKey.CWT_TAG);
    w.bool(m.cwtTagged);
    if (m.hasAlg && !m.algUnknown) { w.key(JsonKey.ALG); w.int(m.alg); }
    writeKid(w, m.kidPtr, m.kidLen, null);
    if (m.ivLen >= 0) { w.key(JsonKey.IV); w.hex(m.ivPtr, m.ivLen); }
    if (m.critCount > 0) { w.key(JsonKey.CRIT); w.uint(<u64>m.critCount); }
    w.key(JsonKey.PROTECTED);
    w.hex(m.protectedPtr, m.protectedLen);
    w.key(JsonKey.PAYLOAD_BYTES);
    w.int(m.payloadLen);
    if (m.type != MessageType.ENCRYPT0) { w.key(JsonKey.TAG_BYTES); w.int(m.tagLen); }
    w.close();
  }
  w.closeArray();
  if (run.opaque) { w.key(JsonKey.ENCRYPTED); w.bool(true); }
  if (run.claimsDecoded) {
    w.key(JsonKey.CLAIMS);
    claims.write(w, reader);
  }
  w.key(JsonKey.VERIFIED);
  w.bool(false);
  w.close();
  return finish(w, code);
}
