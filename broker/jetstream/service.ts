/**
 * The JetStream service shell: loads state from disk, subscribes the API on the server's bus,
 * drives timers (consumer ticks, age limits, state flushes) and exposes monitoring data.
 */
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../common/clock.js";
import type { ServerOptions } from "../config/options.js";
import type { Bus } from "../core/bus.js";
import type { Registry } from "prom-client";
import { JsApiRouter } from "./api/router.js";
import { JetStream } from "./jetstream.js";
import { jszReport, type JszOptions } from "./monitor.js";
import { registerJetStreamMetrics } from "./metrics.js";
import { MetaStore } from "./persist.js";
import type { JsLog, StoreFactory } from "./types.js";

export const consumerTickMs = 20;
export const flushIntervalMs = 50;
export const streamTickMs = 1000;

export interface JetStreamServiceDeps {
  clock: Clock;
  log: JsLog;
  stores: StoreFactory;
}

export class JetStreamService {
  readonly name = "jetstream";
  js: JetStream | undefined;
  private router: JsApiRouter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushMs = 0;
  private lastStreamTickMs = 0;
  private flushing = false;
  private streamTicking = false;
  private started = false;
  private latencyObserver: ((seconds: number) => void) | undefined;

  constructor(
    private options: ServerOptions,
    private deps: JetStreamServiceDeps,
  ) {}

  get log(): JsLog {
    return this.deps.log;
  }

  storeDir(): string {
    return this.options.jetstream.store_dir !== "" ? this.options.jetstream.store_dir : join(tmpdir(), "nats", "jetstream");
  }

  /** broker/server's InternalService contract: options and logger arrive with start(). */
  async start(bus: Bus, opts?: ServerOptions, log?: JsLog): Promise<void> {
    if (opts !== undefined) this.options = opts;
    if (log !== undefined) this.deps = { ...this.deps, log };
    const cfg = this.options.jetstream;
    const dir = this.storeDir();
    await mkdir(dir, { recursive: true });
    const js = new JetStream({
      bus,
      clock: this.deps.clock,
      log: this.deps.log,
      stores: this.deps.stores,
      meta: new MetaStore(dir),
      domain: cfg.domain !== undefined && cfg.domain !== "" ? cfg.domain : undefined,
      serverName: this.options.server_name,
      sync: cfg.sync,
      syncIntervalMs: cfg.sync_interval_ms,
      maxStreams: 0,
      maxMemoryBytes: cfg.max_memory_store_bytes,
      maxFileBytes: cfg.max_file_store_bytes,
    });
    await js.load();
    this.js = js;
    if (this.latencyObserver !== undefined) js.ackLatencyObservers.add(this.latencyObserver);
    this.router = new JsApiRouter(js, bus, { maxMemoryBytes: cfg.max_memory_store_bytes, maxStorageBytes: cfg.max_file_store_bytes });
    // The API answers only once recovery finished, so `$JS.API.INFO` means "ready".
    this.router.start();
    this.timer = setInterval(() => this.onTimer(), consumerTickMs);
    this.timer.unref();
    this.started = true;
    this.deps.log.info(`jetstream: started, store_dir ${dir}, ${js.streams.size} streams`);
  }

  private onTimer(): void {
    const js = this.js;
    if (js === undefined) return;
    const now = this.deps.clock.nowMs();
    js.tickConsumers(now);
    if (!this.flushing && now - this.lastFlushMs >= flushIntervalMs) {
      this.lastFlushMs = now;
      this.flushing = true;
      void js.flushDirty().finally(() => {
        this.flushing = false;
      });
    }
    if (!this.streamTicking && now - this.lastStreamTickMs >= streamTickMs) {
      this.lastStreamTickMs = now;
      this.streamTicking = true;
      void js.tickStreams(this.deps.clock.nowNs()).finally(() => {
        this.streamTicking = false;
      });
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.router?.stop();
    await this.router?.idle();
    await this.js?.close();
    this.started = false;
  }

  healthy(): boolean {
    return this.started;
  }

  /** /jsz body (broker/monitor adds server_id and now). */
  monitor(opts: JszOptions = { streams: true, consumers: true }): Record<string, unknown> {
    const { server_id: _id, now: _now, ...body } = jszReport(this.js, this.options, opts, this.deps.clock);
    return body;
  }

  /** Attach JetStream gauges and the publish→ack histogram to the monitor's registry. */
  registerMetrics(registry: Registry): void {
    const { observeAckLatency } = registerJetStreamMetrics(registry, () => this.js);
    this.latencyObserver = observeAckLatency;
    this.js?.ackLatencyObservers.add(observeAckLatency);
  }
}
