/** Test harness: a JetStream engine + API router on a LocalBus with a manual clock. */
import { ManualClock } from "../../../common/clock.js";
import type { BusMessage } from "../../core/bus.js";
import { JsApiRouter } from "../api/router.js";
import { parseHeaders } from "../headers.js";
import { JetStream } from "../jetstream.js";
import { MetaStore } from "../persist.js";
import { memoryStores } from "../stores.js";
import type { StoreFactory } from "../types.js";
import { silentLog } from "../types.js";
import { LocalBus } from "./local-bus.js";

export interface Harness {
  bus: LocalBus;
  clock: ManualClock;
  js: JetStream;
  router: JsApiRouter;
  /** Advance the clock and run consumer timers. */
  tick(ms: number): void;
  stop(): Promise<void>;
}

export async function startHarness(opts: { dir?: string; stores?: StoreFactory; clock?: ManualClock; maxFileBytes?: number } = {}): Promise<Harness> {
  const bus = new LocalBus();
  const clock = opts.clock ?? new ManualClock();
  const js = new JetStream({
    bus,
    clock,
    log: silentLog,
    stores: opts.stores ?? memoryStores(clock),
    meta: opts.dir !== undefined ? new MetaStore(opts.dir) : undefined,
    domain: undefined,
    serverName: "test",
    sync: "always",
    syncIntervalMs: 0,
    maxStreams: 0,
    maxMemoryBytes: 0,
    maxFileBytes: opts.maxFileBytes ?? 0,
  });
  await js.load();
  const router = new JsApiRouter(js, bus, { maxMemoryBytes: 0, maxStorageBytes: 0 });
  router.start();
  return {
    bus,
    clock,
    js,
    router,
    tick(ms: number) {
      clock.advance(ms);
      js.tickConsumers(clock.nowMs());
    },
    async stop() {
      router.stop();
      await js.close();
    },
  };
}

export function statusOf(m: BusMessage): { code: number | undefined; description: string; headers: Map<string, string> } {
  const h = parseHeaders(m.headers);
  return { code: h.status, description: h.description, headers: new Map(h.entries) };
}

export function text(m: BusMessage): string {
  return new TextDecoder().decode(m.payload);
}

export function hdrs(entries: Record<string, string>): Uint8Array {
  let s = "NATS/1.0\r\n";
  for (const [k, v] of Object.entries(entries)) s += `${k}: ${v}\r\n`;
  return new TextEncoder().encode(s + "\r\n");
}
