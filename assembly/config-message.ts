// The configuration's error messages, which configure() reports: the texts
// of assembly/config-messages.json (packed by scripts/gen-text.mjs, one byte
// per character instead of a string literal's ~30 plus two per character)
// with the field's path and an argument filled in.

import { Msg, MSG_TEXT, MSG_OFFSETS } from "./config-message-text";
import { decimal } from "./util/encoding";
import { expand, SCRATCH } from "./util/unpack";

/** Msg m's text with "@" replaced by `where` (a field's path) and "%" by `arg`. */
export function message(m: Msg, where: string = "", arg: string = ""): string {
  const at = MSG_OFFSETS + (<usize>m << 1);
  const start = <usize>load<u16>(at);
  const end = <usize>expand(MSG_TEXT + start, <i32>(<usize>load<u16>(at, 2) - start), SCRATCH);
  let run: usize = 0;
  let s = "";
  for (let i: usize = 0; i < end; i++) {
    const c = load<u8>(SCRATCH + i);
    if (c != 0x40 && c != 0x25) continue;
    s += String.UTF8.decodeUnsafe(SCRATCH + run, i - run) + (c == 0x40 ? where : arg);
    run = i + 1;
  }
  return s + String.UTF8.decodeUnsafe(SCRATCH + run, end - run);
}

/** The path of member `name` of the object at `where`. */
export function member(where: string, name: string): string {
  return where + "." + name;
}

/** The path of element `i` of the array at `where`. */
export function element(where: string, i: i32): string {
  return where + "[" + decimal(i) + "]";
}
