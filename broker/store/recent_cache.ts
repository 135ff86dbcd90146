/**
 * A bounded cache of the messages a store just wrote, so readers (JetStream consumers) get
 * recent messages from memory instead of reading each one back (one pread per message through
 * the libuv pool was most of the consume profile). nats-server keeps the block it writes in
 * memory for the same reason. Pure: no I/O, no clock.
 *
 * The cache only holds copies; the store decides what is live. A store adds a message once its
 * append is durable (per the sync policy), forgets it when the index removes it, and checks the
 * index on every read as well, so deletes, purges, limits and expiry never serve a removed message.
 *
 * Memory: copies are packed into 64 KiB slabs (one allocation per slab, not per message), and a
 * slab is the unit of accounting and eviction, so the budget counts exactly the memory held.
 * All stores given one `CacheBudget` share it; when it is full the oldest slab of any of them
 * goes first (a busy stream pushes out what idle streams cached long ago). Slabs are never
 * reused, so a view handed out stays valid (and unchanged, unless the message is erased).
 */
import type { StoredMessage } from "./types.js";

/** Bookkeeping cost per entry (map entry, entry object) on top of its bytes. */
const entryOverheadBytes = 96;
export const slabBytes = 64 * 1024;
/** Bodies at least this large get a slab of their own. */
const slabShareBytesMax = 8 * 1024;
/** Default server-wide bound (FileStores opened without a budget share one of this size). */
export const cacheBudgetBytesDefault = 64 * 1024 * 1024;
/** Default bound per message: larger ones would push out many small ones. */
export const cachedMsgBytesMaxDefault = 1024 * 1024;

interface Slab {
  readonly owner: RecentCache;
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

/** Memory bound shared by the caches of many stores, with one oldest-first eviction order. */
export class CacheBudget {
  usedBytes = 0;
  liveSlabs = 0;
  private slabs: Slab[] = [];
  private head = 0;

  constructor(readonly bytesMax: number) {
    if (!Number.isSafeInteger(bytesMax) || bytesMax < 0) throw new RangeError(`cache budget must be a non-negative integer of bytes, got ${bytesMax}`);
  }

  /** Slabs in the eviction queue (dropped ones included until they reach its head). */
  get queueLength(): number {
    return this.slabs.length - this.head;
  }

  /** Evict the oldest slabs of any store until `bytes` more fit; false if they never will. */
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
    // Slabs dropped out of order (closed stores) stay queued until compaction.
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

let shared: CacheBudget | undefined;

/** The process-wide budget for stores opened without one (memory stays bounded however many there are). */
export function sharedCacheBudget(): CacheBudget {
  shared ??= new CacheBudget(cacheBudgetBytesDefault);
  return shared;
}

/** One store's cached messages, charged to a (shared) budget. */
export class RecentCache {
  private readonly bySeq = new Map<number, Entry>();
  private readonly slabs = new Set<Slab>();
  private current: Slab | undefined;

  constructor(
    private readonly budget: CacheBudget,
    /** Larger messages are not cached. */
    private readonly msgBytesMax: number,
  ) {}

  get size(): number {
    return this.bySeq.size;
  }

  /**
   * Keep a compact copy (the caller's buffers may be views into a larger socket chunk). A
   * message that does not fit the budget even after evictions is not cached (reads go to disk).
   * A sequence added again replaces the entry (its old bytes stay charged until their slab goes).
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

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /**
   * Forget one entry (its message left the store); its bytes stay charged until the slab goes.
   * `erase` also zeroes the copy (delete with erase: the bytes must not linger in memory either).
   */
  delete(seq: number, erase = false): void {
    const e = this.bySeq.get(seq);
    if (e === undefined) return;
    this.bySeq.delete(seq);
    if (erase) e.slab.buf.fill(0, e.off, e.off + e.len);
  }

  /** Called by the budget: forget every entry in the slab and release its memory. */
  dropSlab(slab: Slab): void {
    slab.dropped = true;
    this.slabs.delete(slab);
    if (this.current === slab) this.current = undefined;
    this.budget.release(slab);
    for (const seq of slab.seqs) if (this.bySeq.get(seq)?.slab === slab) this.bySeq.delete(seq);
  }

  /** Forget everything and give its memory back to the budget (close, recovery). */
  clear(): void {
    for (const slab of [...this.slabs]) this.dropSlab(slab);
    this.bySeq.clear();
  }
}
