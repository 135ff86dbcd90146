/**
 * Routes `$JS.API.>` requests (and acks, flow-control replies) from the bus to handlers and
 * publishes their replies. Mutating requests run one at a time, in arrival order, through a
 * bounded queue; pull requests and direct gets are answered without queueing behind them.
 */
import type { Bus, BusMessage, BusSubscription } from "../../core/bus.js";
import { utf8 } from "../headers.js";
import type { JetStream } from "../jetstream.js";
import type { JsConsumer } from "../consumer/consumer.js";
import { scanAckSubject } from "../consumer/pull.js";
import { consumerCreate, consumerDelete, consumerInfoReq, consumerNames } from "./consumer-api.js";
import { directGet } from "./direct.js";
import { jsError } from "./errors.js";
import { errorResponse, response } from "./shapes.js";
import { streamCreate, streamDelete, streamInfoReq, streamMsgDelete, streamMsgGet, streamNames, streamPurge } from "./stream-api.js";

type Json = Record<string, unknown>;

/** nats-server drops API requests beyond this many queued (the client times out). */
export const apiQueueLengthMax = 10_000;

export interface AccountLimits {
  maxMemoryBytes: number;
  maxStorageBytes: number;
}

export class JsApiRouter {
  private subs: BusSubscription[] = [];
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  /** The consumer the last ack went to, and its ack subject prefix. */
  private ackConsumer: JsConsumer | undefined;
  private ackPrefix = "";

  constructor(
    private readonly js: JetStream,
    private readonly bus: Bus,
    private readonly limits: AccountLimits,
  ) {}

  start(): void {
    const prefixes = ["$JS.API."];
    if (this.js.deps.domain !== undefined) prefixes.push(`$JS.${this.js.deps.domain}.API.`);
    for (const p of prefixes) this.subs.push(this.bus.subscribe(`${p}>`, (m) => this.onRequest(m, p)));
    this.subs.push(this.bus.subscribe("$JS.ACK.>", (m) => this.onAck(m)));
    this.subs.push(this.bus.subscribe("$JS.FC.>", (m) => this.onFlowControl(m)));
  }

  stop(): void {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }

  /** Resolves once queued API work is done. */
  async idle(): Promise<void> {
    await this.chain;
  }

  private onAck(m: BusMessage): void {
    const subject = m.subject;
    const scan = scanAckSubject(subject);
    if (scan === undefined) return;
    // Acks come in runs for one consumer: reuse the last lookup while the prefix matches.
    let c = this.ackConsumer;
    if (c === undefined || c.deleted || scan.prefixEnd !== this.ackPrefix.length || !subject.startsWith(this.ackPrefix)) {
      c = this.js.findConsumer(subject.slice(scan.streamStart, scan.consumerStart - 1), subject.slice(scan.consumerStart, scan.prefixEnd - 1));
      if (c === undefined) return;
      this.ackConsumer = c;
      this.ackPrefix = subject.slice(0, scan.prefixEnd);
    }
    c.onAck(scan, m.payload, m.reply);
  }

  private onFlowControl(m: BusMessage): void {
    const t = m.subject.split(".");
    if (t.length < 5) return;
    this.js.findConsumer(t[2]!, t[3]!)?.onFlowControlReply(m.subject);
  }

  private reply(reply: string, body: Json): void {
    if (body["error"] !== undefined) this.js.apiErrors++;
    this.bus.publish(reply, undefined, undefined, utf8.encode(JSON.stringify(body)));
  }

  private onRequest(m: BusMessage, prefix: string): void {
    const reply = m.reply;
    if (reply === undefined || reply === "") return;
    this.js.apiTotal++;
    const t = m.subject.slice(prefix.length).split(".");
    // Fast paths: no queueing behind stream/consumer management (which may wait on fsync).
    if (t.length === 1 && t[0] === "INFO") {
      this.reply(reply, this.accountInfo());
      return;
    }
    if (t[0] === "CONSUMER" && t[1] === "MSG" && t[2] === "NEXT" && t.length === 5) {
      const c = this.js.findConsumer(t[3]!, t[4]!);
      if (c === undefined) return; // nats-server does not answer pulls for unknown consumers.
      c.pullRequest(reply, m.payload);
      return;
    }
    if (t[0] === "DIRECT" && t[1] === "GET" && t.length >= 3) {
      const tail = t.length > 3 ? t.slice(3).join(".") : undefined;
      void directGet(this.js, this.bus, t[2]!, tail, m.payload, reply).catch((err: unknown) => this.js.deps.log.warn(`direct get: ${String(err)}`));
      return;
    }
    if (this.queued >= apiQueueLengthMax) return;
    this.queued++;
    this.chain = this.chain
      .then(async () => {
        const body = await this.dispatch(t, m.payload);
        if (body !== undefined) this.reply(reply, body);
      })
      .catch((err: unknown) => {
        this.js.deps.log.error(`jetstream api ${m.subject}: ${String(err)}`);
        this.reply(reply, errorResponse("error_response", jsError("stream_general", err instanceof Error ? err.message : String(err))));
      })
      .finally(() => {
        this.queued--;
      });
  }

  private async dispatch(t: string[], payload: Uint8Array): Promise<Json | undefined> {
    const js = this.js;
    const [a, b, c, d, e] = t;
    if (a === "INFO" && t.length === 1) return this.accountInfo();
    if (a === "STREAM") {
      switch (b) {
        case "CREATE":
          if (t.length === 3) return streamCreate(js, c!, payload, false);
          break;
        case "UPDATE":
          if (t.length === 3) return streamCreate(js, c!, payload, true);
          break;
        case "DELETE":
          if (t.length === 3) return streamDelete(js, c!, payload);
          break;
        case "INFO":
          if (t.length === 3) return streamInfoReq(js, c!, payload);
          break;
        case "LIST":
          if (t.length === 2) return streamNames(js, payload, true);
          break;
        case "NAMES":
          if (t.length === 2) return streamNames(js, payload, false);
          break;
        case "PURGE":
          if (t.length === 3) return streamPurge(js, c!, payload);
          break;
        case "MSG":
          if (c === "GET" && t.length === 4) return streamMsgGet(js, d!, payload);
          if (c === "DELETE" && t.length === 4) return streamMsgDelete(js, d!, payload);
          break;
      }
    }
    if (a === "CONSUMER") {
      switch (b) {
        case "CREATE":
          if (t.length === 3) return consumerCreate(js, c!, { kind: "ephemeral" }, payload);
          if (t.length === 4) return consumerCreate(js, c!, { kind: "named", name: d!, filter: undefined }, payload);
          if (t.length > 4) return consumerCreate(js, c!, { kind: "named", name: d!, filter: t.slice(4).join(".") }, payload);
          break;
        case "DURABLE":
          if (c === "CREATE" && t.length === 5) return consumerCreate(js, d!, { kind: "durable", name: e! }, payload);
          break;
        case "INFO":
          if (t.length === 4) return consumerInfoReq(js, c!, d!, payload);
          break;
        case "DELETE":
          if (t.length === 4) return consumerDelete(js, c!, d!);
          break;
        case "LIST":
          if (t.length === 3) return consumerNames(js, c!, payload, true);
          break;
        case "NAMES":
          if (t.length === 3) return consumerNames(js, c!, payload, false);
          break;
      }
    }
    return errorResponse("error_response", jsError("bad_request"));
  }

  accountInfo(): Json {
    let memory = 0;
    let storage = 0;
    let consumers = 0;
    for (const s of this.js.streams.values()) {
      const bytes = s.store.state().bytes;
      if (s.config.storage === "memory") memory += bytes;
      else storage += bytes;
      consumers += s.consumers.size;
    }
    const limit = (n: number): number => (n > 0 ? n : -1);
    return response("account_info_response", {
      memory,
      storage,
      reserved_memory: 0,
      reserved_storage: 0,
      streams: this.js.streams.size,
      consumers,
      limits: {
        max_memory: limit(this.limits.maxMemoryBytes),
        max_storage: limit(this.limits.maxStorageBytes),
        max_streams: -1,
        max_consumers: -1,
        max_ack_pending: -1,
        memory_max_stream_bytes: -1,
        storage_max_stream_bytes: -1,
        max_bytes_required: false,
      },
      ...(this.js.deps.domain !== undefined ? { domain: this.js.deps.domain } : {}),
      api: { level: 0, total: this.js.apiTotal, errors: this.js.apiErrors },
    });
  }
}
