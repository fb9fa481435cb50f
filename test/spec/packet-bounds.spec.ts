// The parser never reads outside [ptr, ptr + len): every packet here is
// copied so that it ends exactly where linear memory ends (see
// atEndOfMemory), where a read past the end traps and fails the spec.

import { Packet, PacketError, packetDetailText } from "../../assembly/packet/packet";
import { hex } from "./helpers";
import { atEndOfMemory, validVectors, viewsInside } from "./packet-helpers";

const MUTATIONS: u8[] = [0x00, 0xff, 0x80, 0x01, 0x0f, 0x3c, 0x2c, 0x11];

describe("Packet.parse: bounds", () => {
  it("parses every valid packet placed at the very end of memory, with every view inside it", () => {
    const vectors = validVectors();
    const p = new Packet();
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i];
      const b = hex(v.hex);
      const ptr = atEndOfMemory(b.ptr, b.len);
      expect<bool>(p.parse(ptr, b.len, v.link)).toBe(true, v.name);
      expect<i32>(p.error).toBe(PacketError.NONE, v.name);
      expect<string>(viewsInside(p, ptr, b.len)).toBe("", v.name);
    }
  });

  it("rejects every proper prefix of every valid packet as TRUNCATED, reading nothing past it", () => {
    const vectors = validVectors();
    const p = new Packet();
    let checked = 0;
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i];
      const b = hex(v.hex);
      for (let n = 0; n < b.len; n++) {
        const ptr = atEndOfMemory(b.ptr, n);
        const ok = p.parse(ptr, n, v.link);
        if (ok || p.error != PacketError.TRUNCATED) {
          expect<bool>(ok).toBe(false, v.name + " prefix " + n.toString());
          expect<i32>(p.error).toBe(PacketError.TRUNCATED, v.name + " prefix " + n.toString());
        }
        checked++;
      }
    }
    expect<i32>(checked).toBeGreaterThan(1000);
  });

  it("survives every single-byte change of every valid packet: no read past the end, views inside when it parses", () => {
    const vectors = validVectors();
    const p = new Packet();
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i];
      const b = hex(v.hex);
      for (let at = 0; at < b.len; at++) {
        for (let m = 0; m < MUTATIONS.length; m++) {
          const ptr = atEndOfMemory(b.ptr, b.len);
          store<u8>(ptr + <usize>at, MUTATIONS[m]);
          if (p.parse(ptr, b.len, v.link)) {
            const where = viewsInside(p, ptr, b.len);
            if (where != "") expect<string>(where).toBe("", v.name + " byte " + at.toString() + " = " + MUTATIONS[m].toString());
          } else {
            expect<i32>(p.error).toBeGreaterThan(PacketError.NONE);
            expect<bool>(packetDetailText(p.detail).length > 0).toBe(true);
          }
        }
      }
    }
  });
});
