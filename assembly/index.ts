// The exported ABI of ntok.wasm (docs/abi.md). Thin: buffers in, result
// codes out; the work is in token.ts and config.ts.

import { Code, codeName, codeMessage } from "./result";
import { ConfigParser, setCurrent } from "./config";
import { verifyToken, inspectToken } from "./token";
import { out } from "./json/writer";

const INPUT_CAPACITY: i32 = 65536;
const INPUT: usize = memory.data(INPUT_CAPACITY);

export function abi_version(): i32 {
  return 1;
}

export function input_ptr(): usize {
  return INPUT;
}

export function input_capacity(): i32 {
  return INPUT_CAPACITY;
}

export function output_ptr(): usize {
  return out.ptr;
}

export function output_len(): i32 {
  return out.length;
}

function inputFits(len: i32): bool {
  return len >= 0 && len <= INPUT_CAPACITY;
}

export function configure(len: i32): i32 {
  out.reset();
  out.open();
  let code = Code.OK;
  const parser = new ConfigParser();
  const cfg = inputFits(len) ? parser.parse(INPUT, len) : null;
  if (cfg == null) {
    code = Code.BAD_CONFIG;
    out.key("ok");
    out.bool(false);
    out.key("code");
    out.string(codeName(code));
    out.key("message");
    out.string(parser.error.length > 0 ? parser.error : "configuration larger than the input buffer");
  } else {
    setCurrent(cfg);
    out.key("ok");
    out.bool(true);
    out.key("code");
    out.string(codeName(code));
    out.key("keysets");
    out.int(cfg.keysets.length);
    out.key("descriptors");
    out.int(cfg.descriptors.length);
  }
  out.close();
  return code;
}

export function verify(len: i32, now: f64, flags: i32): i32 {
  if (!inputFits(len)) return verifyToken(INPUT, 1 << 30, now, flags);
  return verifyToken(INPUT, len, now, flags);
}

export function inspect(len: i32, flags: i32): i32 {
  if (!inputFits(len)) return inspectToken(INPUT, 1 << 30, flags);
  return inspectToken(INPUT, len, flags);
}

export function result_name(code: i32): i32 {
  out.reset();
  out.ascii(codeName(code));
  return out.length;
}

/** The meaning of a result code, for hosts that print it. */
export function result_message(code: i32): i32 {
  out.reset();
  out.ascii(codeMessage(code));
  return out.length;
}
