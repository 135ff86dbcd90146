/**
 * Reclaiming space: dropping fully deleted segments at the front of a stream, and rewriting a
 * sparse sealed segment with only what is still needed. Runs inside the writer loop (serialised
 * with batches). The caller has already made last_seq durable in the active segment, so
 * control records that only proved last_seq may go.
 */
import { joinPath } from "./fs.js";
import type { FileSystem } from "./fs.js";
import type { MsgIndex } from "./msg_index.js";
import { encodeSegmentHeader, RecordKind, segmentHeaderBytes } from "./record.js";
import type { BodyCipher } from "./record.js";
import { writeSegmentIndex } from "./file_recovery.js";
import { indexFileName, Segment } from "./segment.js";
import type { Loc } from "./segment.js";
import { scanSegment } from "./segment_scan.js";
import type { RecoveredRecord } from "./segment_scan.js";

export interface MaintenanceContext {
  fs: FileSystem;
  dir: string;
  index: MsgIndex<Loc>;
  cipher: BodyCipher | undefined;
  stats: { compactions: number; segments_dropped: number };
}

const copyChunkBytes = 1 << 20;

async function unlinkQuiet(fs: FileSystem, path: string): Promise<void> {
  await fs.unlink(path).catch(() => undefined);
}

/** Delete segments with no live messages (and their index files); one directory fsync. */
export async function dropSegments(ctx: MaintenanceContext, segs: Segment[]): Promise<void> {
  for (const s of segs) {
    s.retired = true;
    await s.handle.close().catch(() => undefined);
    await ctx.fs.unlink(joinPath(ctx.dir, s.name));
    await unlinkQuiet(ctx.fs, joinPath(ctx.dir, indexFileName(s.id)));
    ctx.stats.segments_dropped++;
  }
  await ctx.fs.syncDir(ctx.dir);
}

/**
 * Rewrite `seg` keeping live messages, tombstones for seqs still present in an earlier segment
 * and floors while any earlier segment exists. Returns the replacement, or undefined when
 * nothing was worth keeping and the segment was deleted. Crash-safe: temp file, fsync, rename,
 * directory fsync; until the rename the old file is intact.
 */
export async function compactSegment(ctx: MaintenanceContext, seg: Segment, segments: readonly Segment[]): Promise<Segment | undefined> {
  const earlier = segments.filter((s) => s.id < seg.id);
  const scan = await scanSegment(seg.handle, seg.size, { tail: false, prevSeq: 0, cipher: ctx.cipher });
  if (scan.damage.length > 0) return seg; // keep damaged bytes for inspection and repair
  const keep = scan.records.filter((r) => {
    switch (r.kind) {
      case RecordKind.msg: {
        const e = ctx.index.get(r.seq);
        return e !== undefined && e.ref.seg === seg && e.ref.off === r.offset;
      }
      case RecordKind.tombstone:
        return earlier.some((s) => s.covers(r.seq));
      case RecordKind.floor:
        return earlier.length > 0;
      default:
        return false;
    }
  });
  ctx.stats.compactions++;
  if (keep.length === 0) {
    await dropSegments(ctx, [seg]);
    ctx.stats.segments_dropped--; // counted as a compaction, not a front drop
    return undefined;
  }
  const path = joinPath(ctx.dir, seg.name);
  const tmp = `${path}.tmp`;
  const generation = seg.generation + 1;
  const h = await ctx.fs.open(tmp, { create: true });
  const moved: RecoveredRecord[] = [];
  let out = segmentHeaderBytes;
  try {
    await h.truncate(0);
    await h.write(0, encodeSegmentHeader(seg.id, generation));
    let chunk: Uint8Array[] = [];
    let chunkBytes = 0;
    let chunkAt = out;
    const flush = async (): Promise<void> => {
      if (chunkBytes === 0) return;
      const buf = new Uint8Array(chunkBytes);
      let p = 0;
      for (const c of chunk) {
        buf.set(c, p);
        p += c.length;
      }
      await h.write(chunkAt, buf);
      chunk = [];
      chunkAt += chunkBytes;
      chunkBytes = 0;
    };
    for (const r of keep) {
      const frame = await seg.handle.read(r.offset, r.frame_bytes);
      chunk.push(frame);
      chunkBytes += frame.length;
      moved.push({ ...r, offset: out });
      out += frame.length;
      if (chunkBytes >= copyChunkBytes) await flush();
    }
    await flush();
    await h.sync();
  } catch (err) {
    await h.close().catch(() => undefined);
    await unlinkQuiet(ctx.fs, tmp);
    throw err;
  }
  await ctx.fs.rename(tmp, path);
  await ctx.fs.syncDir(ctx.dir);
  const next = new Segment(seg.id, seg.name, h, generation, out);
  for (const r of moved) {
    if (r.kind !== RecordKind.msg) continue;
    next.noteMsg(r.seq, r.frame_bytes);
    ctx.index.relocate(r.seq, { seg: next, off: r.offset, len: r.frame_bytes, batch: undefined });
  }
  seg.retired = true;
  await seg.handle.close().catch(() => undefined);
  await writeSegmentIndex(ctx.fs, ctx.dir, next, moved, ctx.cipher).catch(() => undefined);
  return next;
}
