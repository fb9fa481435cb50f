// Helpers for the packet-editing specs (test/spec/edit-*.spec.ts; not a spec
// itself): a frame in a buffer with room to grow, as the caller's input
// buffer is.

import { LinkType, Packet } from "../../assembly/packet/packet";
import { hex, toHex } from "./helpers";

/** What the bytes of a buffer past the frame are set to, so that a stray write shows. */
export const FILLER: u8 = 0xee;

/** A frame at the start of a buffer of `capacity` bytes. */
export class Frame {
  buf: StaticArray<u8>;
  len: i32;

  constructor(frameHex: string, public capacity: i32 = 2048) {
    const b = hex(frameHex);
    assert(b.len <= capacity, "Frame: capacity below the frame length");
    this.buf = new StaticArray<u8>(capacity);
    memory.fill(changetype<usize>(this.buf), FILLER, <usize>capacity);
    memory.copy(changetype<usize>(this.buf), b.ptr, <usize>b.len);
    this.len = b.len;
  }

  get ptr(): usize {
    return changetype<usize>(this.buf);
  }

  /** The frame's bytes as lowercase hex. */
  hex(): string {
    return toHex(this.ptr, this.len);
  }

  /** The whole buffer as hex (frame and filler). */
  all(): string {
    return toHex(this.ptr, this.capacity);
  }

  /** Parses the frame into `p` (asserting success) and returns `p`. */
  parse(p: Packet, link: LinkType = LinkType.RAW): Packet {
    assert(p.parse(this.ptr, this.len, link), "Frame: the frame does not parse");
    return p;
  }
}

/** `s` without spaces: expected values are written with spaces between layers. */
export function compact(s: string): string {
  return s.replaceAll(" ", "");
}
