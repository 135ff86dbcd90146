/**
 * Recovery scan of one segment file: walks every frame, verifies both checksums and sequence
 * order, and classifies each problem as a torn tail (truncate, not damage: that write was never
 * acknowledged) or corruption (report, skip, keep serving the rest). Reads in bounded chunks, so
 * a segment is never loaded whole.
 */
import { crc32c } from "./crc32c.js";
import type { FileHandle } from "./fs.js";
import { msgSizeBytes } from "./msg_index.js";
import {
  checkHeader,
  decodeMsgMeta,
  decodeSegmentHeader,
  frameChecksumOk,
  frameHeaderBytes,
  frameTrailerBytes,
  MissingKeyError,
  RecordKind,
  segmentHeaderBytes,
} from "./record.js";
import type { BodyCipher, FrameHeader } from "./record.js";

export interface RecoveredRecord {
  kind: RecordKind;
  seq: number;
  ts_ns: bigint;
  offset: number;
  frame_bytes: number;
  /** Messages only. */
  subject: string;
  size_bytes: number;
}

export interface ScanDamage {
  offset: number;
  first_seq: number;
  last_seq: number;
  reason: string;
}

export interface ScanResult {
  generation: number | undefined;
  records: RecoveredRecord[];
  damage: ScanDamage[];
  /** Where the next append goes (equals the file size unless a torn tail was cut). */
  end: number;
  /** Set when the tail must be truncated to `end` (torn final write). */
  torn: boolean;
  /** Checksum trailers to write back (a last record whose trailer write was torn; see overZeros). */
  repairs: Array<{ offset: number; bytes: Uint8Array }>;
}

const chunkBytes = 1 << 20;

class Window {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  constructor(private readonly h: FileHandle, private readonly size: number) {}
  /** Exactly `len` bytes at `off` if they are already loaded (no I/O), else undefined. */
  loaded(off: number, len: number): Uint8Array | undefined {
    if (off < this.start || off + len > this.start + this.bytes.length) return undefined;
    return this.bytes.subarray(off - this.start, off - this.start + len);
  }

  /** Up to `len` bytes at `off` (fewer at end of file). */
  async at(off: number, len: number): Promise<Uint8Array> {
    const want = Math.min(len, this.size - off);
    if (want <= 0) return new Uint8Array(0);
    if (off < this.start || off + want > this.start + this.bytes.length) {
      this.bytes = await this.h.read(off, Math.min(Math.max(want, chunkBytes), this.size - off));
      this.start = off;
    }
    return this.bytes.subarray(off - this.start, off - this.start + want);
  }
}

type Step =
  | { kind: "record"; header: FrameHeader; frame: Uint8Array }
  | { kind: "checksum"; header: FrameHeader } // complete frame, body checksum mismatch
  | { kind: "torn" } // short header, zero tail or valid header running past end of file
  | { kind: "bad" }; // invalid header

/**
 * `step` without awaiting, when the whole frame is already loaded and verifies or fails only its
 * trailer checksum (the common case); undefined sends the caller to `step`.
 */
function loadedStep(w: Window, off: number, size: number): Step | undefined {
  const head = w.loaded(off, frameHeaderBytes);
  if (head === undefined) return undefined;
  const hc = checkHeader(head);
  if (hc.kind !== "ok" || off + hc.header.frame_bytes > size) return undefined;
  const frame = w.loaded(off, hc.header.frame_bytes);
  if (frame === undefined) return undefined;
  return frameChecksumOk(frame) ? { kind: "record", header: hc.header, frame } : { kind: "checksum", header: hc.header };
}

async function step(w: Window, off: number, size: number): Promise<Step> {
  const hc = checkHeader(await w.at(off, frameHeaderBytes));
  if (hc.kind === "short") return { kind: "torn" };
  if (hc.kind === "zero") {
    // A zero header is a torn tail only if everything after it is zero too.
    for (let p = off; p < size; p += chunkBytes) {
      const b = await w.at(p, chunkBytes);
      for (let i = 0; i < b.length; i++) if (b[i] !== 0) return { kind: "bad" };
    }
    return { kind: "torn" };
  }
  if (hc.kind === "bad") return { kind: "bad" };
  if (off + hc.header.frame_bytes > size) return { kind: "torn" };
  const frame = await w.at(off, hc.header.frame_bytes);
  return frameChecksumOk(frame) ? { kind: "record", header: hc.header, frame } : { kind: "checksum", header: hc.header };
}

/**
 * Next offset after `from` where a fully valid frame starts, if any. Checks only what `step`
 * needs to say "record" (header, length, checksum): its all-zero-tail check would make a byte-wise
 * walk over a zeroed (preallocated) region quadratic.
 */
async function resync(w: Window, from: number, size: number): Promise<number | undefined> {
  for (let p = from; p + frameHeaderBytes <= size; p++) {
    // A frame starts with its u32 length (>= 32), so one of its first 4 bytes is non-zero: jump
    // over zero runs (a preallocated tail) instead of trying every offset in them.
    const ahead = await w.at(p, 4096);
    let q = 0;
    while (q < ahead.length && ahead[q] === 0) q++;
    if (q === ahead.length) {
      p += Math.max(0, q - 4);
      continue;
    }
    p += Math.max(0, q - 3);
    if (p + frameHeaderBytes > size) break;
    const hc = checkHeader(await w.at(p, frameHeaderBytes));
    if (hc.kind !== "ok" || p + hc.header.frame_bytes > size) continue;
    if (frameChecksumOk(await w.at(p, hc.header.frame_bytes))) return p;
  }
  return undefined;
}

/** Offset just past the last non-zero byte in [from, size) (`from` when all are zero). */
async function nonZeroEnd(w: Window, from: number, size: number): Promise<number> {
  for (let end = size; end > from; ) {
    const start = Math.max(from, end - chunkBytes);
    const b = await w.at(start, end - start);
    for (let i = b.length - 1; i >= 0; i--) if (b[i] !== 0) return start + i + 1;
    end = start;
  }
  return from;
}

/**
 * Zeros the file store keeps after the last batch while preallocating (file_store.ts). A torn
 * write is recognised as one only when at least this many zeros follow it, so without
 * preallocation nothing changes: there a torn frame runs past the end of the file.
 */
export const zeroTailMinBytes = 4096;

type OverZeros = { kind: "torn" } | { kind: "trailer"; header: FrameHeader; frame: Uint8Array };

/**
 * In the active segment, is the frame at `off` (which failed to verify) the prefix of a write
 * torn over preallocated zeros? A torn write leaves a prefix of the frame and zeros after it to
 * the end of the file. So, with nothing non-zero after the frame and at least zeroTailMinBytes of
 * zeros at the end: a header cut short, or a frame whose trailer checksum is missing (all zero),
 * is torn. Bit rot in a complete last frame keeps its whole trailer and is still corruption
 * (mistaking it needs a stored checksum of 0: ~2^-32). When part of the trailer made it and
 * matches the checksum of the (then complete) body, the record itself is intact: "trailer"
 * returns it with the trailer completed, and the caller keeps it (the same bytes are what a bit
 * flip clearing the trailer's top byte would leave, so dropping it could lose an acknowledged
 * record).
 */
async function overZeros(w: Window, off: number, size: number, s: Step): Promise<OverZeros | undefined> {
  if (s.kind !== "bad" && s.kind !== "checksum") return undefined;
  const end = await nonZeroEnd(w, off, size);
  if (size - end < zeroTailMinBytes) return undefined;
  if (s.kind === "bad") return end - off < frameHeaderBytes ? { kind: "torn" } : undefined;
  const frameEnd = off + s.header.frame_bytes;
  if (end > frameEnd) return undefined;
  const trailerAt = frameEnd - frameTrailerBytes;
  if (end <= trailerAt) return { kind: "torn" };
  const frame = (await w.at(off, s.header.frame_bytes)).slice();
  const crc = crc32c(frame.subarray(0, frame.length - frameTrailerBytes));
  for (let i = 0; i < end - trailerAt; i++) {
    if (frame[frame.length - frameTrailerBytes + i] !== ((crc >>> (8 * i)) & 0xff)) return undefined;
  }
  new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setUint32(frame.length - frameTrailerBytes, crc, true);
  return { kind: "trailer", header: s.header, frame };
}

export async function scanSegment(
  h: FileHandle,
  size: number,
  /** `repairTrailers: false` drops a record with a torn trailer instead (the caller cannot write). */
  opts: { tail: boolean; prevSeq: number; cipher: BodyCipher | undefined; repairTrailers?: boolean },
): Promise<ScanResult> {
  const w = new Window(h, size);
  const records: RecoveredRecord[] = [];
  const damage: ScanDamage[] = [];
  let lastMsgSeq = opts.prevSeq;
  const seg = decodeSegmentHeader(await w.at(0, segmentHeaderBytes));
  if (seg === undefined && size >= segmentHeaderBytes && (await w.at(0, segmentHeaderBytes)).some((x) => x !== 0)) {
    damage.push({ offset: 0, first_seq: 0, last_seq: 0, reason: "segment header checksum mismatch" });
  }
  if (size < segmentHeaderBytes) return { generation: undefined, records, damage, end: size, torn: size > 0, repairs: [] };
  let off = segmentHeaderBytes;
  let pending: { offset: number; reason: string; seqHint: number | undefined } | undefined;
  const closeDamage = (nextSeq: number | undefined): void => {
    if (pending === undefined) return;
    const first = lastMsgSeq + 1;
    const last = nextSeq !== undefined ? Math.max(first, nextSeq - 1) : Math.max(first, pending.seqHint ?? first);
    damage.push({ offset: pending.offset, first_seq: first, last_seq: last, reason: pending.reason });
    pending = undefined;
  };
  const mark = (offset: number, reason: string, seqHint: number | undefined): void => {
    if (pending === undefined) pending = { offset, reason, seqHint };
    else if (seqHint !== undefined) pending.seqHint = Math.max(pending.seqHint ?? 0, seqHint);
  };
  let torn = false;
  const repairs: ScanResult["repairs"] = [];
  while (off < size) {
    let s = loadedStep(w, off, size) ?? (await step(w, off, size));
    if (s.kind !== "record" && opts.tail) {
      const z = await overZeros(w, off, size, s);
      if (z?.kind === "torn" || (z?.kind === "trailer" && opts.repairTrailers !== true)) {
        torn = true;
        break;
      }
      if (z?.kind === "trailer") {
        repairs.push({ offset: off + z.header.frame_bytes - frameTrailerBytes, bytes: z.frame.slice(z.frame.length - frameTrailerBytes) });
        s = { kind: "record", header: z.header, frame: z.frame };
      }
    }
    if (s.kind === "record") {
      const hd = s.header;
      if (hd.kind === RecordKind.msg) {
        if (hd.seq <= lastMsgSeq) {
          mark(off, `sequence ${hd.seq} not after ${lastMsgSeq}`, undefined);
          off += hd.frame_bytes;
          continue;
        }
        let rec: RecoveredRecord;
        try {
          const meta = decodeMsgMeta(s.frame, hd, opts.cipher);
          rec = { kind: hd.kind, seq: hd.seq, ts_ns: hd.ts_ns, offset: off, frame_bytes: hd.frame_bytes, subject: meta.subject, size_bytes: msgSizeBytes(meta.subject, meta.headers_bytes, meta.payload_bytes) };
        } catch (err) {
          if (err instanceof MissingKeyError) throw err;
          mark(off, `undecodable record: ${(err as Error).message}`, hd.seq);
          off += hd.frame_bytes;
          continue;
        }
        closeDamage(hd.seq);
        records.push(rec);
        lastMsgSeq = hd.seq;
      } else {
        records.push({ kind: hd.kind, seq: hd.seq, ts_ns: hd.ts_ns, offset: off, frame_bytes: hd.frame_bytes, subject: "", size_bytes: 0 });
      }
      off += hd.frame_bytes;
      continue;
    }
    if (s.kind === "checksum") {
      // The header verified, so its length can be trusted: skip exactly this frame.
      mark(off, "record checksum mismatch", s.header.kind === RecordKind.msg ? s.header.seq : undefined);
      off += s.header.frame_bytes;
      continue;
    }
    const next = await resync(w, off + 1, size);
    if (next !== undefined) {
      mark(off, "record header checksum mismatch", undefined);
      off = next;
      continue;
    }
    if (s.kind === "torn" && opts.tail) {
      torn = true;
    } else {
      mark(off, s.kind === "torn" ? "incomplete record in a sealed segment" : "record header checksum mismatch at end of segment", undefined);
      // A corrupt tail of the active segment is cut (after being reported) so appends continue
      // on a clean frame boundary; a sealed segment is left as it is.
      if (opts.tail) torn = true;
    }
    break;
  }
  closeDamage(undefined);
  return { generation: seg?.generation, records, damage, end: torn ? off : size, torn, repairs };
}
