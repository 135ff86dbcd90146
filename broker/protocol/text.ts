/**
 * Byte ↔ string helpers for the wire. Subjects are almost always short ASCII, so the fast paths
 * are plain loops (JIT-friendly, no allocation beyond the result); anything else falls back to
 * the standard UTF-8 codecs.
 */
const utf8Decoder = new TextDecoder("utf-8", { fatal: false });
const utf8Encoder = new TextEncoder();

/** Decode bytes [start, end) as UTF-8, with an ASCII fast path for short tokens. */
export function decodeToken(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len <= 48) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8Decoder.decode(buf.subarray(start, end));
}

/** Write s as UTF-8 at pos; returns the new position. The caller guarantees room (4 bytes per char). */
export function writeString(buf: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return pos + utf8Encoder.encodeInto(s.slice(i), buf.subarray(pos)).written;
    buf[pos++] = c;
  }
  return pos;
}

/** Upper bound on the UTF-8 length of s. */
export function maxUtf8Bytes(s: string): number {
  return s.length * 3;
}

/** Write a non-negative integer in decimal at pos; returns the new position. */
export function writeUint(buf: Uint8Array, pos: number, value: number): number {
  if (value < 10) {
    buf[pos] = 48 + value;
    return pos + 1;
  }
  if (value <= 0x7fffffff) {
    // Integer fast path (sizes are far below 2^31).
    let digits = 1;
    for (let v = value; v >= 10; v = (v / 10) | 0) digits++;
    let p = pos + digits;
    for (let v = value; v > 0; v = (v / 10) | 0) buf[--p] = 48 + (v % 10);
    return pos + digits;
  }
  let digits = 0;
  for (let v = value; v > 0; v = Math.floor(v / 10)) digits++;
  let p = pos + digits;
  for (let v = value; v > 0; v = Math.floor(v / 10)) buf[--p] = 48 + (v % 10);
  return pos + digits;
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}

export function decodeUtf8(buf: Uint8Array): string {
  return utf8Decoder.decode(buf);
}
