/**
 * Building one group-commit batch: apply each queued operation to the index in order (sequence
 * assignment, limits, deletes, purges) and encode the records that persist those decisions,
 * all synchronously. The writer loop in file_store.ts then writes the buffer and fsyncs it.
 */
import type { Clock } from "../../common/clock.js";
import { batchBufferPool } from "./buffer_pool.js";
import type { IndexEntry, MsgIndex } from "./msg_index.js";
import { subjectBytes } from "./msg_index.js";
import { FrameBuffer, frameOverheadBytes, RecordKind, sealOverheadBytes } from "./record.js";
import type { BodyCipher } from "./record.js";
import type { BatchSignal, Loc, Segment } from "./segment.js";
import type { AppendInput, AppendResult, PurgeRequest, StoreDamage, StoredMessage, StoreLimits } from "./types.js";

export interface Deferred<T> {
  resolve(v: T): void;
  reject(e: Error): void;
}

export type Op =
  | { t: "append"; input: AppendInput; d: Deferred<AppendResult> }
  | { t: "delete"; seq: number; erase: boolean; d: Deferred<boolean> }
  | { t: "purge"; req: PurgeRequest; d: Deferred<number> }
  | { t: "expire"; now_ns: bigint; d: Deferred<number[]> }
  | { t: "limits"; limits: StoreLimits; d: Deferred<void> }
  | { t: "sync"; d: Deferred<void> }
  | { t: "scrub"; d: Deferred<StoreDamage[]> };

/** A batch built (index updated, records encoded) and waiting to be written and synced. */
export interface Batch {
  seg: Segment;
  base: number;
  /** The encoded records: write it, then call `releaseBuf()` (it goes back to a pool). */
  buf: Uint8Array;
  releaseBuf: () => void;
  sync: boolean;
  settle: Array<() => void>;
  victims: Array<Deferred<never>>;
  erase: Array<IndexEntry<Loc>>;
  scrubs: Array<Deferred<StoreDamage[]>>;
  pendingLocs: Loc[];
  /** The appended messages (the callers' buffers), for the store's cache once durable. */
  written: StoredMessage[];
  signal: BatchSignal;
  resolveSignal: () => void;
  /** Needs the pipeline drained after it (in-place overwrites, scrubs). */
  exclusive: boolean;
}

export interface BatchFailure {
  what: string;
  batch: Batch;
  err: unknown;
}

/** What building a batch needs from the store. */
export interface BatchContext {
  /** The active segment: records go at its end. */
  seg: Segment;
  index: MsgIndex<Loc>;
  /** Forget a removed message (`erase`: also wipe its bytes). */
  cache: { delete(seq: number, erase: boolean): void };
  clock: Clock;
  cipher: BodyCipher | undefined;
  stats: { appends: number; batches: number };
  syncAlways: boolean;
  limitsChanged(limits: StoreLimits): void;
}

export function buildBatch(ctx: BatchContext, ops: Op[]): Batch {
  const seg = ctx.seg;
  const base = seg.size;
  // Sized for the messages (exact for ASCII subjects) plus a few control records; tombstones from
  // limits or non-ASCII subjects grow it. Subjects are not encoded here: they are not validated yet.
  let estimate = frameOverheadBytes * 4;
  const sealBytes = ctx.cipher === undefined ? 0 : sealOverheadBytes;
  for (const op of ops) {
    if (op.t === "append") estimate += frameOverheadBytes + 6 + op.input.subject.length + (op.input.headers?.length ?? 0) + op.input.payload.length + sealBytes;
  }
  const frames = new FrameBuffer(estimate, batchBufferPool);
  let floor = 0;
  let forceSync = false;
  let resolveSignal!: () => void;
  const signal: BatchSignal = { done: false, promise: new Promise<void>((r) => (resolveSignal = r)) };
  const settle: Array<() => void> = [];
  const victims: Array<Deferred<never>> = [];
  const erase: Array<IndexEntry<Loc>> = [];
  const pendingLocs: Loc[] = [];
  const written: StoredMessage[] = [];
  const scrubs: Array<Deferred<StoreDamage[]>> = [];
  const control = (kind: RecordKind, seq: number): void => {
    const off = base + frames.control(kind, seq);
    seg.records?.push({ kind, seq, ts_ns: 0n, offset: off, frame_bytes: frameOverheadBytes, subject: "", size_bytes: 0 });
  };
  const removed = (entries: Array<IndexEntry<Loc>>, erase = false): number[] => {
    const first = ctx.index.firstLiveOrNext;
    for (const e of entries) {
      e.ref.seg.noteRemoved(e.ref.len);
      ctx.cache.delete(e.seq, erase);
      if (e.seq < first) floor = Math.max(floor, first);
      else control(RecordKind.tombstone, e.seq);
    }
    return entries.map((e) => e.seq);
  };
  for (const op of ops) {
    try {
      switch (op.t) {
        case "append": {
          const { input } = op;
          const hb = input.headers?.length ?? 0;
          const { seq, size_bytes } = ctx.index.admit(input.subject, hb, input.payload.length, input.seq);
          const ts_ns = input.ts_ns ?? ctx.clock.nowNs();
          const at = frames.length;
          const off = base + frames.msg(seq, ts_ns, input, ctx.cipher, subjectBytes(input.subject));
          const len = frames.length - at;
          seg.records?.push({ kind: RecordKind.msg, seq, ts_ns, offset: off, frame_bytes: len, subject: input.subject, size_bytes });
          const loc: Loc = { seg, off, len, batch: signal };
          pendingLocs.push(loc);
          ctx.index.add({ seq, ts_ns, subject: input.subject, size_bytes, ref: loc });
          written.push({ seq, ts_ns, subject: input.subject, headers: input.headers, payload: input.payload });
          seg.noteMsg(seq, len);
          const gone = removed(ctx.index.enforce(input.subject));
          ctx.stats.appends++;
          settle.push(() => op.d.resolve({ seq, ts_ns, removed: gone }));
          victims.push(op.d as Deferred<never>);
          break;
        }
        case "delete": {
          const e = ctx.index.remove(op.seq);
          if (e !== undefined) {
            removed([e], op.erase);
            if (op.erase) erase.push(e);
          }
          settle.push(() => op.d.resolve(e !== undefined));
          victims.push(op.d as Deferred<never>);
          break;
        }
        case "purge": {
          const n = removed(ctx.index.purge(op.req)).length;
          if (op.req.up_to_seq !== undefined && ctx.index.msgs === 0) floor = Math.max(floor, ctx.index.firstLiveOrNext);
          settle.push(() => op.d.resolve(n));
          victims.push(op.d as Deferred<never>);
          break;
        }
        case "expire": {
          const gone = removed([...ctx.index.expire(op.now_ns), ...ctx.index.enforce()]);
          settle.push(() => op.d.resolve(gone));
          victims.push(op.d as Deferred<never>);
          break;
        }
        case "limits": {
          ctx.index.limits = { ...op.limits };
          ctx.limitsChanged(op.limits);
          removed(ctx.index.enforce());
          settle.push(() => op.d.resolve());
          victims.push(op.d as Deferred<never>);
          break;
        }
        case "scrub":
          scrubs.push(op.d);
          break;
        case "sync":
          forceSync = true;
          settle.push(() => op.d.resolve());
          victims.push(op.d as Deferred<never>);
          break;
      }
    } catch (err) {
      op.d.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
  if (floor > 0) control(RecordKind.floor, floor);
  ctx.stats.batches++;
  return {
    seg,
    base,
    buf: frames.bytes(),
    releaseBuf: () => frames.release(),
    sync: (ctx.syncAlways && frames.length > 0) || forceSync,
    settle,
    victims,
    erase,
    scrubs,
    pendingLocs,
    written,
    signal,
    resolveSignal,
    exclusive: erase.length > 0 || scrubs.length > 0,
  };
}

/** Approximate frame bytes an operation adds to a batch (appends only; others are small). */
function opBytes(op: Op): number {
  return op.t === "append" ? op.input.payload.length + (op.input.headers?.length ?? 0) + op.input.subject.length + frameOverheadBytes : 0;
}

/**
 * Take the next batch off the front of `queue`: bounded by `ops_max` and `bytes_max`. With
 * `split_bytes_min` > 0 (the caller passes it while no fsync is in flight), a backlog of at least
 * twice that many bytes is split in half: the first half is written and its fsync started at once,
 * and the second half is encoded and written while that fsync runs (the writer's pipeline),
 * instead of the CPU work and the fsync of one big batch taking turns. Closed-loop writers then
 * keep two half batches alternating. Small backlogs are not split: their fsync is latency-bound
 * and one fsync is cheaper than two.
 */
export function takeBatch(queue: Op[], o: { ops_max: number; bytes_max: number; split_bytes_min: number }): Op[] {
  let limit = o.bytes_max;
  if (o.split_bytes_min > 0) {
    let queued = 0;
    for (let i = 0; i < queue.length && i < o.ops_max && queued < limit; i++) queued += opBytes(queue[i]!);
    if (queued >= 2 * o.split_bytes_min) limit = Math.ceil(queued / 2);
  }
  let bytes = 0;
  let n = 0;
  while (n < queue.length && n < o.ops_max) {
    bytes += opBytes(queue[n]!);
    n++;
    if (bytes >= limit) break;
  }
  return queue.splice(0, n);
}
