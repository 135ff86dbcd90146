/**
 * The `$SYS.REQ.SERVER…` monitoring requests (what `nats server info`, `nats server ping` and
 * `nats server report` send), answered over the Bus with nats-server's ServerAPIResponse shape
 * `{server:{…}, data:{…}}`. nats-server answers these only to system-account users; Sluice has a
 * single account, so any client may ask (the same data /varz serves without auth).
 */
import type { Bus, BusMessage, BusSubscription } from "../core/bus.js";
import type { ServerOptions } from "../config/options.js";
import type { MonitorSource } from "../monitor/source.js";
import { connz, healthz, rfc3339, subsz, varz } from "../monitor/views.js";
import { cpus } from "node:os";
import type { Logger } from "./logger.js";
import type { InternalService } from "./service.js";

const endpoints = ["VARZ", "CONNZ", "SUBSZ", "HEALTHZ"] as const;
type Endpoint = (typeof endpoints)[number];

export class SystemService implements InternalService {
  readonly name = "system";
  private subs: BusSubscription[] = [];
  private bus: Bus | undefined;
  private seq = 0;

  constructor(
    private readonly src: MonitorSource,
    private readonly log: Logger,
  ) {}

  async start(bus: Bus, _opts: ServerOptions): Promise<void> {
    this.bus = bus;
    const id = this.src.facts().server_id;
    for (const ep of endpoints) {
      this.subs.push(bus.subscribe(`$SYS.REQ.SERVER.PING.${ep}`, (m) => this.answer(ep, m, true)));
      this.subs.push(bus.subscribe(`$SYS.REQ.SERVER.${id}.${ep}`, (m) => this.answer(ep, m, false)));
    }
    this.subs.push(bus.subscribe("$SYS.REQ.SERVER.PING", (m) => this.answer("VARZ", m, true)));
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
    return Promise.resolve();
  }

  private answer(ep: Endpoint, m: BusMessage, filtered: boolean): void {
    if (m.reply === undefined || this.bus === undefined) return;
    const facts = this.src.facts();
    let filter: { name?: unknown; cluster?: unknown; host?: unknown } = {};
    if (m.payload.length > 0) {
      try {
        filter = JSON.parse(new TextDecoder().decode(m.payload)) as typeof filter;
      } catch {
        filter = {};
      }
    }
    // PING requests are scatter-gather across servers: only answer when the filter matches us.
    if (filtered && typeof filter.name === "string" && filter.name !== "" && !facts.server_name.includes(filter.name)) return;
    const now = Date.now();
    const q = new URLSearchParams();
    let data: object;
    try {
      switch (ep) {
        case "VARZ":
          data = varz(facts, this.src.counters(), { mem: process.memoryUsage().rss, cores: cpus().length, cpu: 0 }, {}, now);
          break;
        case "CONNZ":
          data = connz(this.src, q, now);
          break;
        case "SUBSZ":
          data = subsz(this.src, q, now);
          break;
        case "HEALTHZ":
          data = healthz(this.src).body;
          break;
      }
    } catch (err) {
      this.log.error(`$SYS ${ep} request failed: ${String(err)}`);
      return;
    }
    const body = {
      server: {
        name: facts.server_name,
        host: facts.host,
        id: facts.server_id,
        ver: facts.version,
        jetstream: facts.jetstream.enabled,
        flags: 0,
        seq: ++this.seq,
        time: rfc3339(now),
      },
      data,
    };
    this.bus.publish(m.reply, undefined, undefined, new TextEncoder().encode(JSON.stringify(body)));
  }
}
