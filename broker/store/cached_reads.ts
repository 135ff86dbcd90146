/**
 * `Store.nextCached` for both stores: walk the index from `start` (liveness and subjects are
 * in memory) and take the first matching message from memory when the store holds it there.
 * Bounded: gaps and other subjects cost a step each, and after `cachedScanStepsMax` steps the
 * caller continues with the store's asynchronous `next`, which jumps through the index.
 */
import type { IndexEntry, MsgIndex } from "./msg_index.js";
import { compileFilters } from "./subject_match.js";
import type { CachedNext, StoredMessage } from "./types.js";

/** Sequences one `nextCached` call examines at most. */
export const cachedScanStepsMax = 64;

export function scanCached<R>(index: MsgIndex<R>, start: number, filters: readonly string[], inMemory: (e: IndexEntry<R>) => StoredMessage | undefined): CachedNext {
  const match = filters.length === 0 ? undefined : compileFilters(filters);
  // The common case first (a consumer keeping up asks for the message it has not seen yet).
  const first = index.get(start);
  if (first !== undefined && (match === undefined || match(first.subject))) return inMemory(first) ?? start;
  const last = index.lastLive();
  if (last === undefined) return null;
  let seq = Math.max(1, start);
  for (let steps = 0; steps < cachedScanStepsMax; steps++, seq++) {
    if (seq > last) return null;
    const e = index.get(seq);
    if (e === undefined || (match !== undefined && !match(e.subject))) continue;
    return inMemory(e) ?? seq;
  }
  return seq > last ? null : seq;
}
