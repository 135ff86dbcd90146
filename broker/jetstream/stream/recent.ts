/**
 * A bounded cache of the messages file streams just stored, so consumers deliver recent
 * messages from memory instead of reading each one back from the store (one pread per message
 * through the libuv pool was most of the consume profile). nats-server keeps the block it writes
 * in memory for the same reason. Pure: no I/O, no clock.
 *
 * Sequences are never reused within a store, so a cached copy is valid exactly while the store
 * still holds that sequence: readers check liveness on every hit (stream.ts), which keeps
 * deletes, purges, limits, expiry and rollups correct without invalidation hooks.
 *
 * Memory: copies are packed into 64 KiB slabs (one allocation per slab, not per message), and a
 * slab is the unit of accounting and eviction, so the budget counts exactly the memory held.
 * All streams share one budget; when it is full the oldest slab server-wide goes first (a busy
 * stream pushes out what idle streams cached long ago).
 */
import type { StoredMessage } from "../../store/types.js";

/** Bookkeeping cost per entry (map entry, message object, views) on top of its bytes. */
const entryOverheadBytes = 96;
export const slabBytes = 64 * 1024;
/** Bodies at least this large get a slab of their own. */
const slabShareBytesMax = 8 * 1024;

interface Slab {
  readonly owner: RecentMessages;
  readonly buf: Uint8Array;
  used: number;
  /** Bytes charged to the budget: the buffer plus per-entry overhead. */
  charged: number;
  readonly seqs: number[];
  dropped: boolean;
}

interface Entry {
  readonly slab: Slab;
  /** Body (headers then payload) at slab.buf[off, off + len); hLen -1 = no header block. */
  readonly off: number;
  readonly hLen: number;
  readonly len: number;
  readonly subject: string;
  readonly ts_ns: bigint;
}

/** Server-wide memory bound for all streams' caches, with a global oldest-first eviction order. */
export class CacheBudget {
  usedBytes = 0;
  liveSlabs = 0;
  private slabs: Slab[] = [];
  private head = 0;

  constructor(readonly bytesMax: number) {}

  /** Slabs in the eviction queue (dropped ones included until they reach its head). */
  get queueLength(): number {
    return this.slabs.length - this.head;
  }

  /** Evict the oldest slabs of any stream until `bytes` more fit; false if they never will. */
  makeRoom(bytes: number): boolean {
    while (this.usedBytes + bytes > this.bytesMax && this.head < this.slabs.length) {
      const slab = this.slabs[this.head++]!;
      if (!slab.dropped) slab.owner.dropSlab(slab);
    }
    if (this.head > 64 && this.head * 2 > this.slabs.length) {
      this.slabs = this.slabs.slice(this.head);
      this.head = 0;
    }
    return this.usedBytes + bytes <= this.bytesMax;
  }

  track(slab: Slab): void {
    this.usedBytes += slab.charged;
    this.liveSlabs++;
    this.slabs.push(slab);
    // Slabs dropped out of order (closed streams) stay queued until compaction.
    if (this.slabs.length - this.head > 2 * this.liveSlabs + 1024) {
      this.slabs = this.slabs.slice(this.head).filter((s) => !s.dropped);
      this.head = 0;
    }
  }

  release(slab: Slab): void {
    this.usedBytes -= slab.charged;
    this.liveSlabs--;
  }
}

export class RecentMessages {
  private readonly bySeq = new Map<number, Entry>();
  private readonly slabs = new Set<Slab>();
  private current: Slab | undefined;

  constructor(
    private readonly budget: CacheBudget,
    /** Larger messages are not cached (they would push out many small ones). */
    private readonly msgBytesMax: number,
  ) {}

  get size(): number {
    return this.bySeq.size;
  }

  /**
   * Keep a compact copy (the caller's buffers may be views into a larger socket chunk). A
   * message that does not fit the budget even after evictions is not cached (readers fall back
   * to the store).
   */
  add(m: StoredMessage): void {
    const hLen = m.headers?.length ?? 0;
    const n = hLen + m.payload.length;
    if (n > this.msgBytesMax) return;
    const entryBytes = entryOverheadBytes + m.subject.length;
    const slab = this.slabFor(n, entryBytes);
    if (slab === undefined) return;
    const off = slab.used;
    if (m.headers !== undefined) slab.buf.set(m.headers, off);
    slab.buf.set(m.payload, off + hLen);
    slab.used += n;
    slab.charged += entryBytes;
    slab.seqs.push(m.seq);
    this.budget.usedBytes += entryBytes;
    // One small object per cached message; the views are made per read (short-lived garbage is
    // cheaper for the collector than long-lived typed-array views).
    this.bySeq.set(m.seq, { slab, off, hLen: m.headers === undefined ? -1 : hLen, len: n, subject: m.subject, ts_ns: m.ts_ns });
  }

  /** A slab with `n` free bytes (and budget for `entryBytes` more), or undefined. */
  private slabFor(n: number, entryBytes: number): Slab | undefined {
    const cur = this.current;
    if (n < slabShareBytesMax && cur !== undefined && cur.used + n <= cur.buf.length) {
      if (!this.budget.makeRoom(entryBytes)) return undefined;
      if (!cur.dropped) return cur; // else the budget just evicted it: start a new one
    }
    const size = n < slabShareBytesMax ? slabBytes : n;
    if (!this.budget.makeRoom(size + entryBytes)) return undefined;
    const slab: Slab = { owner: this, buf: new Uint8Array(size), used: 0, charged: size, seqs: [], dropped: false };
    this.budget.track(slab);
    this.slabs.add(slab);
    if (n < slabShareBytesMax) this.current = slab;
    return slab;
  }

  /** The cached message (its bytes are shared: callers must not modify them), or undefined. */
  get(seq: number): StoredMessage | undefined {
    const e = this.bySeq.get(seq);
    if (e === undefined) return undefined;
    const h = e.hLen < 0 ? 0 : e.hLen;
    const buf = e.slab.buf;
    return { seq, ts_ns: e.ts_ns, subject: e.subject, headers: e.hLen < 0 ? undefined : buf.subarray(e.off, e.off + h), payload: buf.subarray(e.off + h, e.off + e.len) };
  }

  /** Subject of a cached message without building it (filter checks). */
  subjectOf(seq: number): string | undefined {
    return this.bySeq.get(seq)?.subject;
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Forget one entry (its message left the store); its bytes stay charged until the slab goes. */
  delete(seq: number): void {
    this.bySeq.delete(seq);
  }

  /** Called by the budget: forget every entry in the slab and release its memory. */
  dropSlab(slab: Slab): void {
    slab.dropped = true;
    this.slabs.delete(slab);
    if (this.current === slab) this.current = undefined;
    this.budget.release(slab);
    for (const seq of slab.seqs) if (this.bySeq.get(seq)?.slab === slab) this.bySeq.delete(seq);
  }

  clear(): void {
    for (const slab of [...this.slabs]) this.dropSlab(slab);
    this.bySeq.clear();
  }
}
