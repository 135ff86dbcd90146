/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78): every frame, segment header, index and
 * metadata file is checked with it. Chosen over CRC32 (IEEE) for its better error detection on
 * storage and because iSCSI, ext4 metadata and many log stores use it (known vectors are easy to
 * check).
 *
 * Two implementations, always producing the same value (crc32c.test.ts checks both against
 * known vectors and a bit-at-a-time reference):
 *  - software: slicing-by-16 in TypeScript, reading 32-bit words from aligned memory (about
 *    1 GB/s on the development machine, 2x the former byte-loading slicing-by-8);
 *  - hardware: the SSE4.2 / ARMv8 CRC32C instruction through the `@node-rs/crc32` native
 *    module when it loads (crc32c_native.ts; 3-4 GB/s including the call). A native call
 *    costs ~0.3 us, so inputs below `nativeMinBytes` (frame headers, small records) stay in
 *    TypeScript.
 * Profiling the 4 KiB append path showed the checksum as half of the store's CPU time per record.
 */
import { nativeCrc32cUnverified } from "./crc32c_native.js";
import type { Crc32cFn } from "./crc32c_native.js";

const POLY = 0x82f63b78;
const tablesCount = 16;

/** 16 tables of 256 entries, flat: T[t * 256 + b] is the CRC of byte b followed by t zero bytes. */
const T = ((): Uint32Array => {
  const t = new Uint32Array(256 * tablesCount);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let k = 1; k < tablesCount; k++) {
    for (let n = 0; n < 256; n++) {
      const p = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (t[p & 0xff]! ^ (p >>> 8)) >>> 0;
    }
  }
  return t;
})();

/** Word loads read memory in platform order; the word path assumes little endian. */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this a word view is not worth creating. */
const wordMinBytes = 64;
/** Below this the native call's fixed cost exceeds the software time (measured crossover ~256 B). */
export const nativeMinBytes = 256;

/** CRC32C in TypeScript (slicing-by-16). Pass the previous result as `crc` to chain chunks. */
export function crc32cSoftware(data: Uint8Array, crc = 0): number {
  let c = ~crc | 0;
  let i = 0;
  const n = data.length;
  if (littleEndian && n >= wordMinBytes) {
    // Bytes until the address is 4-aligned, then 16 bytes (four words) per step.
    while (((data.byteOffset + i) & 3) !== 0) {
      c = T[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
      i++;
    }
    const steps = (n - i) >>> 4;
    const w = new Int32Array(data.buffer, data.byteOffset + i, steps * 4);
    for (let k = 0; k < w.length; k += 4) {
      const a = c ^ w[k]!;
      const b = w[k + 1]!;
      const d = w[k + 2]!;
      const e = w[k + 3]!;
      c =
        T[3840 + (a & 0xff)]! ^
        T[3584 + ((a >>> 8) & 0xff)]! ^
        T[3328 + ((a >>> 16) & 0xff)]! ^
        T[3072 + (a >>> 24)]! ^
        T[2816 + (b & 0xff)]! ^
        T[2560 + ((b >>> 8) & 0xff)]! ^
        T[2304 + ((b >>> 16) & 0xff)]! ^
        T[2048 + (b >>> 24)]! ^
        T[1792 + (d & 0xff)]! ^
        T[1536 + ((d >>> 8) & 0xff)]! ^
        T[1280 + ((d >>> 16) & 0xff)]! ^
        T[1024 + (d >>> 24)]! ^
        T[768 + (e & 0xff)]! ^
        T[512 + ((e >>> 8) & 0xff)]! ^
        T[256 + ((e >>> 16) & 0xff)]! ^
        T[e >>> 24]!;
    }
    i += steps * 16;
  } else {
    // Slicing-by-8 with byte loads (short inputs, big-endian hosts).
    for (; i + 8 <= n; i += 8) {
      const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      c =
        T[1792 + (a & 0xff)]! ^
        T[1536 + ((a >>> 8) & 0xff)]! ^
        T[1280 + ((a >>> 16) & 0xff)]! ^
        T[1024 + (a >>> 24)]! ^
        T[768 + data[i + 4]!]! ^
        T[512 + data[i + 5]!]! ^
        T[256 + data[i + 6]!]! ^
        T[data[i + 7]!]!;
    }
  }
  for (; i < n; i++) c = T[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The native function, used only if it agrees with the software one on known inputs. */
const nativeCrc32c: Crc32cFn | undefined = ((): Crc32cFn | undefined => {
  const f = nativeCrc32cUnverified;
  if (f === undefined) return undefined;
  try {
    const probe = Uint8Array.from({ length: 1031 }, (_, i) => (i * 131 + 7) & 0xff);
    const ok =
      f(new TextEncoder().encode("123456789"), 0) === 0xe3069283 &&
      f(probe, 0) === crc32cSoftware(probe) &&
      f(probe.subarray(500), crc32cSoftware(probe.subarray(0, 500))) === crc32cSoftware(probe);
    return ok ? f : undefined;
  } catch {
    return undefined;
  }
})();

/** Which implementation large inputs use (the bench prints it). */
export const crc32cImplementation: "native" | "software" = nativeCrc32c === undefined ? "software" : "native";

/** Continue a CRC32C over `data` (pass the previous result as `crc` to chain chunks). */
export function crc32c(data: Uint8Array, crc = 0): number {
  if (nativeCrc32c !== undefined && data.length >= nativeMinBytes) return nativeCrc32c(data, crc);
  return crc32cSoftware(data, crc);
}
