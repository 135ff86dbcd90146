/**
 * Internal services (JetStream first) plug into the server through this interface: they get the
 * in-process Bus (the same subscription trie clients use) and the resolved options, and may
 * contribute to monitoring. main.ts discovers JetStream by dynamically importing
 * broker/jetstream/index.js (see broker/README.md).
 */
import type { Registry } from "prom-client";
import type { Bus } from "../core/bus.js";
import type { ServerOptions } from "../config/options.js";
import type { Logger } from "./logger.js";

export interface InternalService {
  readonly name: string;
  /** Subscribe to what the service serves. Rejecting aborts server start-up. */
  start(bus: Bus, opts: ServerOptions, log: Logger): Promise<void>;
  /** Stop serving; called on shutdown and when entering lame-duck mode. */
  stop(): Promise<void>;
  /** Body for /jsz (JetStream) — fields as nats-server's /jsz. */
  monitor?(): object;
  /** Contributes to /healthz; false makes it 503. */
  healthy?(): boolean;
  /** Adds the service's own series to /metrics (e.g. per-stream gauges). */
  registerMetrics?(registry: Registry): void;
}

/** What broker/jetstream/index.ts exports for main.ts to find. */
export interface JetStreamModule {
  createJetStreamService(): InternalService;
}
