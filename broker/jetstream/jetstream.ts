/**
 * The JetStream engine of one server: streams, their consumers, capture subscriptions, and
 * persistence of metadata. The API layer (api/) calls these operations; the service shell
 * (service.ts) owns timers and start/stop.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../../common/clock.js";
import type { Bus, BusSubscription } from "../core/bus.js";
import { jsError, type JsApiError } from "./api/errors.js";
import { checkConsumerUpdate, consumerFilters, normalizeConsumerConfig, sameConsumerConfig } from "./consumer/config.js";
import { JsConsumer, type ConsumerEnv } from "./consumer/consumer.js";
import { initialState } from "./consumer/start.js";
import { fromPersisted, toPersisted } from "./consumer/state.js";
import { consumerBus, makeDeliver } from "./deliver.js";
import type { MetaStore } from "./persist.js";
import { checkStreamUpdate, overlapsAny, type StreamConfig } from "./stream/config.js";
import { SourceLinks } from "./stream/sourcing.js";
import { JsStream, storeLimitsOf, type StreamEnv } from "./stream/stream.js";
import { subjectsOverlap } from "./subjects.js";
import type { JsLog, StoreFactory } from "./types.js";

export interface JetStreamDeps {
  bus: Bus;
  clock: Clock;
  log: JsLog;
  stores: StoreFactory;
  /** Undefined: nothing persisted (tests of the API alone). */
  meta: MetaStore | undefined;
  domain: string | undefined;
  serverName: string;
  sync: "always" | "interval" | "never";
  syncIntervalMs: number;
  maxStreams: number;
  /** Server-wide limits (`max_memory_store`, `max_file_store`); 0 or less = unlimited. */
  maxMemoryBytes: number;
  maxFileBytes: number;
}

export type CreateAction = "create" | "update" | "";

/** Double-ack replies held per consumer while its state is written; beyond, replies are dropped (the client retries the ack). */
export const ackRepliesPerConsumerMax = 65_536;

export class JetStream {
  readonly streams = new Map<string, JsStream<JsConsumer>>();
  private readonly captures = new Map<string, BusSubscription[]>();
  private readonly dirty = new Set<JsConsumer>();
  private readonly writes = new Map<JsConsumer, Promise<void>>();
  /** Double-ack replies waiting for the state write that covers them, per durable consumer. */
  private readonly ackReplies = new Map<JsConsumer, string[]>();
  private ackFlushRunning = false;
  private ackFlushAgain = false;
  readonly sources: SourceLinks;
  readonly streamEnv: StreamEnv;
  private readonly consumerEnv: ConsumerEnv;
  /** Observers of publish→ack latency (metrics). */
  readonly ackLatencyObservers = new Set<(seconds: number) => void>();
  apiTotal = 0;
  apiErrors = 0;

  constructor(readonly deps: JetStreamDeps) {
    this.streamEnv = {
      bus: deps.bus,
      clock: deps.clock,
      log: deps.log,
      domain: deps.domain,
      storageFull: (storage, bytes) => {
        const limit = storage === "memory" ? deps.maxMemoryBytes : deps.maxFileBytes;
        return limit > 0 && this.usage(storage) + bytes > limit;
      },
    };
    this.consumerEnv = {
      bus: consumerBus(deps.bus),
      deliver: makeDeliver(deps.bus),
      clock: deps.clock,
      log: deps.log,
      persistSoon: (c) => {
        if (c.isDurable && deps.meta !== undefined) this.dirty.add(c);
      },
      ackReply: (c, reply) => this.ackReply(c, reply),
      ackLatency: (seconds) => {
        for (const o of this.ackLatencyObservers) o(seconds);
      },
      expire: (c) => {
        deps.log.debug(`consumer ${c.stream.name}/${c.name} inactive: deleting`);
        void this.deleteConsumer(c.stream, c.name).catch((err: unknown) => deps.log.warn(`delete inactive consumer: ${String(err)}`));
      },
    };
    this.sources = new SourceLinks(this, deps.log);
  }

  /** Recreate streams and consumers from disk. */
  async load(): Promise<void> {
    if (this.deps.meta === undefined) return;
    const { streams, problems } = await this.deps.meta.loadAll();
    for (const p of problems) this.deps.log.warn(`jetstream recovery: ${p}`);
    for (const { meta, consumers } of streams) {
      try {
        const stream = await this.openStream(meta.config, BigInt(meta.created_ns));
        await stream.recover();
        for (const cm of consumers) {
          const ackWaitMs = cm.config.ack_wait / 1e6;
          const state = fromPersisted(cm.state, this.deps.clock.nowMs(), ackWaitMs);
          const c = new JsConsumer(stream, cm.config, BigInt(cm.created_ns), state, this.consumerEnv);
          stream.consumers.set(c.name, c);
        }
        this.deps.log.info(`jetstream: recovered stream ${meta.config.name} (${stream.store.state().msgs} msgs, ${consumers.length} consumers)`);
      } catch (err) {
        this.deps.log.error(`jetstream recovery: stream ${meta.config.name}: ${String(err)}`);
      }
    }
    this.sources.refresh();
  }

  private async openStream(cfg: StreamConfig, createdNs: bigint): Promise<JsStream<JsConsumer>> {
    const dir = this.deps.meta?.msgsDir(cfg.name) ?? "";
    const store = await this.deps.stores.open(cfg.storage, dir, {
      name: cfg.name,
      limits: storeLimitsOf(cfg),
      sync: this.deps.sync,
      sync_interval_ms: this.deps.syncIntervalMs,
    });
    const stream = new JsStream<JsConsumer>(cfg, store, createdNs, this.streamEnv);
    this.streams.set(cfg.name, stream);
    this.capture(stream);
    return stream;
  }

  private capture(stream: JsStream<JsConsumer>): void {
    for (const sub of this.captures.get(stream.name) ?? []) sub.unsubscribe();
    const subs: BusSubscription[] = [];
    for (const subject of stream.config.subjects ?? []) {
      subs.push(
        this.deps.bus.subscribe(subject, (m) => {
          // Deliveries and acks of JetStream itself are never captured.
          if (m.subject.startsWith("$JS.ACK.") || m.subject.startsWith("$JS.FC.")) return;
          stream.ingest({ subject: m.subject, reply: m.reply, headers: m.headers, payload: m.payload });
        }),
      );
    }
    this.captures.set(stream.name, subs);
  }

  // ---- streams -------------------------------------------------------------------------------

  /** Bytes stored in all streams of one storage type. */
  usage(storage: "file" | "memory"): number {
    let n = 0;
    for (const s of this.streams.values()) if (s.config.storage === storage) n += s.store.state().bytes;
    return n;
  }

  async createStream(cfg: StreamConfig): Promise<{ stream: JsStream<JsConsumer>; created: boolean } | JsApiError> {
    const existing = this.streams.get(cfg.name);
    if (existing !== undefined) {
      if (JSON.stringify(existing.config) === JSON.stringify(cfg)) return { stream: existing, created: false };
      return jsError("stream_name_exists");
    }
    if (cfg.sealed) return jsError("stream_invalid_config", "stream configuration for create can not be sealed");
    if (this.deps.maxStreams > 0 && this.streams.size >= this.deps.maxStreams) return jsError("max_streams");
    const limit = cfg.storage === "memory" ? this.deps.maxMemoryBytes : this.deps.maxFileBytes;
    if (limit > 0 && cfg.max_bytes > limit) return jsError(cfg.storage === "memory" ? "memory_resources" : "storage_resources");
    if (overlapsAny(cfg, [...this.streams.values()].map((s) => s.config))) return jsError("stream_subject_overlap");
    const createdNs = this.deps.clock.nowNs();
    await this.deps.meta?.saveStream({ config: cfg, created_ns: createdNs.toString() });
    let stream: JsStream<JsConsumer>;
    try {
      stream = await this.openStream(cfg, createdNs);
    } catch (err) {
      await this.deps.meta?.removeStream(cfg.name).catch(() => undefined);
      return jsError("stream_create", err instanceof Error ? err.message : String(err));
    }
    this.sources.refresh();
    return { stream, created: true };
  }

  async updateStream(cfg: StreamConfig): Promise<JsStream<JsConsumer> | JsApiError> {
    const stream = this.streams.get(cfg.name);
    if (stream === undefined) return jsError("stream_not_found");
    const bad = checkStreamUpdate(stream.config, cfg);
    if (bad !== undefined) return bad;
    if (overlapsAny(cfg, [...this.streams.values()].map((s) => s.config))) return jsError("stream_subject_overlap");
    await this.deps.meta?.saveStream({ config: cfg, created_ns: stream.createdNs.toString() });
    await stream.updateConfig(cfg);
    this.capture(stream);
    this.sources.refresh();
    for (const c of stream.consumers.values()) c.onPurge();
    return stream;
  }

  async deleteStream(name: string): Promise<boolean> {
    const stream = this.streams.get(name);
    if (stream === undefined) return false;
    for (const sub of this.captures.get(name) ?? []) sub.unsubscribe();
    this.captures.delete(name);
    this.streams.delete(name);
    stream.close();
    for (const c of stream.consumers.values()) {
      c.close("Consumer Deleted");
      this.dirty.delete(c);
      this.ackReplies.delete(c);
    }
    await this.writesSettled(stream.consumers.values());
    stream.consumers.clear();
    this.sources.refresh();
    await stream.store.destroy();
    await this.deps.meta?.removeStream(name);
    return true;
  }

  streamsForSubject(subject: string): Array<JsStream<JsConsumer>> {
    return [...this.streams.values()].filter((s) => (s.config.subjects ?? []).some((x) => subjectsOverlap(x, subject)));
  }

  // ---- consumers -----------------------------------------------------------------------------

  async addConsumer(stream: JsStream<JsConsumer>, raw: Record<string, unknown>, name: string | undefined, action: CreateAction, ephemeralRequest: boolean): Promise<JsConsumer | JsApiError> {
    const durable = typeof raw["durable_name"] === "string" && raw["durable_name"] !== "";
    const cfgOrErr = normalizeConsumerConfig(raw, stream.config, !durable);
    if ("body" in cfgOrErr) return cfgOrErr;
    const cfg = cfgOrErr;
    if (name !== undefined) cfg.name = name;
    if (cfg.name === undefined || cfg.name === "") {
      if (!ephemeralRequest && cfg.durable_name !== undefined) cfg.name = cfg.durable_name;
      else cfg.name = randomBytes(6).toString("base64url").replace(/[-_]/g, "x").slice(0, 8);
    }
    const consumerName = cfg.name;
    const existing = stream.consumers.get(consumerName);
    if (existing !== undefined) {
      if (sameConsumerConfig(existing.config, cfg)) return existing;
      if (action === "create") return jsError("consumer_already_exists");
      const bad = checkConsumerUpdate(existing.config, cfg);
      if (bad !== undefined) return bad;
      if (existing.isPush && existing.config.deliver_subject !== cfg.deliver_subject && this.deps.bus.hasInterest(existing.config.deliver_subject!)) {
        return jsError("consumer_name_exists");
      }
      existing.updateConfig(cfg);
      this.consumerEnv.persistSoon(existing);
      await this.flushConsumer(existing);
      return existing;
    }
    if (action === "update") return jsError("consumer_does_not_exist");
    if (stream.config.max_consumers > 0 && stream.consumers.size >= stream.config.max_consumers) return jsError("max_consumers");
    const filters = consumerFilters(cfg);
    for (const f of filters) {
      const streamSubjects = stream.config.subjects ?? [];
      if (streamSubjects.length > 0 && !streamSubjects.some((s) => subjectsOverlap(s, f))) return jsError("consumer_filter_not_subset");
    }
    if (stream.config.retention === "workqueue") {
      for (const other of stream.consumers.values()) {
        const of = consumerFilters(other.config);
        if (of.length === 0 || filters.length === 0) return jsError(of.length === 0 && filters.length === 0 ? "consumer_wq_multiple_unfiltered" : "consumer_wq_not_unique");
        if (of.some((a) => filters.some((b) => subjectsOverlap(a, b)))) return jsError("consumer_wq_not_unique");
      }
    }
    if (cfg.deliver_subject !== undefined && (stream.config.subjects ?? []).some((s) => subjectsOverlap(s, cfg.deliver_subject!))) {
      return jsError("consumer_deliver_cycle");
    }
    const state = await initialState(cfg, stream.store);
    const c = new JsConsumer(stream, cfg, this.deps.clock.nowNs(), state, this.consumerEnv);
    stream.consumers.set(c.name, c);
    this.consumerEnv.persistSoon(c);
    await this.flushConsumer(c);
    c.kick();
    return c;
  }

  async deleteConsumer(stream: JsStream<JsConsumer>, name: string): Promise<boolean> {
    const c = stream.consumers.get(name);
    if (c === undefined) return false;
    stream.consumers.delete(name);
    c.close("Consumer Deleted");
    this.dirty.delete(c);
    this.ackReplies.delete(c);
    await this.writesSettled([c]);
    if (c.isDurable) await this.deps.meta?.removeConsumer(stream.name, name);
    // Interest retention: messages only this consumer held may go now.
    if (stream.config.retention === "interest") {
      const st = stream.store.state();
      const seqs: number[] = [];
      for (let s = Math.max(st.first_seq, 1); s <= st.last_seq && seqs.length < 1_000_000; s++) seqs.push(s);
      void stream.retire(seqs);
    }
    return true;
  }

  private async flushConsumer(c: JsConsumer): Promise<void> {
    if (!this.dirty.delete(c) || this.deps.meta === undefined || c.deleted) return;
    const meta = this.deps.meta;
    // Chained per consumer so a delete can wait for an in-flight write (no resurrection on disk).
    const prev = this.writes.get(c) ?? Promise.resolve();
    const next = prev.then(async () => {
      if (c.deleted) return;
      // The replies taken here belong to acks already applied to the state written below.
      const replies = this.ackReplies.get(c);
      this.ackReplies.delete(c);
      try {
        await meta.saveConsumer(c.stream.name, c.name, { config: c.config, created_ns: c.createdNs.toString(), state: toPersisted(c.state) });
      } catch (err) {
        this.dirty.add(c); // retried by the next flush; the unanswered acks are retried by their clients
        throw err;
      }
      const empty = new Uint8Array(0);
      for (const r of replies ?? []) this.deps.bus.publish(r, undefined, undefined, empty);
    });
    this.writes.set(c, next.catch(() => undefined));
    try {
      await next;
    } finally {
      if (this.writes.get(c) === next) this.writes.delete(c);
    }
  }

  /**
   * Group commit for double acks: the reply is queued and a state write starts at once unless
   * one is running; acks arriving meanwhile ride on the next write (no timer adds latency).
   */
  private ackReply(c: JsConsumer, reply: string): void {
    if (!c.isDurable || this.deps.meta === undefined) {
      this.deps.bus.publish(reply, undefined, undefined, new Uint8Array(0));
      return;
    }
    let list = this.ackReplies.get(c);
    if (list === undefined) this.ackReplies.set(c, (list = []));
    if (list.length >= ackRepliesPerConsumerMax) return;
    list.push(reply);
    this.dirty.add(c);
    if (this.ackFlushRunning) {
      this.ackFlushAgain = true;
      return;
    }
    this.ackFlushRunning = true;
    void (async () => {
      try {
        do {
          this.ackFlushAgain = false;
          await this.flushDirty();
        } while (this.ackFlushAgain && this.ackReplies.size > 0);
      } finally {
        this.ackFlushRunning = false;
      }
    })();
  }

  /** Wait for metadata writes of these consumers to finish. */
  private async writesSettled(consumers: Iterable<JsConsumer>): Promise<void> {
    await Promise.allSettled([...consumers].map((c) => this.writes.get(c) ?? Promise.resolve()));
  }

  /** Write consumer state that changed since the last flush. */
  async flushDirty(): Promise<void> {
    for (const c of [...this.dirty]) {
      try {
        await this.flushConsumer(c);
      } catch (err) {
        this.deps.log.warn(`persist consumer ${c.stream.name}/${c.name}: ${String(err)}`);
      }
    }
  }

  findConsumer(streamName: string, consumerName: string): JsConsumer | undefined {
    return this.streams.get(streamName)?.consumers.get(consumerName);
  }

  // ---- time and shutdown ---------------------------------------------------------------------

  tickConsumers(nowMs: number): void {
    for (const s of this.streams.values()) for (const c of s.consumers.values()) c.tick(nowMs);
  }

  async tickStreams(nowNs: bigint): Promise<void> {
    for (const s of [...this.streams.values()]) {
      try {
        await s.tick(nowNs);
      } catch (err) {
        this.deps.log.warn(`stream ${s.name} tick: ${String(err)}`);
      }
    }
  }

  async close(): Promise<void> {
    for (const subs of this.captures.values()) for (const s of subs) s.unsubscribe();
    this.captures.clear();
    this.sources.stop();
    for (const s of this.streams.values()) await s.settle();
    for (const s of this.streams.values()) for (const c of s.consumers.values()) this.consumerEnv.persistSoon(c);
    await this.flushDirty();
    for (const s of this.streams.values()) {
      for (const c of s.consumers.values()) c.close("Server Shutdown");
      s.close();
      await s.store.close().catch((err: unknown) => this.deps.log.warn(`close store ${s.name}: ${String(err)}`));
    }
    this.streams.clear();
  }
}
