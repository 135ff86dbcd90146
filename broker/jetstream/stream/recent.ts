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
 * Memory: each stream holds at most `streamBytesMax`; all streams together at most the shared
 * budget, which evicts the oldest entries server-wide first.
 */
import type { StoredMessage } from "../../store/types.js";

/** Bookkeeping cost per entry on top of subject, headers and payload. */
const entryOverheadBytes = 96;
/** Stale queue items tolerated before the eviction queue is compacted. */
const staleQueueItemsMax = 4096;

export function cachedSizeBytes(m: StoredMessage): number {
  return m.subject.length + (m.headers?.length ?? 0) + m.payload.length + entryOverheadBytes;
}

/** Server-wide memory bound for all streams' caches, with a global oldest-first eviction order. */
export class CacheBudget {
  usedBytes = 0;
  entries = 0;
  private queue: Array<{ owner: RecentMessages; seq: number } | undefined> = [];
  private head = 0;

  constructor(readonly bytesMax: number) {}

  /** Evict the oldest cached messages of any stream until `size` more bytes fit. */
  makeRoom(size: number): boolean {
    while (this.usedBytes + size > this.bytesMax && this.head < this.queue.length) {
      const item = this.queue[this.head];
      this.queue[this.head++] = undefined;
      item?.owner.delete(item.seq);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return this.usedBytes + size <= this.bytesMax;
  }

  noteAdded(owner: RecentMessages, seq: number): void {
    this.queue.push({ owner, seq });
    // Entries removed early (deleted messages, streams closed) leave stale items: compact now and then.
    if (this.queue.length - this.head > 2 * this.entries + staleQueueItemsMax) {
      this.queue = this.queue.slice(this.head).filter((i) => i !== undefined && i.owner.has(i.seq));
      this.head = 0;
    }
  }
}

export class RecentMessages {
  /** Insertion order is (nearly always) sequence order: appends resolve in order. */
  private readonly bySeq = new Map<number, StoredMessage>();
  private bytes = 0;

  constructor(
    private readonly streamBytesMax: number,
    private readonly budget: CacheBudget,
  ) {}

  get size(): number {
    return this.bySeq.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * Keep a compact copy (the caller's buffers may be views into a larger socket chunk). The
   * oldest entries make room; a message that still does not fit is not cached (readers fall
   * back to the store).
   */
  add(m: StoredMessage): void {
    const size = cachedSizeBytes(m);
    if (size > this.streamBytesMax) return;
    this.delete(m.seq);
    while (this.bytes + size > this.streamBytesMax) this.evictOldest();
    if (!this.budget.makeRoom(size)) return;
    const hLen = m.headers?.length ?? 0;
    const buf = new Uint8Array(hLen + m.payload.length);
    if (m.headers !== undefined) buf.set(m.headers);
    buf.set(m.payload, hLen);
    this.bySeq.set(m.seq, { seq: m.seq, ts_ns: m.ts_ns, subject: m.subject, headers: m.headers === undefined ? undefined : buf.subarray(0, hLen), payload: buf.subarray(hLen) });
    this.bytes += size;
    this.budget.usedBytes += size;
    this.budget.entries++;
    this.budget.noteAdded(this, m.seq);
  }

  /** The cached copy (shared: callers must not modify it), or undefined. */
  get(seq: number): StoredMessage | undefined {
    return this.bySeq.get(seq);
  }

  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  delete(seq: number): void {
    const m = this.bySeq.get(seq);
    if (m !== undefined) this.forget(seq, m);
  }

  clear(): void {
    for (const [seq, m] of this.bySeq) this.forget(seq, m);
  }

  private evictOldest(): void {
    for (const [seq, m] of this.bySeq) {
      this.forget(seq, m);
      return;
    }
  }

  private forget(seq: number, m: StoredMessage): void {
    const size = cachedSizeBytes(m);
    this.bySeq.delete(seq);
    this.bytes -= size;
    this.budget.usedBytes -= size;
    this.budget.entries--;
  }
}
