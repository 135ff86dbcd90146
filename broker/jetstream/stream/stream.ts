/**
 * One stream: its config, its store, and the ingest pipeline that turns published messages into
 * stored ones (checks, dedup, rollup, PubAck after the store made the message durable).
 * Consumers attach through `AttachedConsumer` so this file does not depend on consumer code.
 */
import type { Clock } from "../../../common/clock.js";
import type { Bus } from "../../core/bus.js";
import { StoreError, type AppendResult, type Store, type StoreLimits, type StoredMessage } from "../../store/types.js";
import { jsError, type JsApiError } from "../api/errors.js";
import { appendHeaders, getHeader, parseHeaders, rfc3339Nano, utf8, type ParsedHeaders } from "../headers.js";
import { compileTransform, subjectMatches } from "../subjects.js";
import type { JsLog } from "../types.js";
import { zeroTime } from "../types.js";
import type { StreamConfig } from "./config.js";
import { checkPublish, needsSerialCheck, pubAckDuplicate, pubAckError, pubAckOkPrefix, type PublishFacts, type PublishVerdict } from "./publish-checks.js";

export interface AttachedConsumer {
  readonly name: string;
  /** True when this consumer no longer needs `seq` (acked, or not in its filter). */
  hasAcked(seq: number, subject: string): boolean;
  /** Filter used for interest decisions. */
  wantsSubject(subject: string): boolean;
  onNewMessage(): void;
  onPurge(): void;
}

export interface StreamEnv {
  bus: Bus;
  clock: Clock;
  log: JsLog;
  domain: string | undefined;
  /** True when storing `bytes` more of this storage type would exceed the server's limit. */
  storageFull(storage: "file" | "memory", bytes: number): boolean;
}

interface InboundMsg {
  subject: string;
  reply: string | undefined;
  headers: Uint8Array | undefined;
  payload: Uint8Array;
}

/** Bound on the ingest queue: beyond it publishes are answered with an error instead of queued. */
export const ingestQueueLengthMax = 100_000;
/** Bound on remembered message ids (on top of the duplicate window). */
export const dedupEntriesMax = 1_000_000;

export function storeLimitsOf(cfg: StreamConfig): StoreLimits {
  return {
    max_msgs: cfg.max_msgs,
    max_bytes: cfg.max_bytes,
    max_age_ms: cfg.max_age > 0 ? Math.floor(cfg.max_age / 1e6) : 0,
    max_msgs_per_subject: cfg.max_msgs_per_subject,
    max_msg_size_bytes: cfg.max_msg_size,
    discard: cfg.discard,
    discard_new_per_subject: cfg.discard_new_per_subject === true,
  };
}

export function storeErrorToApi(err: unknown): JsApiError {
  if (err instanceof StoreError) {
    switch (err.code) {
      case "msg_too_large":
        return jsError("stream_message_too_large");
      case "max_msgs":
        return jsError("stream_store_failed", "maximum messages exceeded");
      case "max_bytes":
        return jsError("stream_store_failed", "maximum bytes exceeded");
      case "max_msgs_per_subject":
        return jsError("stream_store_failed", "maximum messages per subject exceeded");
      default:
        return jsError("stream_store_failed", err.message);
    }
  }
  return jsError("stream_store_failed", err instanceof Error ? err.message : String(err));
}

export class JsStream<C extends AttachedConsumer = AttachedConsumer> {
  readonly consumers = new Map<string, C>();
  /** Sluice priority per stored sequence (only for `sluice_priority` streams; absent = 0). */
  readonly priorities = new Map<number, number>();
  /** Called after each message is stored (mirrors/sources of this stream listen here). */
  readonly appendListeners = new Set<(msg: StoredMessage) => void>();
  private readonly dedup = new Map<string, { seq: number | Promise<number>; tsMs: number }>();
  private lastMsgId: string | undefined;
  /** FIFO of captured messages; `queueHead` avoids O(n) shifts under bursts. */
  private queue: Array<InboundMsg | undefined> = [];
  private queueHead = 0;
  private draining = false;
  /** Appends handed to the store whose PubAck is not sent yet. */
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];
  /** UTF-8 of `{"stream":…,"seq":` (and domain): PubAcks differ only in the sequence. */
  private readonly pubAckPrefixBytes: Uint8Array;
  private transform: ((s: string) => string | undefined) | undefined;
  private closed = false;

  constructor(
    public config: StreamConfig,
    readonly store: Store,
    readonly createdNs: bigint,
    private readonly env: StreamEnv,
  ) {
    this.setTransform();
    this.pubAckPrefixBytes = utf8.encode(pubAckOkPrefix(config.name, env.domain));
  }

  get name(): string {
    return this.config.name;
  }

  private setTransform(): void {
    const t = this.config.subject_transform;
    const compiled = t === undefined ? undefined : compileTransform(t.src, t.dest);
    this.transform = typeof compiled === "function" ? compiled : undefined;
  }

  async updateConfig(cfg: StreamConfig): Promise<void> {
    await this.store.updateLimits(storeLimitsOf(cfg));
    this.config = cfg;
    this.setTransform();
  }

  /** Rebuild dedup ids and priorities from the store after a restart. */
  async recover(): Promise<void> {
    const st = this.store.state();
    if (st.msgs === 0) return;
    const windowNs = BigInt(this.config.duplicate_window);
    const fromSeq = await this.store.firstAtOrAfterTime(this.env.clock.nowNs() - windowNs);
    const needPriorities = this.config.sluice_priority === true;
    let seq = needPriorities ? st.first_seq : Math.max(fromSeq, st.first_seq);
    for (let guard = 0; guard < 10_000_000 && seq <= st.last_seq; guard++) {
      const m = await this.store.next(seq);
      if (m === undefined) break;
      if (m.seq >= fromSeq) {
        const id = getHeader(m.headers, "Nats-Msg-Id");
        if (id !== undefined && id !== "") {
          this.dedup.set(id, { seq: m.seq, tsMs: Number(m.ts_ns / 1_000_000n) });
          this.lastMsgId = id;
        }
      }
      if (needPriorities) {
        const p = Number(getHeader(m.headers, "Sluice-Priority") ?? "0");
        if (Number.isInteger(p) && p > 0 && p <= 9) this.priorities.set(m.seq, p);
      }
      seq = m.seq + 1;
    }
  }

  /** Entry point for messages captured from the bus (publish order). */
  ingest(msg: InboundMsg): void {
    if (this.closed) return;
    if (this.queue.length - this.queueHead >= ingestQueueLengthMax) {
      this.reply(msg.reply, pubAckError(this.name, jsError("stream_store_failed", "ingest queue full")));
      return;
    }
    this.queue.push(msg);
    if (!this.draining) void this.drain();
  }

  /** Resolves when everything queued so far is stored (tests, shutdown). */
  async settle(): Promise<void> {
    for (let i = 0; i < 1000 && (this.draining || this.inflight > 0); i++) {
      await this.whenIdle();
      await new Promise((r) => setImmediate(r));
    }
  }

  private whenIdle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  private appendSettled(): void {
    if (--this.inflight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queueHead < this.queue.length && !this.closed) {
        const msg = this.queue[this.queueHead]!;
        this.queue[this.queueHead++] = undefined;
        if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
          this.queue = this.queue.slice(this.queueHead);
          this.queueHead = 0;
        }
        try {
          // Most publishes are handled without awaiting: the append is in flight, its PubAck
          // follows when the store resolves it, and the next message is checked meanwhile.
          const wait = this.processOne(msg);
          if (wait !== undefined) await wait;
        } catch (err) {
          this.env.log.error(`stream ${this.name}: ingest failed: ${String(err)}`);
          this.reply(msg.reply, pubAckError(this.name, storeErrorToApi(err)));
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private publishFacts(): PublishFacts {
    return { lastSeq: () => this.store.state().last_seq, lastMsgId: this.lastMsgId };
  }

  /** Check and append one message; a promise only when it must wait (serial checks). */
  private processOne(msg: InboundMsg): Promise<void> | undefined {
    const h = parseHeaders(msg.headers);
    if (needsSerialCheck(h)) return this.processSerially(msg, h);
    const subject = this.transform?.(msg.subject) ?? msg.subject;
    const verdict = checkPublish(this.config, subject, h, msg.headers?.length ?? 0, msg.payload.length, this.publishFacts());
    if (verdict.kind === "needs_subject_seq") return this.processSerially(msg, h);
    void this.appendChecked(msg, subject, verdict); // answers its own failures
    return undefined;
  }

  /** Expected-Last-* and rollups are decided against the stream after every earlier append. */
  private async processSerially(msg: InboundMsg, h: ParsedHeaders): Promise<void> {
    if (this.inflight > 0) await this.whenIdle();
    const subject = this.transform?.(msg.subject) ?? msg.subject;
    const hb = msg.headers?.length ?? 0;
    let verdict = checkPublish(this.config, subject, h, hb, msg.payload.length, this.publishFacts());
    if (verdict.kind === "needs_subject_seq") {
      const last = (await this.store.lastBySubject(verdict.filter))?.seq ?? 0;
      verdict = checkPublish(this.config, subject, h, hb, msg.payload.length, this.publishFacts(), last);
    }
    if (verdict.kind === "needs_subject_seq") throw new Error("publish check asked twice for the subject sequence");
    await this.appendChecked(msg, subject, verdict);
  }

  /** Dedup, limits and the append itself; resolves when the PubAck was sent (or the append failed). */
  private appendChecked(msg: InboundMsg, subject: string, verdict: Exclude<PublishVerdict, { kind: "needs_subject_seq" }>): Promise<void> | undefined {
    if (verdict.kind === "error") {
      this.reply(msg.reply, pubAckError(this.name, verdict.error));
      return undefined;
    }
    const nowMs = this.env.clock.nowMs();
    if (this.env.storageFull(this.config.storage, msg.payload.length + (msg.headers?.length ?? 0) + subject.length)) {
      this.reply(msg.reply, pubAckError(this.name, jsError(this.config.storage === "memory" ? "memory_resources" : "storage_resources")));
      return undefined;
    }
    const msgId = verdict.msgId;
    if (msgId !== undefined) {
      const prior = this.dedup.get(msgId);
      if (prior !== undefined && nowMs - prior.tsMs < this.config.duplicate_window / 1e6) {
        const reply = msg.reply;
        if (typeof prior.seq === "number") this.reply(reply, pubAckDuplicate(this.name, prior.seq, this.env.domain));
        else {
          prior.seq.then(
            (seq) => this.reply(reply, pubAckDuplicate(this.name, seq, this.env.domain)),
            () => this.reply(reply, pubAckError(this.name, jsError("duplicate_in_process"))),
          );
        }
        return undefined;
      }
    }
    const appended = this.store.append({ subject, headers: msg.headers, payload: msg.payload });
    if (msgId !== undefined) {
      const seqPromise = appended.then((r) => r.seq);
      seqPromise.catch(() => undefined); // failures are answered below; duplicates waiting on it handle their own
      if (this.dedup.size >= dedupEntriesMax) this.pruneDedup(nowMs, true);
      this.dedup.set(msgId, { seq: seqPromise, tsMs: nowMs });
    }
    this.inflight++;
    return appended.then(
      (res) => this.onAppended(msg, subject, verdict, nowMs, res),
      (err: unknown) => {
        try {
          if (msgId !== undefined) this.dedup.delete(msgId);
          this.reply(msg.reply, pubAckError(this.name, storeErrorToApi(err)));
        } finally {
          this.appendSettled();
        }
      },
    );
  }

  private onAppended(msg: InboundMsg, subject: string, verdict: { msgId: string | undefined; rollup: "sub" | "all" | undefined; priority: number | undefined }, nowMs: number, res: AppendResult): Promise<void> | undefined {
    let settled = false;
    try {
      if (verdict.msgId !== undefined) {
        this.dedup.set(verdict.msgId, { seq: res.seq, tsMs: nowMs });
        this.lastMsgId = verdict.msgId;
      }
      if (verdict.priority !== undefined && verdict.priority > 0) this.priorities.set(res.seq, verdict.priority);
      for (const s of res.removed) this.priorities.delete(s);
      const finish = (): void => {
        if (this.config.no_ack !== true && msg.reply !== undefined && msg.reply !== "") this.env.bus.publish(msg.reply, undefined, undefined, this.pubAckBytes(res.seq));
        this.afterStored({ seq: res.seq, ts_ns: res.ts_ns, subject, headers: msg.headers, payload: msg.payload });
      };
      if (verdict.rollup === undefined) {
        finish();
        return undefined;
      }
      settled = true;
      const purge = verdict.rollup === "sub" ? this.store.purge({ filter: subject, up_to_seq: res.seq }) : this.store.purge({ up_to_seq: res.seq });
      return purge
        .then(() => {
          for (const c of this.consumers.values()) c.onPurge();
          finish();
        })
        .catch((err: unknown) => this.env.log.error(`stream ${this.name}: after append of ${res.seq}: ${String(err)}`))
        .finally(() => this.appendSettled());
    } catch (err) {
      // Nobody awaits this (the ingest loop moved on): report instead of an unhandled rejection.
      this.env.log.error(`stream ${this.name}: after append of ${res.seq}: ${String(err)}`);
      return undefined;
    } finally {
      if (!settled) this.appendSettled();
    }
  }

  /** `{"stream":…,"seq":N}` as bytes: the cached prefix plus the digits (no TextEncoder per ack). */
  private pubAckBytes(seq: number): Uint8Array {
    const digits = String(seq);
    const prefix = this.pubAckPrefixBytes;
    const out = new Uint8Array(prefix.length + digits.length + 1);
    out.set(prefix);
    let i = prefix.length;
    for (let k = 0; k < digits.length; k++) out[i++] = digits.charCodeAt(k);
    out[i] = 0x7d; // }
    return out;
  }

  /** Bookkeeping shared by client publishes and mirror/source appends. */
  afterStored(stored: StoredMessage): void {
    this.republish(stored);
    if (this.config.retention === "interest" && ![...this.consumers.values()].some((c) => c.wantsSubject(stored.subject))) {
      void this.store.delete(stored.seq).catch(() => undefined);
    } else {
      for (const c of this.consumers.values()) c.onNewMessage();
    }
    for (const l of this.appendListeners) l(stored);
  }

  private republish(m: StoredMessage): void {
    const rp = this.config.republish;
    if (rp === undefined || !subjectMatches(rp.src, m.subject)) return;
    const dest = compileTransform(rp.src, rp.dest);
    const subject = typeof dest === "function" ? (dest(m.subject) ?? rp.dest) : rp.dest;
    const prev = 0;
    const hdrs = appendHeaders(m.headers, [
      ["Nats-Stream", this.name],
      ["Nats-Subject", m.subject],
      ["Nats-Sequence", String(m.seq)],
      ["Nats-Time-Stamp", rfc3339Nano(m.ts_ns)],
      ["Nats-Last-Sequence", String(prev)],
      ...(rp.headers_only === true ? ([["Nats-Msg-Size", String(m.payload.length)]] as const) : []),
    ]);
    this.env.bus.publish(subject, undefined, hdrs, rp.headers_only === true ? new Uint8Array(0) : m.payload);
  }

  /** Called by consumers after acks: remove messages no consumer needs (interest / workqueue). */
  async retire(seqs: Iterable<number>): Promise<void> {
    if (this.config.retention === "limits") return;
    for (const seq of seqs) {
      const m = await this.read(seq);
      if (m === undefined) continue;
      const all = [...this.consumers.values()];
      const done = this.config.retention === "workqueue" ? true : all.every((c) => c.hasAcked(seq, m.subject));
      if (done) {
        await this.store.delete(seq);
        this.priorities.delete(seq);
      }
    }
  }

  pruneDedup(nowMs: number, force = false): void {
    const windowMs = this.config.duplicate_window / 1e6;
    for (const [id, e] of this.dedup) {
      if (typeof e.seq === "number" && (nowMs - e.tsMs >= windowMs || force)) {
        this.dedup.delete(id);
        if (force && this.dedup.size < dedupEntriesMax / 2) break;
      }
    }
  }

  /** Periodic work: age limits and dedup window. */
  async tick(nowNs: bigint): Promise<void> {
    this.pruneDedup(Number(nowNs / 1_000_000n));
    if (this.config.max_age > 0) {
      const removed = await this.store.expire(nowNs);
      for (const s of removed) this.priorities.delete(s);
      if (removed.length > 0) for (const c of this.consumers.values()) c.onPurge();
    }
  }

  reply(reply: string | undefined, body: string): void {
    if (reply === undefined || reply === "") return;
    this.env.bus.publish(reply, undefined, undefined, utf8.encode(body));
  }

  state(opts: { subjectsFilter?: string } = {}): Record<string, unknown> {
    const st = this.store.state();
    const out: Record<string, unknown> = {
      messages: st.msgs,
      bytes: st.bytes,
      first_seq: st.first_seq,
      first_ts: st.msgs > 0 || st.first_ts_ns > 0n ? rfc3339Nano(st.first_ts_ns) : zeroTime,
      last_seq: st.last_seq,
      last_ts: st.last_ts_ns > 0n ? rfc3339Nano(st.last_ts_ns) : zeroTime,
      num_subjects: st.num_subjects,
      consumer_count: this.consumers.size,
    };
    if (st.num_deleted > 0) out["num_deleted"] = st.num_deleted;
    if (opts.subjectsFilter !== undefined && opts.subjectsFilter !== "") {
      out["subjects"] = Object.fromEntries(this.store.subjectCounts(opts.subjectsFilter));
    }
    return out;
  }

  // ---- reads for consumers -------------------------------------------------------------------
  // The store keeps what it wrote in memory (FileStore) or holds everything there (MemoryStore):
  // these answer from memory without a promise when they can, else read from the store.

  /** Message `seq` if still stored (bytes possibly shared with the store's memory: do not modify). */
  async read(seq: number): Promise<StoredMessage | undefined> {
    return this.store.getCached(seq) ?? this.store.get(seq);
  }

  /** `next` when the store answers it from memory (no I/O, no promise); undefined otherwise. */
  nextCached(start: number, filters: readonly string[]): StoredMessage | undefined {
    const r = this.store.nextCached(start, filters);
    return typeof r === "object" && r !== null ? r : undefined;
  }

  /** First stored message with seq >= start whose subject matches one of `filters` (none = all). */
  async next(start: number, filters: readonly string[]): Promise<StoredMessage | undefined> {
    const r = this.store.nextCached(start, filters);
    if (r === null) return undefined;
    if (typeof r === "object") return r;
    if (filters.length <= 1) return this.store.next(r, filters[0]);
    let best: StoredMessage | undefined;
    for (const f of filters) {
      const m = await this.store.next(r, f);
      if (m !== undefined && (best === undefined || m.seq < best.seq)) best = m;
    }
    return best;
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.queueHead = 0;
  }
}
