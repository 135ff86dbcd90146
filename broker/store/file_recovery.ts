/**
 * Rebuild a stream's in-memory state from its directory: sealed segments from their index
 * files when those verify, otherwise (and always for the tail segment) by scanning frames.
 * Torn tails are cut; corruption is reported as damage with the sequences lost, skipped, and
 * never served. Also used after a failed write or fsync to recover from what is on disk.
 */
import { joinPath } from "./fs.js";
import type { FileHandle, FileSystem } from "./fs.js";
import { MsgIndex } from "./msg_index.js";
import type { IndexEntry } from "./msg_index.js";
import { decodeSegmentHeader, encodeSegmentHeader, RecordKind, segmentHeaderBytes } from "./record.js";
import type { BodyCipher } from "./record.js";
import { indexFileName, parseSegmentFileName, Segment, segmentFileName } from "./segment.js";
import type { Loc } from "./segment.js";
import { decodeSegmentIndex, encodeSegmentIndex } from "./segment_index.js";
import { scanSegment } from "./segment_scan.js";
import type { RecoveredRecord } from "./segment_scan.js";
import type { StoreDamage, StoreLimits } from "./types.js";

export interface RecoveredStream {
  index: MsgIndex<Loc>;
  segments: Segment[];
  /** Damage found by this recovery (the caller merges it with what meta.json remembers). */
  damage: StoreDamage[];
}

async function readWhole(fs: FileSystem, path: string): Promise<Uint8Array | undefined> {
  let h: FileHandle | undefined;
  try {
    h = await fs.open(path, { create: false });
    return await h.read(0, await h.size());
  } catch {
    return undefined;
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/** Write a sealed segment's index file. Advisory (verified on load), so no fsync. */
export async function writeSegmentIndex(fs: FileSystem, dir: string, seg: Segment, records: RecoveredRecord[], cipher: BodyCipher | undefined): Promise<void> {
  const path = joinPath(dir, indexFileName(seg.id));
  const tmp = `${path}.tmp`;
  const h = await fs.open(tmp, { create: true });
  try {
    await h.truncate(0);
    await h.write(0, encodeSegmentIndex({ id: seg.id, generation: seg.generation, segment_bytes: seg.size, records }, cipher));
  } finally {
    await h.close();
  }
  await fs.rename(tmp, path);
}

export async function createSegment(fs: FileSystem, dir: string, id: number, generation: number): Promise<Segment> {
  const name = segmentFileName(id);
  const h = await fs.open(joinPath(dir, name), { create: true });
  await h.truncate(0);
  await h.write(0, encodeSegmentHeader(id, generation));
  await h.sync();
  await fs.syncDir(dir);
  const seg = new Segment(id, name, h, generation, segmentHeaderBytes);
  seg.records = [];
  return seg;
}

/** Apply one recovered record to the index (shared with compaction bookkeeping). */
function applyRecord(index: MsgIndex<Loc>, seg: Segment, r: RecoveredRecord): void {
  const drop = (e: IndexEntry<Loc> | undefined): void => e?.ref.seg.noteRemoved(e.ref.len);
  switch (r.kind) {
    case RecordKind.msg:
      if (r.seq <= index.last) return; // out of order across segments: the scan reported it
      index.add({ seq: r.seq, ts_ns: r.ts_ns, subject: r.subject, size_bytes: r.size_bytes, ref: { seg, off: r.offset, len: r.frame_bytes, batch: undefined } });
      seg.noteMsg(r.seq, r.frame_bytes);
      return;
    case RecordKind.tombstone:
    case RecordKind.erased:
      drop(index.remove(r.seq));
      index.bumpLast(r.seq);
      return;
    case RecordKind.floor:
      for (const e of index.removeBelow(r.seq)) drop(e);
      return;
    case RecordKind.lastSeq:
      index.bumpLast(r.seq);
      return;
  }
}

/**
 * `cutTornTail: false` (recovery after a failed write, when the disk may refuse even a truncate):
 * a torn tail or preallocated zeros are left on disk and the segment continues at the last good
 * frame; appends overwrite them and the next open cuts what is left.
 */
export async function recoverStream(
  fs: FileSystem,
  dir: string,
  name: string,
  limits: StoreLimits,
  cipher: BodyCipher | undefined,
  opts: { cutTornTail: boolean } = { cutTornTail: true },
): Promise<RecoveredStream> {
  await fs.mkdirp(dir);
  const names = await fs.list(dir);
  for (const n of names) if (n.endsWith(".tmp")) await fs.unlink(joinPath(dir, n));
  const ids = names.map(parseSegmentFileName).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const index = new MsgIndex<Loc>({ ...limits });
  const segments: Segment[] = [];
  const damage: StoreDamage[] = [];
  let prevSeq = 0;
  // A recovery that fails (a record sealed with a key the keyring lacks, an I/O error) must not
  // leave its segment files open: a caller retrying the open would leak one descriptor per segment.
  const opened: FileHandle[] = [];
  try {
    for (const [i, id] of ids.entries()) {
      const tail = i === ids.length - 1;
      const segName = segmentFileName(id);
      const h = await fs.open(joinPath(dir, segName), { create: false });
      opened.push(h);
      let size = await h.size();
      let records: RecoveredRecord[] | undefined;
      let generation = 0;
      let scanned = false;
      const damageBefore = damage.length;
      if (!tail && names.includes(indexFileName(id))) {
        const header = decodeSegmentHeader(await h.read(0, segmentHeaderBytes));
        const bytes = await readWhole(fs, joinPath(dir, indexFileName(id)));
        const ix = bytes === undefined ? undefined : decodeSegmentIndex(bytes, cipher);
        if (ix !== undefined && header !== undefined && ix.id === id && ix.generation === header.generation && ix.segment_bytes === size) {
          records = ix.records;
          generation = ix.generation;
        }
      }
      if (records === undefined) {
        const scan = await scanSegment(h, size, { tail, prevSeq, cipher, repairTrailers: opts.cutTornTail });
        for (const r of scan.repairs) await h.write(r.offset, r.bytes);
        scanned = true;
        records = scan.records;
        generation = scan.generation ?? 0;
        for (const d of scan.damage) damage.push({ segment: segName, ...d });
        if (tail && (scan.generation === undefined || scan.torn || scan.repairs.length > 0)) {
          if (size < segmentHeaderBytes || scan.generation === undefined) {
            // A segment created just before a crash, header never made durable: start it over
            // (a header that is present but damaged was reported above and is rewritten).
            if (records.length === 0) {
              await h.truncate(0);
              await h.write(0, encodeSegmentHeader(id, 0));
              size = segmentHeaderBytes;
            }
            await h.sync();
          } else {
            if (opts.cutTornTail) {
              await h.truncate(scan.end);
              await h.sync();
            }
            size = scan.end;
          }
        }
      }
      const seg = new Segment(id, segName, h, generation, size);
      for (const r of records) {
        applyRecord(index, seg, r);
        if (r.kind === RecordKind.msg && r.seq > prevSeq) prevSeq = r.seq;
      }
      if (tail) seg.records = records;
      else if (scanned && damage.length === damageBefore) await writeSegmentIndex(fs, dir, seg, records, cipher).catch(() => undefined);
      segments.push(seg);
    }
  } catch (err) {
    for (const h of opened) await h.close().catch(() => undefined);
    throw err;
  }
  // Sequences of lost records are never handed out again.
  for (const d of damage) index.bumpLast(d.last_seq);
  if (segments.length === 0) segments.push(await createSegment(fs, dir, 1, 0));
  return { index, segments, damage };
}
