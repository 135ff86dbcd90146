import { describe, expect, it } from "vitest";
import { Prng } from "../../common/prng.js";
import { crc32c, crc32cImplementation, crc32cSoftware, nativeMinBytes } from "./crc32c.js";
import { nativeCrc32cUnverified } from "./crc32c_native.js";

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
function reference(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

function randomBytes(prng: Prng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => prng.int(256));
}

/** Every implementation the store may use on this host. */
const impls: Array<{ name: string; f: (d: Uint8Array, crc?: number) => number }> = [
  { name: "dispatching crc32c", f: crc32c },
  { name: "software", f: crc32cSoftware },
  ...(nativeCrc32cUnverified === undefined ? [] : [{ name: "native", f: (d: Uint8Array, crc = 0): number => nativeCrc32cUnverified!(d, crc) }]),
];

describe.each(impls)("crc32c ($name)", ({ f }) => {
  it.each(vectors)("matches the known vector: $name", ({ data, crc }) => {
    expect(f(data)).toBe(crc);
  });

  it("matches the reference for 4 KiB inputs (a 4 KiB record frame and a 4 KiB page)", () => {
    const prng = new Prng(4096);
    for (const n of [4096, 4096 + 32 + 6 + 11, 4095, 4097]) {
      const data = randomBytes(prng, n);
      expect(f(data)).toBe(reference(data));
    }
    // Known value computed with the bit-at-a-time reference for a fixed pattern (guards the
    // reference and the tables against the same mistake only together with the RFC vectors).
    expect(f(new Uint8Array(4096))).toBe(reference(new Uint8Array(4096)));
  });

  it("matches the reference at every unaligned offset and length around the word and native thresholds", () => {
    const prng = new Prng(17);
    const backing = randomBytes(prng, 8192 + 16);
    for (let off = 0; off < 8; off++) {
      for (const n of [0, 1, 3, 15, 16, 17, 63, 64, 65, 255, nativeMinBytes - 1, nativeMinBytes, nativeMinBytes + 1, 1000, 4096, 4145, 8192]) {
        const d = backing.subarray(off, off + n);
        expect(f(d), `offset ${off} length ${n}`).toBe(reference(d));
      }
    }
    // A view into a Buffer-like larger ArrayBuffer with a non-zero byteOffset.
    const shifted = new Uint8Array(backing.buffer, 5, 4145);
    expect(f(shifted)).toBe(reference(shifted));
  });

  it("matches the reference for random lengths and chains across chunks", () => {
    const prng = new Prng(5);
    for (let i = 0; i < 200; i++) {
      const data = randomBytes(prng, prng.int(i < 150 ? 100 : 6000));
      const expected = reference(data);
      expect(f(data)).toBe(expected);
      const cut = prng.int(data.length + 1);
      expect(f(data.subarray(cut), f(data.subarray(0, cut)))).toBe(expected);
      expect(f(data.subarray(cut), reference(data.subarray(0, cut)))).toBe(expected);
    }
  });

  it("detects every single-bit flip in a record-sized buffer", () => {
    const data = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff);
    const good = f(data);
    for (let bit = 0; bit < data.length * 8; bit++) {
      data[bit >> 3]! ^= 1 << (bit & 7);
      expect(f(data)).not.toBe(good);
      data[bit >> 3]! ^= 1 << (bit & 7);
    }
  });

  it("detects single-bit flips anywhere in a 4 KiB frame", () => {
    const prng = new Prng(99);
    const data = randomBytes(prng, 4145);
    const good = f(data);
    for (let i = 0; i < 500; i++) {
      const bit = prng.int(data.length * 8);
      data[bit >> 3]! ^= 1 << (bit & 7);
      expect(f(data)).not.toBe(good);
      data[bit >> 3]! ^= 1 << (bit & 7);
    }
  });
});

describe("crc32c implementation choice", () => {
  it("uses the hardware module where its prebuilt binary exists (linux x64), unless forced to software", () => {
    if (process.env.SLUICE_CRC32C === "software") {
      expect(crc32cImplementation).toBe("software");
    } else if (process.platform === "linux" && process.arch === "x64") {
      // The dependency and its platform package are in package-lock.json; if this fails the
      // store still works (software), but 4 KiB appends and recovery scans are ~3x slower.
      expect(crc32cImplementation).toBe("native");
    } else {
      expect(["native", "software"]).toContain(crc32cImplementation);
    }
  });
});
