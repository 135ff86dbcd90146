/**
 * Verifying what the FileStore reads back: one message frame on a read (by sequence), and every
 * frame of every segment on a scrub. Corrupted bytes are reported, never returned.
 */
import { checkHeader, decodeMsgBody, frameChecksumOk, RecordKind } from "./record.js";
import type { BodyCipher } from "./record.js";
import type { Segment } from "./segment.js";
import { scanSegment } from "./segment_scan.js";
import type { StoreDamage, StoredMessage } from "./types.js";

/** The message in `frame` (read at the index's location for `seq`, `len` bytes), or why it is unusable. */
export function verifyMsgFrame(frame: Uint8Array, seq: number, len: number, cipher: BodyCipher | undefined): StoredMessage | string {
  const hc = checkHeader(frame);
  if (frame.length !== len || hc.kind !== "ok" || !frameChecksumOk(frame)) return "record checksum mismatch on read";
  const h = hc.header;
  if (h.kind !== RecordKind.msg || h.seq !== seq || h.frame_bytes !== len) return `index points at a different record (kind ${h.kind}, seq ${h.seq})`;
  try {
    const body = decodeMsgBody(frame, h, cipher);
    return { seq, ts_ns: h.ts_ns, subject: body.subject, headers: body.headers, payload: body.payload };
  } catch (err) {
    return `undecodable record: ${(err as Error).message}`;
  }
}

/** Every damaged range in `segments` (in order), not trusting index files. */
export async function scanAllSegments(segments: readonly Segment[], cipher: BodyCipher | undefined): Promise<StoreDamage[]> {
  const found: StoreDamage[] = [];
  let prevSeq = 0;
  for (const seg of segments) {
    const scan = await scanSegment(seg.handle, seg.size, { tail: false, prevSeq, cipher });
    for (const d of scan.damage) found.push({ segment: seg.name, ...d });
    for (const r of scan.records) if (r.kind === RecordKind.msg) prevSeq = Math.max(prevSeq, r.seq);
  }
  return found;
}
