// The message tables are packed in byte pairs (scripts/gen-text.mjs); these
// check the expander over every packed text the module holds. gen-text.mjs
// itself checks that each packed text decodes to its source.
import { expand, expandedLength, expandToString } from "../../assembly/util/unpack";
import { PAIR_COUNT, PAIR_DEPTH, PAIRS, MAX_MESSAGE } from "../../assembly/pair-text";
import { DETAIL_COUNT, DETAIL_TEXT, DETAIL_OFFSETS, Detail } from "../../assembly/detail-text";
import { MSG_COUNT, MSG_TEXT, MSG_OFFSETS } from "../../assembly/config-message-text";
import { RESULT_CODE_COUNT, RESULT_TEXT, RESULT_OFFSETS } from "../../assembly/result-text";

const OUT = memory.data(MAX_MESSAGE + 16);

/** Every packed text expands to printable ASCII, as long as expandedLength says, within MAX_MESSAGE. */
function checkTable(text: usize, offsets: usize, first: i32, end: i32, step: i32): i32 {
  let checked = 0;
  for (let i = first; i < end; i += step) {
    const start = <usize>load<u16>(offsets + (<usize>i << 1));
    const n = <i32>(<usize>load<u16>(offsets + (<usize>i << 1) + 2) - start);
    const length = expandedLength(text + start, n);
    store<u8>(OUT + <usize>length, 0xee); // a sentinel right after: nothing is written past the length
    expect<i32>(expand(text + start, n, OUT)).toBe(length, i.toString());
    expect<u8>(load<u8>(OUT + <usize>length)).toBe(0xee);
    expect<bool>(length <= MAX_MESSAGE).toBe(true);
    expect<bool>(length >= n).toBe(true);
    for (let k = 0; k < length; k++) {
      const c = load<u8>(OUT + <usize>k);
      expect<bool>(c >= 0x20 && c <= 0x7e).toBe(true, i.toString());
    }
    checked++;
  }
  return checked;
}

describe("packed messages", () => {
  it("has pairs of literals or earlier pairs, nested at most PAIR_DEPTH deep", () => {
    expect<bool>(PAIR_COUNT > 100 && PAIR_COUNT <= 159).toBe(true);
    expect<bool>(PAIR_DEPTH >= 1).toBe(true);
    for (let i = 0; i < PAIR_COUNT; i++) {
      for (let h = 0; h < 2; h++) {
        const c = <i32>load<u8>(PAIRS + <usize>(i * 2 + h));
        const index = c >= 0x80 ? c - 0x80 : c < 0x20 ? c + 127 : -1;
        expect<bool>(index < i).toBe(true, "pair " + i.toString() + " refers only to pairs before it");
        expect<bool>(c != 0 && c != 0x7f).toBe(true);
      }
    }
  });

  it("expands every detail, configuration message and result meaning", () => {
    expect<i32>(checkTable(DETAIL_TEXT, DETAIL_OFFSETS, 1, DETAIL_COUNT, 1)).toBe(DETAIL_COUNT - 1);
    expect<i32>(checkTable(MSG_TEXT, MSG_OFFSETS, 1, MSG_COUNT, 1)).toBe(MSG_COUNT - 1);
    expect<i32>(checkTable(RESULT_TEXT, RESULT_OFFSETS, 1, RESULT_CODE_COUNT * 2, 2)).toBe(RESULT_CODE_COUNT);
  });

  it("gives the texts of details.json back", () => {
    const at = DETAIL_OFFSETS + (<usize>Detail.CBOR_STRING_LONGER_THAN_THE_INPUT << 1);
    const start = <usize>load<u16>(at);
    expect<string>(expandToString(DETAIL_TEXT + start, <i32>(<usize>load<u16>(at, 2) - start))).toBe("CBOR string longer than the input");
  });

  it("keeps % as a literal byte, where the writer looks for it", () => {
    const at = DETAIL_OFFSETS + (<usize>Detail.CLAIM_HAS_THE_WRONG_TYPE << 1);
    const start = <usize>load<u16>(at);
    const end = <usize>load<u16>(at, 2);
    let marks = 0;
    for (let p = start; p < end; p++) if (load<u8>(DETAIL_TEXT + p) == 0x25) marks++;
    expect<i32>(marks).toBe(1);
  });
});
