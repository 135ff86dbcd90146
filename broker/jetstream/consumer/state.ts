/**
 * The persisted part of a consumer: what it delivered, what is acked, what awaits an ack.
 * Kept as plain data so it can be written to disk (and, later, replicated) as is.
 */

export interface PendingEntry {
  consumerSeq: number;
  deliveries: number;
  /** When to redeliver if still unacked (ms, consumer clock). */
  deadlineMs: number;
  /** Waiting in the redelivery queue. */
  queued: boolean;
}

export interface ConsumerState {
  deliveredConsumerSeq: number;
  deliveredStreamSeq: number;
  ackFloorConsumerSeq: number;
  ackFloorStreamSeq: number;
  /** Next stream sequence to consider for a first delivery. */
  cursor: number;
  pending: Map<number, PendingEntry>;
  /** Priority consumers: sequences ≥ cursor already delivered out of order. */
  ahead: Set<number>;
  /** last_per_subject start: deliver only these sequences up to `lpsEnd`. */
  lpsSeqs: Set<number> | undefined;
  lpsEnd: number;
  lastActiveMs: number;
  /**
   * Acks happened since the ack floor was last computed. Computing it scans every pending
   * entry, so acks only set this and readers (info, monitoring, persistence) call
   * `settleAckFloor` first: one scan per read instead of one per ack.
   */
  ackFloorStale: boolean;
}

export interface PersistedConsumerState {
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  cursor: number;
  /** [stream_seq, consumer_seq, deliveries] */
  pending: Array<[number, number, number]>;
  ahead?: number[];
  lps?: { end: number; seqs: number[] };
}

export function emptyState(cursor: number): ConsumerState {
  return {
    deliveredConsumerSeq: 0,
    deliveredStreamSeq: cursor > 0 ? cursor - 1 : 0,
    ackFloorConsumerSeq: 0,
    ackFloorStreamSeq: cursor > 0 ? cursor - 1 : 0,
    cursor,
    pending: new Map(),
    ahead: new Set(),
    lpsSeqs: undefined,
    lpsEnd: 0,
    lastActiveMs: 0,
    ackFloorStale: false,
  };
}

export function toPersisted(s: ConsumerState): PersistedConsumerState {
  settleAckFloor(s);
  const out: PersistedConsumerState = {
    delivered: { consumer_seq: s.deliveredConsumerSeq, stream_seq: s.deliveredStreamSeq },
    ack_floor: { consumer_seq: s.ackFloorConsumerSeq, stream_seq: s.ackFloorStreamSeq },
    cursor: s.cursor,
    pending: [...s.pending].map(([seq, e]) => [seq, e.consumerSeq, e.deliveries]),
  };
  if (s.ahead.size > 0) out.ahead = [...s.ahead];
  if (s.lpsSeqs !== undefined) out.lps = { end: s.lpsEnd, seqs: [...s.lpsSeqs] };
  return out;
}

/** Restore; unacked messages get a fresh ack_wait deadline (as nats-server does after restart). */
export function fromPersisted(p: PersistedConsumerState, nowMs: number, ackWaitMs: number): ConsumerState {
  const s = emptyState(p.cursor);
  s.deliveredConsumerSeq = p.delivered.consumer_seq;
  s.deliveredStreamSeq = p.delivered.stream_seq;
  s.ackFloorConsumerSeq = p.ack_floor.consumer_seq;
  s.ackFloorStreamSeq = p.ack_floor.stream_seq;
  for (const [seq, cseq, deliveries] of p.pending) s.pending.set(seq, { consumerSeq: cseq, deliveries, deadlineMs: nowMs + ackWaitMs, queued: false });
  for (const seq of p.ahead ?? []) s.ahead.add(seq);
  if (p.lps !== undefined) {
    s.lpsSeqs = new Set(p.lps.seqs);
    s.lpsEnd = p.lps.end;
  }
  s.lastActiveMs = nowMs;
  return s;
}

/** Bring the ack floor up to date if acks happened since it was computed. */
export function settleAckFloor(s: ConsumerState): void {
  if (!s.ackFloorStale) return;
  s.ackFloorStale = false;
  updateAckFloor(s);
}

/**
 * Recompute the ack floor: everything below the oldest unacked message is done. The floor only
 * moves up (both inputs, the oldest pending entry and the cursor, only grow), so computing it
 * late, once for many acks, gives the same value as after every ack.
 */
export function updateAckFloor(s: ConsumerState): void {
  if (s.pending.size === 0) {
    s.ackFloorConsumerSeq = s.deliveredConsumerSeq;
    s.ackFloorStreamSeq = Math.max(s.ackFloorStreamSeq, s.cursor - 1);
    return;
  }
  let minSeq = Infinity;
  let minCseq = Infinity;
  for (const [seq, e] of s.pending) {
    if (seq < minSeq) minSeq = seq;
    if (e.consumerSeq < minCseq) minCseq = e.consumerSeq;
  }
  // Never past the cursor: with Sluice priority, messages above it may be delivered (and
  // pending) while lower ones were not delivered yet.
  s.ackFloorStreamSeq = Math.max(s.ackFloorStreamSeq, Math.min(minSeq, s.cursor) - 1);
  s.ackFloorConsumerSeq = Math.max(s.ackFloorConsumerSeq, minCseq - 1);
}
