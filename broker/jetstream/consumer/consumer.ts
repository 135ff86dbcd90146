/**
 * One consumer of a stream: decides what to deliver next (new messages, redeliveries, Sluice
 * priority), to whom (waiting pull requests or the push deliver subject), tracks acks and
 * redelivery deadlines, heartbeats and flow control. Time enters only through `tick(nowMs)` and
 * the clock passed in; the service drives ticks.
 */
import type { Clock } from "../../../common/clock.js";
import type { Bus } from "../../core/bus.js";
import type { StoredMessage } from "../../store/types.js";
import { appendHeaders, statusHeaders } from "../headers.js";
import { matchesAny } from "../subjects.js";
import type { AttachedConsumer, JsStream } from "../stream/stream.js";
import type { JsLog } from "../types.js";
import { consumerFilters, type ConsumerConfig } from "./config.js";
import type { DeliverFn } from "../deliver.js";
import { publishDeadLetter, publishAdvisory } from "./dead-letter.js";
import { consumerInfoBody } from "./info.js";
import { pickByPriority } from "./priority.js";
import { ReadAhead } from "./read-ahead.js";
import { ackSubject, parseAckPayload, parsePullRequest, type AckScan, type PullRequest } from "./pull.js";
import type { ConsumerState } from "./state.js";

export interface ConsumerEnv {
  bus: Bus;
  /** Route to one subject's subscribers while showing the message's own subject. */
  deliver: DeliverFn;
  clock: Clock;
  log: JsLog;
  /** Persist config+state soon (coalesced by the service). */
  persistSoon(c: JsConsumer): void;
  /**
   * Answer an ack that asked for a reply (double ack). For durable consumers the reply waits
   * until the consumer state holding the ack is on disk, so an acknowledged ack survives kill -9.
   */
  ackReply(c: JsConsumer, reply: string): void;
  /** The consumer went inactive past its threshold: the service deletes it. */
  expire(c: JsConsumer): void;
  /** A message was acked: seconds since it was stored (metrics). */
  ackLatency(seconds: number): void;
}

/** Deliveries per pump turn before yielding the event loop. */
const pumpTurnMax = 512;
/** Flow control request every this many messages or bytes (push with flow_control). */
const flowControlMsgs = 512;
const flowControlBytes = 2 * 1024 * 1024;

export class JsConsumer implements AttachedConsumer {
  readonly waiting: PullRequest[] = [];
  private readonly redeliverQueue: number[] = [];
  /** Read-ahead of the next stream sequences (unfiltered, non-priority consumers). */
  private readonly readAhead: ReadAhead;
  private pumping = false;
  private pumpAgain = false;
  deleted = false;
  private lastDeliveryMs: number;
  private lastHeartbeatMs: number;
  private flowControlSubject: string | undefined;
  private msgsSinceFc = 0;
  private bytesSinceFc = 0;
  private fcSerial = 0;
  private filters: string[];
  private replayNotBeforeMs = 0;
  private lastReplayTsNs = 0n;

  constructor(
    readonly stream: JsStream<JsConsumer>,
    public config: ConsumerConfig,
    readonly createdNs: bigint,
    public state: ConsumerState,
    private readonly env: ConsumerEnv,
  ) {
    this.filters = consumerFilters(config);
    this.readAhead = new ReadAhead(stream);
    const now = env.clock.nowMs();
    this.lastDeliveryMs = now;
    this.lastHeartbeatMs = now;
    if (state.lastActiveMs === 0) state.lastActiveMs = now;
  }

  get name(): string {
    return this.config.name ?? "";
  }

  get isPush(): boolean {
    return this.config.deliver_subject !== undefined;
  }

  get isDurable(): boolean {
    return this.config.durable_name !== undefined;
  }

  updateConfig(cfg: ConsumerConfig): void {
    this.config = cfg;
    this.filters = consumerFilters(cfg);
    this.kick();
  }

  wantsSubject(subject: string): boolean {
    return matchesAny(this.filters, subject);
  }

  hasAcked(seq: number, subject: string): boolean {
    if (!this.wantsSubject(subject)) return true;
    const delivered = seq < this.state.cursor || this.state.ahead.has(seq);
    return delivered && !this.state.pending.has(seq);
  }

  onNewMessage(): void {
    this.kick();
  }

  /** Drop out-of-order delivery marks that are behind the cursor or whose message is gone. */
  private pruneAhead(): void {
    const store = this.stream.store;
    for (const seq of this.state.ahead) {
      if (seq < this.state.cursor || store.numPending(seq) - store.numPending(seq + 1) !== 1) this.state.ahead.delete(seq);
    }
  }

  onPurge(): void {
    this.readAhead.clear();
    const first = this.stream.store.state().first_seq;
    if (this.state.cursor < first) this.state.cursor = first;
    let changed = false;
    for (const seq of this.state.pending.keys()) {
      if (seq < first) {
        this.state.pending.delete(seq);
        changed = true;
      }
    }
    this.pruneAhead();
    if (changed) this.state.ackFloorStale = true;
    this.env.persistSoon(this);
  }

  /** Messages matching the filter not yet delivered. */
  numPending(): number {
    const s = this.state;
    const store = this.stream.store;
    const count = (start: number): number => {
      if (this.filters.length === 0) return store.numPending(start);
      let n = 0;
      for (const f of this.filters) n += store.numPending(start, f);
      return n;
    };
    if (s.lpsSeqs !== undefined && s.cursor <= s.lpsEnd) {
      let n = 0;
      for (const seq of s.lpsSeqs) if (seq >= s.cursor) n++;
      return n + count(s.lpsEnd + 1);
    }
    if (s.ahead.size === 0) return count(s.cursor);
    // Out-of-order deliveries (priority) still in the stream are not pending any more.
    let aheadLive = 0;
    for (const seq of s.ahead) if (store.numPending(seq) - store.numPending(seq + 1) === 1) aheadLive++;
    return Math.max(0, count(s.cursor) - aheadLive);
  }

  ackWaitMs(deliveries: number): number {
    const b = this.config.backoff;
    if (b !== undefined && b.length > 0) return b[Math.min(deliveries - 1, b.length - 1)]! / 1e6;
    return this.config.ack_wait / 1e6;
  }

  // ---- pull requests -------------------------------------------------------------------------

  pullRequest(reply: string | undefined, body: Uint8Array): void {
    if (reply === undefined || reply === "" || this.deleted) return;
    const now = this.env.clock.nowMs();
    if (this.isPush) return this.status(reply, 409, "Consumer is push based");
    const parsed = parsePullRequest(body, reply, this.config, now);
    if (parsed.kind === "status") return this.status(reply, parsed.code, parsed.description);
    const req = parsed.request;
    this.state.lastActiveMs = now;
    if (this.waiting.length >= (this.config.max_waiting ?? 512)) this.dropDeadRequests();
    if (this.waiting.length >= (this.config.max_waiting ?? 512)) {
      if (req.heartbeatMs === 0) this.status(reply, 409, "Exceeded MaxWaiting");
      return;
    }
    if (req.noWait && this.waiting.some((w) => w.reply === reply)) {
      return this.status(reply, 408, "Requests Pending");
    }
    this.waiting.push(req);
    this.kick();
  }

  private status(reply: string, code: number, description: string, extra: Array<[string, string]> = []): void {
    this.env.bus.publish(reply, undefined, statusHeaders(code, description, extra), new Uint8Array(0));
  }

  private pendingHeaders(req: PullRequest): Array<[string, string]> {
    return [
      ["Nats-Pending-Messages", String(req.batch)],
      ["Nats-Pending-Bytes", String(req.maxBytes)],
    ];
  }

  /** End a request; timeouts and the "request ended" 409s carry what was left of it (nats-server). */
  private finishRequest(req: PullRequest, code: number, description: string): void {
    const i = this.waiting.indexOf(req);
    if (i >= 0) this.waiting.splice(i, 1);
    const withPending = code === 408 || description === "Message Size Exceeds MaxBytes" || description === "Batch Completed" || description === "Server Shutdown";
    this.status(req.reply, code, description, withPending ? this.pendingHeaders(req) : []);
  }

  // ---- delivery ------------------------------------------------------------------------------

  /** Schedule a delivery pass (coalesced; one pass at a time). */
  kick(): void {
    if (this.deleted) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
    });
  }

  private async pump(): Promise<void> {
    try {
      for (let turn = 0; turn < 1000 && !this.deleted; turn++) {
        this.pumpAgain = false;
        const more = await this.deliverSome();
        if (!this.pumpAgain && !more) break;
        if (more) await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      this.env.log.error(`consumer ${this.stream.name}/${this.name}: delivery failed: ${String(err)}`);
    }
  }

  private hasTarget(): boolean {
    if (this.isPush) return this.flowControlSubject === undefined && this.env.bus.hasInterest(this.config.deliver_subject!);
    return this.waiting.length > 0;
  }

  private ackPendingFull(): boolean {
    return this.config.ack_policy !== "none" && this.config.max_ack_pending > 0 && this.state.pending.size >= this.config.max_ack_pending;
  }

  /** Deliver up to `pumpTurnMax` messages; true if more might be deliverable right away. */
  private async deliverSome(): Promise<boolean> {
    this.dropDeadRequests();
    for (let i = 0; i < pumpTurnMax; i++) {
      // The request served next must still have a listener (its client may have gone).
      while (this.waiting.length > 0 && !this.env.bus.hasInterest(this.waiting[0]!.reply)) this.waiting.shift();
      if (!this.hasTarget()) return false;
      let msg = this.nextInOrderNow();
      let redelivery = false;
      if (msg === undefined) {
        const next = await this.nextMessage();
        if (next === undefined) {
          this.endNoWaitRequests();
          return false;
        }
        if (this.deleted || !this.hasTarget()) return false;
        msg = next.msg;
        redelivery = next.redelivery;
      }
      if (this.config.replay_policy === "original" && !redelivery) {
        const now = this.env.clock.nowMs();
        if (this.lastReplayTsNs > 0n) {
          const gapMs = Number((msg.ts_ns - this.lastReplayTsNs) / 1_000_000n);
          if (now < this.replayNotBeforeMs + gapMs) return false; // tick() resumes at the right time
        }
        this.replayNotBeforeMs = now;
        this.lastReplayTsNs = msg.ts_ns;
      }
      this.deliver(msg, redelivery);
    }
    return true;
  }

  private dropDeadRequests(): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (!this.env.bus.hasInterest(this.waiting[i]!.reply)) this.waiting.splice(i, 1);
    }
  }

  /**
   * Nothing more to deliver now. no_wait requests end here: 404 when they got nothing, 408 after
   * a partial batch. As in nats-server, a no_wait request that also has `expires` and got nothing
   * waits (until messages arrive or it expires) instead of failing at once.
   */
  private endNoWaitRequests(): void {
    for (const req of [...this.waiting]) {
      if (!req.noWait) continue;
      if (req.delivered > 0) this.finishRequest(req, 408, "Request Timeout");
      else if (req.expiresAtMs === undefined) this.finishRequest(req, 404, "No Messages");
    }
  }

  /**
   * The next first delivery when it is decidable without I/O: no redeliveries waiting, room
   * under max_ack_pending, plain in-order delivery, message held in the store's memory. Saves
   * the promise chain of `nextMessage` for every message of a consumer that keeps up.
   */
  private nextInOrderNow(): StoredMessage | undefined {
    if (this.redeliverQueue.length > 0 || this.ackPendingFull()) return undefined;
    if (this.stream.config.sluice_priority === true || this.state.lpsSeqs !== undefined) return undefined;
    return this.stream.nextCached(this.state.cursor, this.filters);
  }

  private async nextMessage(): Promise<{ msg: StoredMessage; redelivery: boolean } | undefined> {
    const s = this.state;
    while (this.redeliverQueue.length > 0) {
      const seq = this.redeliverQueue[0]!;
      const entry = s.pending.get(seq);
      if (entry === undefined || !entry.queued) {
        this.redeliverQueue.shift();
        continue;
      }
      const msg = await this.stream.read(seq);
      if (msg === undefined) {
        this.redeliverQueue.shift();
        s.pending.delete(seq);
        s.ackFloorStale = true;
        continue;
      }
      return { msg, redelivery: true };
    }
    if (this.ackPendingFull()) return undefined;
    const msg = this.stream.config.sluice_priority === true ? await this.pickByPriority() : await this.nextInOrder(s.cursor);
    return msg === undefined ? undefined : { msg, redelivery: false };
  }

  private async nextInOrder(start: number): Promise<StoredMessage | undefined> {
    const s = this.state;
    let from = start;
    for (let guard = 0; guard < 1_000_000; guard++) {
      const m = await this.readAhead.next(from, this.filters);
      if (m === undefined) return undefined;
      if (s.lpsSeqs !== undefined && m.seq <= s.lpsEnd && !s.lpsSeqs.has(m.seq)) {
        from = m.seq + 1;
        continue;
      }
      return m;
    }
    return undefined;
  }

  private pickByPriority(): Promise<StoredMessage | undefined> {
    return pickByPriority(this.state, this.stream, this.env.clock.nowNs(), (from) => this.nextInOrder(from));
  }

  private deliver(msg: StoredMessage, redelivery: boolean): void {
    const s = this.state;
    const now = this.env.clock.nowMs();
    if (!redelivery) {
      if (this.stream.config.sluice_priority === true && msg.seq !== s.cursor) {
        const firstUndelivered = msg.seq > s.cursor;
        if (firstUndelivered) s.ahead.add(msg.seq);
      } else {
        s.cursor = msg.seq + 1;
        while (s.ahead.delete(s.cursor)) s.cursor++;
      }
      if (s.lpsSeqs !== undefined) {
        s.lpsSeqs.delete(msg.seq);
        if (s.cursor > s.lpsEnd) s.lpsSeqs = undefined;
      }
      if (msg.seq > s.deliveredStreamSeq) s.deliveredStreamSeq = msg.seq;
    }
    s.deliveredConsumerSeq++;
    const cseq = s.deliveredConsumerSeq;
    let deliveries = 1;
    if (this.config.ack_policy !== "none") {
      const prev = s.pending.get(msg.seq);
      deliveries = (prev?.deliveries ?? 0) + 1;
      s.pending.set(msg.seq, { consumerSeq: cseq, deliveries, deadlineMs: now + this.ackWaitMs(deliveries), queued: false });
      if (redelivery) this.redeliverQueue.shift();
    } else {
      s.ackFloorConsumerSeq = cseq;
      s.ackFloorStreamSeq = Math.max(s.ackFloorStreamSeq, s.cursor - 1);
    }
    const reply = ackSubject(this.stream.name, this.name, deliveries, msg.seq, cseq, msg.ts_ns, this.numPending());
    let headers = msg.headers;
    let payload = msg.payload;
    if (this.config.headers_only === true) {
      headers = appendHeaders(msg.headers, [["Nats-Msg-Size", String(msg.payload.length)]]);
      payload = new Uint8Array(0);
    }
    const size = msg.subject.length + (headers?.length ?? 0) + payload.length;
    if (this.isPush) {
      this.env.deliver(this.config.deliver_subject!, msg.subject, reply, headers, payload);
      this.maybeFlowControl(size);
    } else {
      const req = this.waiting[0]!;
      if (req.maxBytes > 0 && size > req.maxBytes) {
        // Does not fit: end this request, leave the message for the next one.
        this.undoDelivery(msg, redelivery);
        this.finishRequest(req, 409, "Message Size Exceeds MaxBytes");
        return;
      }
      this.env.deliver(req.reply, msg.subject, reply, headers, payload);
      req.batch--;
      req.delivered++;
      req.lastHeartbeatMs = now;
      if (req.maxBytes > 0) req.maxBytes -= size;
      if (req.batch <= 0) this.waiting.shift();
      else if (req.maxBytes < 0) this.waiting.shift();
    }
    this.lastDeliveryMs = now;
    this.lastHeartbeatMs = now;
    s.lastActiveMs = now;
    if (this.config.ack_policy === "none" && this.stream.config.retention !== "limits") void this.stream.retire([msg.seq]);
    this.env.persistSoon(this);
  }

  /** Roll back the bookkeeping of a delivery that could not be sent (max_bytes). */
  private undoDelivery(msg: StoredMessage, redelivery: boolean): void {
    const s = this.state;
    s.deliveredConsumerSeq--;
    const e = s.pending.get(msg.seq);
    if (e !== undefined) {
      if (e.deliveries <= 1) s.pending.delete(msg.seq);
      else {
        e.deliveries--;
        e.queued = true;
        this.redeliverQueue.unshift(msg.seq);
      }
    }
    if (!redelivery) {
      if (s.cursor === msg.seq + 1) s.cursor = msg.seq;
      s.ahead.delete(msg.seq);
    }
  }

  private maybeFlowControl(size: number): void {
    if (this.config.flow_control !== true) return;
    this.msgsSinceFc++;
    this.bytesSinceFc += size;
    if (this.msgsSinceFc < flowControlMsgs && this.bytesSinceFc < flowControlBytes) return;
    this.sendFlowControl();
  }

  private sendFlowControl(): void {
    this.msgsSinceFc = 0;
    this.bytesSinceFc = 0;
    this.fcSerial = (this.fcSerial + 1) % 10000;
    this.flowControlSubject = `$JS.FC.${this.stream.name}.${this.name}.${this.fcSerial.toString(36).padStart(4, "0")}`;
    this.env.bus.publish(this.config.deliver_subject!, this.flowControlSubject, statusHeaders(100, "FlowControl Request"), new Uint8Array(0));
  }

  onFlowControlReply(subject: string): void {
    if (subject === this.flowControlSubject) {
      this.flowControlSubject = undefined;
      this.kick();
    }
  }

  // ---- acks ----------------------------------------------------------------------------------

  onAck(ref: AckScan, payload: Uint8Array, reply: string | undefined): void {
    const kind = parseAckPayload(payload);
    if (kind === undefined) return;
    const s = this.state;
    const now = this.env.clock.nowMs();
    s.lastActiveMs = now;
    const entry = s.pending.get(ref.streamSeq);
    switch (kind.kind) {
      case "ack":
      case "next": {
        // Only a consumer held back by max_ack_pending has new work because of an ack.
        const wasFull = this.ackPendingFull();
        let retired: number[] | undefined;
        if (this.config.ack_policy === "all") {
          retired = [];
          for (const seq of [...s.pending.keys()]) {
            if (seq <= ref.streamSeq) {
              s.pending.delete(seq);
              retired.push(seq);
            }
          }
        } else if (entry !== undefined) {
          s.pending.delete(ref.streamSeq);
          retired = [ref.streamSeq];
        }
        if (retired !== undefined && retired.length > 0) {
          if (ref.tsMs > 0) this.env.ackLatency((now - ref.tsMs) / 1000);
          s.ackFloorStale = true;
          if (this.stream.config.retention !== "limits") void this.stream.retire(retired);
          this.env.persistSoon(this);
        }
        if (kind.kind === "next") this.pullRequest(reply, kind.request);
        else if (wasFull) this.kick();
        break;
      }
      case "nak":
        if (entry !== undefined) {
          entry.deadlineMs = now + kind.delayNs / 1e6;
          if (kind.delayNs === 0) this.queueRedelivery(ref.streamSeq, entry);
        }
        break;
      case "progress":
        if (entry !== undefined) entry.deadlineMs = now + this.ackWaitMs(entry.deliveries);
        break;
      case "term":
        if (entry !== undefined) {
          s.pending.delete(ref.streamSeq);
          s.ackFloorStale = true;
          this.finalize(ref.streamSeq, entry.deliveries, "term", kind.reason);
          this.kick();
        }
        break;
    }
    if (reply !== undefined && reply !== "" && kind.kind !== "next") this.env.ackReply(this, reply);
  }

  private queueRedelivery(seq: number, entry: { deliveries: number; queued: boolean }): void {
    if (this.config.max_deliver > 0 && entry.deliveries >= this.config.max_deliver) {
      this.state.pending.delete(seq);
      this.state.ackFloorStale = true;
      this.finalize(seq, entry.deliveries, "max_deliver", "");
      return;
    }
    if (entry.queued) return;
    entry.queued = true;
    // Redeliver oldest first.
    const q = this.redeliverQueue;
    let i = q.length;
    while (i > 0 && q[i - 1]! > seq) i--;
    q.splice(i, 0, seq);
    this.kick();
  }

  /** A message leaves the consumer without an ack: advisory, optional dead-letter, retention. */
  private finalize(seq: number, deliveries: number, reason: "term" | "max_deliver", detail: string): void {
    publishAdvisory(this.env.bus, this.env.clock, this.stream.name, this.name, seq, deliveries, reason, detail);
    const dl = this.config.sluice_dead_letter_subject;
    const done = dl === undefined ? Promise.resolve() : publishDeadLetter(this.env.bus, this.stream, dl, this.name, seq, deliveries, reason, detail);
    void done.then(() => this.stream.retire([seq])).catch((err: unknown) => this.env.log.warn(`dead-letter ${this.stream.name}/${this.name} seq ${seq}: ${String(err)}`));
    this.env.persistSoon(this);
  }

  // ---- time ----------------------------------------------------------------------------------

  tick(now: number): void {
    if (this.deleted) return;
    const s = this.state;
    if (s.ahead.size > 0) this.pruneAhead();
    // Redelivery deadlines.
    if (this.config.ack_policy !== "none") {
      for (const [seq, e] of s.pending) if (!e.queued && e.deadlineMs <= now) this.queueRedelivery(seq, e);
    }
    // Pull request expiry and heartbeats.
    for (const req of [...this.waiting]) {
      if (req.expiresAtMs !== undefined && req.expiresAtMs <= now) this.finishRequest(req, 408, "Request Timeout");
      else if (req.heartbeatMs > 0 && now - req.lastHeartbeatMs >= req.heartbeatMs) {
        req.lastHeartbeatMs = now;
        this.status(req.reply, 100, "Idle Heartbeat", this.heartbeatHeaders());
      }
    }
    // Push heartbeats.
    const hb = this.config.idle_heartbeat;
    if (this.isPush && hb !== undefined && now - this.lastHeartbeatMs >= hb / 1e6) {
      this.lastHeartbeatMs = now;
      if (this.env.bus.hasInterest(this.config.deliver_subject!)) {
        const extra = this.heartbeatHeaders();
        if (this.flowControlSubject !== undefined) extra.push(["Nats-Consumer-Stalled", this.flowControlSubject]);
        this.status(this.config.deliver_subject!, 100, "Idle Heartbeat", extra);
      }
    }
    // Activity and inactivity.
    const active = this.isPush ? this.env.bus.hasInterest(this.config.deliver_subject!) : this.waiting.length > 0;
    if (active) s.lastActiveMs = now;
    const threshold = this.config.inactive_threshold;
    if (threshold !== undefined && threshold > 0 && !active && now - s.lastActiveMs > threshold / 1e6) {
      this.env.expire(this);
      return;
    }
    if (active && (this.redeliverQueue.length > 0 || this.config.replay_policy === "original" || this.isPush)) this.kick();
  }

  private heartbeatHeaders(): Array<[string, string]> {
    return [
      ["Nats-Last-Consumer", String(this.state.deliveredConsumerSeq)],
      ["Nats-Last-Stream", String(this.state.deliveredStreamSeq)],
    ];
  }

  /** The stream or consumer is going away: end waiting pull requests with 409. */
  close(reason: "Consumer Deleted" | "Server Shutdown"): void {
    this.deleted = true;
    this.readAhead.clear();
    for (const req of [...this.waiting]) this.finishRequest(req, 409, reason);
  }

  info(nowNs: bigint, clusterName: string | undefined, serverName: string): Record<string, unknown> {
    return consumerInfoBody(this, nowNs, clusterName, serverName);
  }

  /** Push consumers: is a client listening on the deliver subject? */
  pushBound(): boolean {
    return this.isPush && this.env.bus.hasInterest(this.config.deliver_subject!);
  }
}
