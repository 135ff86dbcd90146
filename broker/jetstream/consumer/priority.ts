/**
 * Sluice priority selection (stream option `sluice_priority`): which undelivered message a
 * consumer delivers next. Pure apart from the store reads passed in as `nextInOrder`.
 */
import type { StoredMessage } from "../../store/types.js";
import type { JsStream } from "../stream/stream.js";
import type { ConsumerState } from "./state.js";

/** Messages examined per priority decision (bounds the cost of each pick). */
export const priorityScanMax = 256;

/**
 * Sluice priority: among the next `priorityScanMax` undelivered messages pick the highest
 * effective priority (header priority + one level per `aging` ms waited), oldest first on ties.
 */
export async function pickByPriority(s: ConsumerState, stream: JsStream, nowNs: bigint, nextInOrder: (from: number) => Promise<StoredMessage | undefined>): Promise<StoredMessage | undefined> {
  const agingMs = stream.config.sluice_priority_aging_ms ?? 0;
  let best: StoredMessage | undefined;
  let bestScore = -Infinity;
  let from = s.cursor;
  let examined = 0;
  for (let guard = 0; guard < priorityScanMax * 4 && examined < priorityScanMax; guard++) {
    const m = await nextInOrder(from);
    if (m === undefined) break;
    from = m.seq + 1;
    if (s.ahead.has(m.seq)) {
      if (m.seq === s.cursor || examined === 0) {
        // Everything before it is delivered: move the cursor past it.
        s.ahead.delete(m.seq);
        s.cursor = m.seq + 1;
      }
      continue;
    }
    examined++;
    const p = stream.priorities.get(m.seq) ?? 0;
    const waitedMs = Number((nowNs - m.ts_ns) / 1_000_000n);
    const score = p + (agingMs > 0 ? Math.floor(Math.max(0, waitedMs) / agingMs) : 0);
    if (score > bestScore) {
      best = m;
      bestScore = score;
      if (p >= 9 && examined === 1) break;
    }
  }
  return best;
}

