// The exported ABI of ntok.wasm (docs/abi.md). Thin: buffers in, result
// codes out; the work is in token.ts and config.ts.

import { Code, codeTextPtr, codeTextLength } from "./result";
import { ConfigParser, setCurrent } from "./config";
import { verifyToken, inspectToken } from "./token";
import { out } from "./json/writer";

const INPUT_CAPACITY: i32 = 65536;
const INPUT: usize = memory.data(INPUT_CAPACITY);

// The module uses AssemblyScript's minimal runtime: garbage is collected only
// when __collect() is called, and the collector does not scan the wasm stack.
// So it runs only at the end of an exported call, when no managed local is
// live: always after configure (which allocates the configuration), and every
// COLLECT_EVERY calls of verify/inspect (whose few small temporaries — number
// text, revocation keys — then cannot pile up).
const COLLECT_EVERY: i32 = 64;
let callsSinceCollect: i32 = 0;

function collectSometimes(): void {
  if (++callsSinceCollect >= COLLECT_EVERY) {
    callsSinceCollect = 0;
    __collect();
  }
}

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
    out.quotedRaw(codeTextPtr(code), codeTextLength(code));
    out.key("message");
    out.string(parser.error.length > 0 ? parser.error : "configuration larger than the input buffer");
  } else {
    setCurrent(cfg);
    out.key("ok");
    out.bool(true);
    out.key("code");
    out.quotedRaw(codeTextPtr(code), codeTextLength(code));
    out.key("keysets");
    out.int(cfg.keysets.length);
    out.key("descriptors");
    out.int(cfg.descriptors.length);
  }
  out.close();
  __collect();
  return code;
}

/** A length beyond the input buffer is passed on as too large to parse. */
function tokenLength(len: i32): i32 {
  return inputFits(len) ? len : i32.MAX_VALUE;
}

export function verify(len: i32, now: f64, flags: i32): i32 {
  const code = verifyToken(INPUT, tokenLength(len), now, flags);
  collectSometimes();
  return code;
}

export function inspect(len: i32, flags: i32): i32 {
  const code = inspectToken(INPUT, tokenLength(len), flags);
  collectSometimes();
  return code;
}

export function result_name(code: i32): i32 {
  out.reset();
  out.raw(codeTextPtr(code), codeTextLength(code));
  return out.length;
}

/** The meaning of a result code, for hosts that print it. */
export function result_message(code: i32): i32 {
  out.reset();
  out.raw(codeTextPtr(code, true), codeTextLength(code, true));
  return out.length;
}
