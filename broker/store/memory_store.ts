import type { Clock } from "../../common/clock.js";
import { systemClock } from "../../common/clock.js";
import { scanCached } from "./cached_reads.js";
import { MsgIndex } from "./msg_index.js";
import type { IndexEntry } from "./msg_index.js";
import { StoreError } from "./types.js";
import type { AppendInput, AppendResult, CachedNext, PurgeRequest, Store, StoredMessage, StoreLimits, StoreOptions, StoreState } from "./types.js";

/** A Store kept entirely in memory (JetStream `storage: memory`, tests). Same rules as FileStore. */
export class MemoryStore implements Store {
  readonly name: string;
  private readonly index: MsgIndex<StoredMessage>;
  private closed = false;

  constructor(options: StoreOptions, private readonly clock: Clock = systemClock) {
    this.name = options.name;
    this.index = new MsgIndex<StoredMessage>({ ...options.limits });
  }

  private check(): void {
    if (this.closed) throw new StoreError("closed", `store ${this.name} is closed`);
  }

  append(input: AppendInput): Promise<AppendResult> {
    try {
      this.check();
      const headersBytes = input.headers?.length ?? 0;
      const { seq, size_bytes } = this.index.admit(input.subject, headersBytes, input.payload.length, input.seq);
      const ts_ns = input.ts_ns ?? this.clock.nowNs();
      // Copies: callers may reuse their buffers after append returns.
      const msg: StoredMessage = {
        seq,
        ts_ns,
        subject: input.subject,
        headers: input.headers === undefined ? undefined : input.headers.slice(),
        payload: input.payload.slice(),
      };
      this.index.add({ seq, ts_ns, subject: input.subject, size_bytes, ref: msg });
      const removed = this.index.enforce(input.subject).map((e) => e.seq);
      return Promise.resolve({ seq, ts_ns, removed });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private out(e: IndexEntry<StoredMessage> | undefined): StoredMessage | undefined {
    if (e === undefined) return undefined;
    const m = e.ref;
    return { seq: m.seq, ts_ns: m.ts_ns, subject: m.subject, headers: m.headers?.slice(), payload: m.payload.slice() };
  }

  get(seq: number): Promise<StoredMessage | undefined> {
    return this.run(() => this.out(this.index.get(seq)));
  }

  next(start: number, filter?: string): Promise<StoredMessage | undefined> {
    return this.run(() => this.out(this.index.next(start, filter)));
  }

  lastBySubject(filter: string): Promise<StoredMessage | undefined> {
    return this.run(() => this.out(this.index.lastMatching(filter)));
  }

  firstAtOrAfterTime(ts_ns: bigint): Promise<number> {
    return this.run(() => this.index.firstAtOrAfterTime(ts_ns));
  }

  delete(seq: number, opts?: { erase?: boolean }): Promise<boolean> {
    return this.run(() => {
      const e = this.index.remove(seq);
      if (e !== undefined && opts?.erase === true) e.ref.payload.fill(0);
      return e !== undefined;
    });
  }

  purge(req?: PurgeRequest): Promise<number> {
    return this.run(() => this.index.purge(req).length);
  }

  expire(now_ns: bigint): Promise<number[]> {
    return this.run(() => [...this.index.expire(now_ns), ...this.index.enforce()].map((e) => e.seq));
  }

  subjectCounts(filter: string): Map<string, number> {
    return this.index.subjectCounts(filter);
  }

  numPending(start: number, filter?: string): number {
    return this.index.numPending(start, filter);
  }

  has(seq: number): boolean {
    return !this.closed && this.index.get(seq) !== undefined;
  }

  getCached(seq: number): StoredMessage | undefined {
    const e = this.closed ? undefined : this.index.get(seq);
    return e === undefined ? undefined : shared(e);
  }

  /** Closed: the start, so the caller's `next` reports "closed". */
  nextCached(start: number, filters: readonly string[]): CachedNext {
    return this.closed ? start : scanCached(this.index, start, filters, shared);
  }

  state(): StoreState {
    return { ...this.index.summary(), damage: [] };
  }

  updateLimits(limits: StoreLimits): Promise<void> {
    return this.run(() => {
      this.index.limits = { ...limits };
      this.index.enforce();
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    this.closed = true;
    this.index.purge();
    return Promise.resolve();
  }

  private run<T>(fn: () => T): Promise<T> {
    try {
      this.check();
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** A fresh message object over the stored bytes (no copy: `getCached` callers only read them). */
function shared(e: IndexEntry<StoredMessage>): StoredMessage {
  const m = e.ref;
  return { seq: m.seq, ts_ns: m.ts_ns, subject: m.subject, headers: m.headers, payload: m.payload };
}
