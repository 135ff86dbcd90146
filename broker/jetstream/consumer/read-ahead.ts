/**
 * How a consumer reads the next stream message when the store cannot answer from memory: the
 * next few sequences are read in parallel (file-store reads go through the libuv pool; one read
 * at a time would bound delivery to one message per disk round trip).
 */
import type { StoredMessage } from "../../store/types.js";
import type { JsStream } from "../stream/stream.js";

/** Sequences read ahead in parallel. */
const prefetchMax = 32;

export class ReadAhead {
  private readonly prefetch = new Map<number, Promise<StoredMessage | undefined>>();

  constructor(private readonly stream: JsStream) {}

  /** First message with seq >= start matching `filters` (none = all). */
  async next(start: number, filters: readonly string[]): Promise<StoredMessage | undefined> {
    const stream = this.stream;
    const store = stream.store;
    const r = store.nextCached(start, filters);
    if (r === null) return undefined;
    if (typeof r === "object") return r;
    if (filters.length > 0) return stream.next(r, filters);
    // Nothing is live in [start, r): the first message at or after r is the answer.
    const ahead = this.prefetch.get(r);
    this.prefetch.delete(r);
    let m = ahead === undefined ? undefined : await ahead;
    // A prefetched copy is used only if still in the stream (limits or deletes may have removed it).
    if (m === undefined || !store.has(m.seq)) m = await stream.next(r, filters);
    if (m !== undefined && stream.config.sluice_priority !== true) this.schedule(m.seq + 1);
    return m;
  }

  /** Drop read-ahead copies (purge, close). */
  clear(): void {
    this.prefetch.clear();
  }

  private schedule(from: number): void {
    for (const seq of this.prefetch.keys()) if (seq < from) this.prefetch.delete(seq);
    const store = this.stream.store;
    const last = store.state().last_seq;
    for (let seq = from; seq <= last && seq < from + prefetchMax; seq++) {
      if (this.prefetch.has(seq) || !store.has(seq) || store.getCached(seq) !== undefined) continue;
      this.prefetch.set(seq, store.get(seq).catch(() => undefined));
    }
  }
}
