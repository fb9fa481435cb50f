import { TokenHeader, HEADER_LEN, REFLECT_MAX } from "../../assembly/header";
import { hex } from "./helpers";

describe("TokenHeader", () => {
  it("is four bytes long", () => {
    expect<i32>(HEADER_LEN).toBe(4);
  });

  it("accepts reflect types 0, 1 and 2", () => {
    const inputs: string[] = ["00000002", "10000002", "20000002"];
    for (let i = 0; i < inputs.length; i++) {
      const b = hex(inputs[i]);
      const h = new TokenHeader();
      expect<bool>(h.read(b.ptr)).toBe(true, inputs[i]);
      expect<i32>(h.reflect).toBe(i, inputs[i]);
      expect<u32>(h.descriptor).toBe(2, inputs[i]);
    }
    expect<i32>(REFLECT_MAX).toBe(2);
  });

  it("rejects the reserved reflect types 3 to 15", () => {
    for (let reflect = 3; reflect <= 15; reflect++) {
      const b = hex((<u8>(reflect << 4)).toString(16).padStart(2, "0") + "000002");
      const h = new TokenHeader();
      expect<bool>(h.read(b.ptr)).toBe(false, reflect.toString());
      expect<i32>(h.reflect).toBe(reflect, reflect.toString());
      expect<u32>(h.descriptor).toBe(2, reflect.toString());
    }
  });

  it("splits the big-endian word into reflect (bits 31..28) and descriptor (bits 27..0)", () => {
    const b = hex("1000b00f");
    const h = new TokenHeader();
    expect<bool>(h.read(b.ptr)).toBe(true);
    expect<i32>(h.reflect).toBe(1);
    expect<u32>(h.descriptor).toBe(0xb00f);
  });

  it("keeps all 28 descriptor bits", () => {
    const b = hex("2fffffff");
    const h = new TokenHeader();
    expect<bool>(h.read(b.ptr)).toBe(true);
    expect<i32>(h.reflect).toBe(2);
    expect<u32>(h.descriptor).toBe(0x0fffffff);
    const c = hex("ffffffff");
    expect<bool>(h.read(c.ptr)).toBe(false);
    expect<i32>(h.reflect).toBe(15);
    expect<u32>(h.descriptor).toBe(0x0fffffff);
    const d = hex("00000000");
    expect<bool>(h.read(d.ptr)).toBe(true);
    expect<u32>(h.descriptor).toBe(0);
  });

  it("reads only the four header bytes", () => {
    const b = hex("0000000a ffffffff");
    const h = new TokenHeader();
    expect<bool>(h.read(b.ptr)).toBe(true);
    expect<u32>(h.descriptor).toBe(10);
  });
});
