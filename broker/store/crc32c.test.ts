import { describe, expect, it } from "vitest";
import { Prng } from "../../common/prng.js";
import { crc32c } from "./crc32c.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// Known vectors: RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
const vectors: Array<{ name: string; data: Uint8Array; crc: number }> = [
  { name: "empty", data: new Uint8Array(0), crc: 0x00000000 },
  { name: "check value 123456789", data: ascii("123456789"), crc: 0xe3069283 },
  { name: "32 zero bytes", data: new Uint8Array(32), crc: 0x8a9136aa },
  { name: "32 0xff bytes", data: new Uint8Array(32).fill(0xff), crc: 0x62a8ab43 },
  { name: "32 incrementing", data: Uint8Array.from({ length: 32 }, (_, i) => i), crc: 0x46dd794e },
  { name: "32 decrementing", data: Uint8Array.from({ length: 32 }, (_, i) => 31 - i), crc: 0x113fdb5c },
  { name: "a", data: ascii("a"), crc: 0xc1d04330 },
  {
    name: "quick brown fox",
    data: ascii("The quick brown fox jumps over the lazy dog"),
    crc: 0x22620404,
  },
];

/** Bit-at-a-time reference, independent of the table code. */
function reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe("crc32c", () => {
  it.each(vectors)("matches the known vector: $name", ({ data, crc }) => {
    expect(crc32c(data)).toBe(crc);
  });

  it("matches the bitwise reference for random lengths and chains across chunks", () => {
    const prng = new Prng(5);
    for (let i = 0; i < 200; i++) {
      const data = Uint8Array.from({ length: prng.int(100) }, () => prng.int(256));
      const expected = reference(data);
      expect(crc32c(data)).toBe(expected);
      const cut = prng.int(data.length + 1);
      expect(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)))).toBe(expected);
    }
  });

  it("detects every single-bit flip in a record-sized buffer", () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);
    const good = crc32c(data);
    for (let bit = 0; bit < data.length * 8; bit++) {
      data[bit >> 3]! ^= 1 << (bit & 7);
      expect(crc32c(data)).not.toBe(good);
      data[bit >> 3]! ^= 1 << (bit & 7);
    }
  });
});
