/**
 * On-disk framing of segments and records (format version 1). Pure: bytes in, bytes out.
 *
 * Segment header (32 bytes):
 *   0 magic "SLSG" | 4 u16 version | 6 u16 flags | 8 u64 segment id | 16 u32 generation |
 *   20 8 reserved | 28 u32 CRC32C of bytes 0..28
 * Record frame (little endian):
 *   0 u32 frame length (whole frame, this field and the trailer included)
 *   4 u8 kind | 5 u8 flags (bit0 encrypted) | 6 u16 key id | 8 u64 seq | 16 i64 ts_ns
 *   24 u32 CRC32C of bytes 0..24 (header check: a torn write never yields a valid header with a
 *      wrong length, so a bad header means corruption, an over-long valid one a torn tail)
 *   28 body | last 4 bytes: u32 CRC32C of everything before it
 * Message body (plain): u16 subject length | u32 headers length (0xFFFFFFFF = none) | subject |
 *   headers | payload. Encrypted: 12-byte nonce | AES-256-GCM(plain body) | 16-byte tag,
 *   with the first 24 header bytes as associated data.
 */
import type { BufferPool } from "./buffer_pool.js";
import { crc32c } from "./crc32c.js";

export const segmentHeaderBytes = 32;
export const frameHeaderBytes = 28;
export const frameTrailerBytes = 4;
export const frameOverheadBytes = frameHeaderBytes + frameTrailerBytes;
export const formatVersion = 1;
const segmentMagic = 0x47534c53; // "SLSG" little endian
const noHeaders = 0xffffffff;

export const RecordKind = {
  msg: 1,
  /** Deletes the message with this seq. */
  tombstone: 2,
  /** Every seq below this one is deleted. */
  floor: 3,
  /** A message overwritten in place by delete({ erase: true }). */
  erased: 4,
  /** last_seq is at least this seq (kept in the active segment before older ones are dropped). */
  lastSeq: 5,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];
const kindMax = 5;

export const flagEncrypted = 1;

export interface FrameHeader {
  frame_bytes: number;
  kind: RecordKind;
  flags: number;
  key_id: number;
  seq: number;
  ts_ns: bigint;
}

export interface MsgBody {
  subject: string;
  headers: Uint8Array | undefined;
  payload: Uint8Array;
}

/** Seals and opens encrypted bodies; see encryption.ts. */
export interface BodyCipher {
  readonly currentKeyId: number;
  /** Output length is input length + sealOverheadBytes. */
  seal(aad: Uint8Array, plain: Uint8Array): Uint8Array;
  open(keyId: number, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}
export const sealOverheadBytes = 12 + 16;

/** A record needs a key the keyring lacks: a configuration error, not damage. */
export class MissingKeyError extends Error {
  override name = "MissingKeyError";
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 subject bytes to a string, reusing the previous result when the bytes are the same:
 * recovery and index loading decode one subject per record, and streams repeat few subjects.
 * Throws on invalid UTF-8 (the decoder is fatal).
 */
let lastSubjectBytes = new Uint8Array(0);
let lastSubject = "";
export function decodeSubject(b: Uint8Array): string {
  if (b.length === lastSubjectBytes.length && b.length > 0) {
    let same = true;
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== lastSubjectBytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastSubject;
  }
  const s = dec.decode(b);
  lastSubjectBytes = b.slice();
  lastSubject = s;
  return s;
}

/** Little-endian u32 at `at` (a DataView per call costs more than the read on hot paths). */
function u32le(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function encodeSegmentHeader(id: number, generation: number): Uint8Array {
  const b = new Uint8Array(segmentHeaderBytes);
  const v = view(b);
  v.setUint32(0, segmentMagic, true);
  v.setUint16(4, formatVersion, true);
  v.setBigUint64(8, BigInt(id), true);
  v.setUint32(16, generation, true);
  v.setUint32(28, crc32c(b.subarray(0, 28)), true);
  return b;
}

export function decodeSegmentHeader(b: Uint8Array): { id: number; generation: number } | undefined {
  if (b.length < segmentHeaderBytes) return undefined;
  const v = view(b);
  if (v.getUint32(28, true) !== crc32c(b.subarray(0, 28))) return undefined;
  if (v.getUint32(0, true) !== segmentMagic || v.getUint16(4, true) !== formatVersion) return undefined;
  return { id: Number(v.getBigUint64(8, true)), generation: v.getUint32(16, true) };
}

function plainBodyBytes(subject: Uint8Array, m: MsgBody): number {
  return 6 + subject.length + (m.headers?.length ?? 0) + m.payload.length;
}

/** Write the plain body layout into `b` at `at`. */
function writePlainBody(b: Uint8Array, v: DataView, at: number, subject: Uint8Array, m: MsgBody): void {
  const hl = m.headers?.length ?? 0;
  v.setUint16(at, subject.length, true);
  v.setUint32(at + 2, m.headers === undefined ? noHeaders : hl, true);
  b.set(subject, at + 6);
  if (m.headers !== undefined) b.set(m.headers, at + 6 + subject.length);
  b.set(m.payload, at + 6 + subject.length + hl);
}

function decodePlainBody(b: Uint8Array): MsgBody {
  if (b.length < 6) throw new Error("message body too short");
  const v = view(b);
  const sl = v.getUint16(0, true);
  const hlRaw = v.getUint32(2, true);
  const hl = hlRaw === noHeaders ? 0 : hlRaw;
  if (6 + sl + hl > b.length) throw new Error("message body lengths exceed frame");
  const subject = decodeSubject(b.subarray(6, 6 + sl));
  // Copies, so callers never alias a read buffer or the cache.
  const headers = hlRaw === noHeaders ? undefined : b.slice(6 + sl, 6 + sl + hl);
  return { subject, headers, payload: b.slice(6 + sl + hl) };
}

const two32 = 2 ** 32;

/** The fixed header of a frame of `frameBytes` starting at `at` (seq written as two u32: no BigInt). */
function writeHeader(b: Uint8Array, v: DataView, at: number, frameBytes: number, h: Omit<FrameHeader, "frame_bytes">): void {
  v.setUint32(at, frameBytes, true);
  v.setUint8(at + 4, h.kind);
  v.setUint8(at + 5, h.flags);
  v.setUint16(at + 6, h.key_id, true);
  v.setUint32(at + 8, h.seq >>> 0, true);
  v.setUint32(at + 12, Math.floor(h.seq / two32), true);
  v.setBigInt64(at + 16, h.ts_ns, true);
  v.setUint32(at + 24, crc32c(b.subarray(at, at + 24)), true);
}

/** The trailer checksum of the frame of `frameBytes` at `at`. */
function finish(b: Uint8Array, v: DataView, at: number, frameBytes: number): void {
  const end = at + frameBytes - frameTrailerBytes;
  v.setUint32(end, crc32c(b.subarray(at, end)), true);
}

/** Bytes of a message frame (the same with or without encryption of the same size class). */
export function msgFrameBytes(subject: Uint8Array, m: MsgBody, encrypted: boolean): number {
  return frameOverheadBytes + plainBodyBytes(subject, m) + (encrypted ? sealOverheadBytes : 0);
}

/**
 * Frames written back to back into one growing buffer: a group-commit batch is encoded straight
 * into the bytes it writes (no buffer per record, no concatenation). `bytes()` is what to write.
 */
export class FrameBuffer {
  private buf: Uint8Array;
  private v: DataView;
  private used = 0;

  /** With a pool, buffers come from it and `release()` gives the current one back. */
  constructor(
    capacity_bytes: number,
    private readonly pool?: BufferPool,
  ) {
    this.buf = pool?.acquire(capacity_bytes) ?? new Uint8Array(Math.max(64, capacity_bytes));
    this.v = view(this.buf);
  }

  get length(): number {
    return this.used;
  }

  /** Room for `n` more bytes; returns where they start. Growth copies, so size the start well. */
  private reserve(n: number): number {
    const at = this.used;
    if (at + n > this.buf.length) {
      const want = Math.max(this.buf.length * 2, at + n);
      const next = this.pool?.acquire(want) ?? new Uint8Array(want);
      next.set(this.buf.subarray(0, at));
      this.pool?.release(this.buf);
      this.buf = next;
      this.v = view(next);
    }
    this.used = at + n;
    return at;
  }

  /** Return the buffer to the pool: only once nothing reads `bytes()` any more (the write returned). */
  release(): void {
    this.pool?.release(this.buf);
    this.buf = new Uint8Array(0);
    this.v = view(this.buf);
    this.used = 0;
  }

  /** Append a message frame (encrypted when a cipher is given); returns its offset in the buffer. */
  msg(seq: number, ts_ns: bigint, m: MsgBody, cipher: BodyCipher | undefined, subject: Uint8Array): number {
    const plainBytes = plainBodyBytes(subject, m);
    if (cipher === undefined) {
      const n = frameOverheadBytes + plainBytes;
      const at = this.reserve(n);
      const b = this.buf;
      const v = this.v;
      writeHeader(b, v, at, n, { kind: RecordKind.msg, flags: 0, key_id: 0, seq, ts_ns });
      writePlainBody(b, v, at + frameHeaderBytes, subject, m);
      finish(b, v, at, n);
      return at;
    }
    // Sealing may throw: do it before reserving, so a failed record leaves no bytes behind.
    const head = new Uint8Array(frameHeaderBytes);
    const n = frameOverheadBytes + plainBytes + sealOverheadBytes;
    writeHeader(head, view(head), 0, n, { kind: RecordKind.msg, flags: flagEncrypted, key_id: cipher.currentKeyId, seq, ts_ns });
    const plain = new Uint8Array(plainBytes);
    writePlainBody(plain, view(plain), 0, subject, m);
    const sealed = cipher.seal(head.subarray(0, 24), plain);
    if (sealed.length !== plainBytes + sealOverheadBytes) throw new Error(`cipher returned ${sealed.length} bytes for ${plainBytes}`);
    const at = this.reserve(n);
    this.buf.set(head, at);
    this.buf.set(sealed, at + frameHeaderBytes);
    finish(this.buf, this.v, at, n);
    return at;
  }

  /** Append a body-less control record (tombstone, floor, lastSeq); returns its offset. */
  control(kind: RecordKind, seq: number): number {
    const at = this.reserve(frameOverheadBytes);
    writeHeader(this.buf, this.v, at, frameOverheadBytes, { kind, flags: 0, key_id: 0, seq, ts_ns: 0n });
    finish(this.buf, this.v, at, frameOverheadBytes);
    return at;
  }

  /** The frames written so far (a view, valid until the next append). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.used);
  }
}

/** Frame a message; encrypted when a cipher is given. `subject` is m.subject as UTF-8. */
export function encodeMsgFrame(seq: number, ts_ns: bigint, m: MsgBody, cipher?: BodyCipher, subject: Uint8Array = enc.encode(m.subject)): Uint8Array {
  const fb = new FrameBuffer(msgFrameBytes(subject, m, cipher !== undefined));
  fb.msg(seq, ts_ns, m, cipher, subject);
  return fb.bytes();
}

/** Frame a body-less control record (tombstone, floor, lastSeq). */
export function encodeControlFrame(kind: RecordKind, seq: number): Uint8Array {
  const fb = new FrameBuffer(frameOverheadBytes);
  fb.control(kind, seq);
  return fb.bytes();
}

/** An erased record of exactly `frame_bytes` (overwrites a message in place; body zeroed). */
export function encodeErasedFrame(seq: number, frame_bytes: number): Uint8Array {
  const f = new Uint8Array(frame_bytes);
  const v = view(f);
  writeHeader(f, v, 0, frame_bytes, { kind: RecordKind.erased, flags: 0, key_id: 0, seq, ts_ns: 0n });
  finish(f, v, 0, frame_bytes);
  return f;
}

export type HeaderCheck =
  | { kind: "ok"; header: FrameHeader }
  | { kind: "short" } // fewer than frameHeaderBytes available
  | { kind: "zero" } // all-zero header (preallocated or never written)
  | { kind: "bad" }; // checksum or field mismatch: corruption

/** Check the fixed header at the start of `b`. */
export function checkHeader(b: Uint8Array): HeaderCheck {
  if (b.length < frameHeaderBytes) return { kind: "short" };
  if (u32le(b, 24) !== crc32c(b.subarray(0, 24))) {
    for (let i = 0; i < frameHeaderBytes; i++) if (b[i] !== 0) return { kind: "bad" };
    return { kind: "zero" };
  }
  const frame_bytes = u32le(b, 0);
  const kind = b[4]!;
  const seqHi = u32le(b, 12);
  // Sequences are safe integers: the high word stays below 2^21.
  if (frame_bytes < frameOverheadBytes || kind < 1 || kind > kindMax || seqHi >= 2 ** 21) {
    return { kind: "bad" };
  }
  return {
    kind: "ok",
    header: { frame_bytes, kind: kind as RecordKind, flags: b[5]!, key_id: b[6]! | (b[7]! << 8), seq: seqHi * two32 + u32le(b, 8), ts_ns: view(b).getBigInt64(16, true) },
  };
}

/** True when a whole frame's trailer checksum matches. */
export function frameChecksumOk(f: Uint8Array): boolean {
  return f.length >= frameOverheadBytes && u32le(f, f.length - 4) === crc32c(f.subarray(0, f.length - 4));
}

/**
 * Subject and body sizes of a verified message frame without copying the payload (recovery
 * scans need only these). Encrypted bodies are opened, which also authenticates them.
 */
export function decodeMsgMeta(f: Uint8Array, h: FrameHeader, cipher?: BodyCipher): { subject: string; headers_bytes: number; payload_bytes: number } {
  let body = f.subarray(frameHeaderBytes, f.length - frameTrailerBytes);
  if ((h.flags & flagEncrypted) !== 0) {
    if (cipher === undefined) throw new MissingKeyError(`record ${h.seq} is encrypted (key id ${h.key_id}) but no keys are configured`);
    body = cipher.open(h.key_id, f.subarray(0, 24), body);
  }
  if (body.length < 6) throw new Error("message body too short");
  const sl = body[0]! | (body[1]! << 8);
  const hlRaw = u32le(body, 2);
  const hl = hlRaw === noHeaders ? 0 : hlRaw;
  if (6 + sl + hl > body.length) throw new Error("message body lengths exceed frame");
  return { subject: decodeSubject(body.subarray(6, 6 + sl)), headers_bytes: hl, payload_bytes: body.length - 6 - sl - hl };
}

/** Decode a verified message frame (header checked, checksum ok). Throws on a malformed body. */
export function decodeMsgBody(f: Uint8Array, h: FrameHeader, cipher?: BodyCipher): MsgBody {
  const body = f.subarray(frameHeaderBytes, f.length - frameTrailerBytes);
  if ((h.flags & flagEncrypted) === 0) return decodePlainBody(body);
  if (cipher === undefined) throw new MissingKeyError(`record ${h.seq} is encrypted (key id ${h.key_id}) but no keys are configured`);
  return decodePlainBody(cipher.open(h.key_id, f.subarray(0, 24), body));
}
