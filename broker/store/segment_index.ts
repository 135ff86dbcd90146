/**
 * Per-segment index files (`<id>.idx`): the recovered-record list of a sealed segment, so a
 * restart reads a small file instead of scanning the segment. Advisory: it is checked against
 * the segment (id, generation, size) and its own CRC32C, and rebuilt by a scan when missing or
 * damaged. With encryption on, the entry list (which holds subjects) is sealed too.
 *
 * Layout: 0 magic "SLIX" | 4 u16 version | 6 u16 flags (bit0 sealed) | 8 u64 segment id |
 *   16 u32 generation | 20 u32 count | 24 u64 segment size | 32 u32 body length | 36 body |
 *   u32 CRC32C of everything before it.
 * Entry: u8 kind | u64 seq | i64 ts_ns | u32 offset | u32 frame bytes | u32 size bytes |
 *   u16 subject length | subject.
 */
import { crc32c } from "./crc32c.js";
import { subjectBytes } from "./msg_index.js";
import { decodeSubject } from "./record.js";
import type { BodyCipher } from "./record.js";
import type { RecoveredRecord } from "./segment_scan.js";
import type { RecordKind } from "./record.js";

const magic = 0x58494c53; // "SLIX"
const version = 1;
const headBytes = 36;
const empty = new Uint8Array(0);

export interface SegmentIndexFile {
  id: number;
  generation: number;
  segment_bytes: number;
  records: RecoveredRecord[];
}

export function encodeSegmentIndex(ix: SegmentIndexFile, cipher: BodyCipher | undefined): Uint8Array {
  // Recovered subjects were validated when appended; control records have none.
  const subjects = ix.records.map((r) => (r.subject === "" ? empty : subjectBytes(r.subject)));
  const bodyLen = ix.records.reduce((n, _r, i) => n + 31 + subjects[i]!.length, 0);
  const body = new Uint8Array(bodyLen);
  const bv = new DataView(body.buffer);
  let p = 0;
  ix.records.forEach((r, i) => {
    const s = subjects[i]!;
    bv.setUint8(p, r.kind);
    bv.setBigUint64(p + 1, BigInt(r.seq), true);
    bv.setBigInt64(p + 9, r.ts_ns, true);
    bv.setUint32(p + 17, r.offset, true);
    bv.setUint32(p + 21, r.frame_bytes, true);
    bv.setUint32(p + 25, r.size_bytes, true);
    bv.setUint16(p + 29, s.length, true);
    body.set(s, p + 31);
    p += 31 + s.length;
  });
  const head = new Uint8Array(headBytes);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, magic, true);
  hv.setUint16(4, version, true);
  hv.setUint16(6, cipher ? 1 : 0, true);
  hv.setBigUint64(8, BigInt(ix.id), true);
  hv.setUint32(16, ix.generation, true);
  hv.setUint32(20, ix.records.length, true);
  hv.setBigUint64(24, BigInt(ix.segment_bytes), true);
  const stored = cipher ? cipher.seal(head.subarray(0, 32), body) : body;
  hv.setUint32(32, stored.length, true);
  const out = new Uint8Array(headBytes + stored.length + 4);
  out.set(head, 0);
  out.set(stored, headBytes);
  new DataView(out.buffer).setUint32(out.length - 4, crc32c(out.subarray(0, out.length - 4)), true);
  return out;
}

/** Decode and validate; undefined when damaged, stale or unreadable (the caller rescans). */
export function decodeSegmentIndex(b: Uint8Array, cipher: BodyCipher | undefined): SegmentIndexFile | undefined {
  try {
    if (b.length < headBytes + 4) return undefined;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (v.getUint32(b.length - 4, true) !== crc32c(b.subarray(0, b.length - 4))) return undefined;
    if (v.getUint32(0, true) !== magic || v.getUint16(4, true) !== version) return undefined;
    const sealed = (v.getUint16(6, true) & 1) === 1;
    if (sealed !== (cipher !== undefined)) return undefined;
    const count = v.getUint32(20, true);
    const storedLen = v.getUint32(32, true);
    if (headBytes + storedLen + 4 !== b.length) return undefined;
    const stored = b.subarray(headBytes, headBytes + storedLen);
    const body = cipher ? cipher.open(cipher.currentKeyId, b.subarray(0, 32), stored) : stored;
    const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const records: RecoveredRecord[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      const sl = bv.getUint16(p + 29, true);
      records.push({
        kind: bv.getUint8(p) as RecordKind,
        seq: Number(bv.getBigUint64(p + 1, true)),
        ts_ns: bv.getBigInt64(p + 9, true),
        offset: bv.getUint32(p + 17, true),
        frame_bytes: bv.getUint32(p + 21, true),
        size_bytes: bv.getUint32(p + 25, true),
        subject: decodeSubject(body.subarray(p + 31, p + 31 + sl)),
      });
      p += 31 + sl;
    }
    if (p !== body.length) return undefined;
    return { id: Number(v.getBigUint64(8, true)), generation: v.getUint32(16, true), segment_bytes: Number(v.getBigUint64(24, true)), records };
  } catch {
    return undefined;
  }
}
