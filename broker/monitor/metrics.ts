/**
 * /metrics in Prometheus text format (prom-client). Values are read from the server's counters at
 * scrape time; counters advance by the delta since the previous scrape so they stay monotonic.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { MonitorSource } from "./source.js";

export function createMetrics(src: MonitorSource): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: "sluice_broker_process_" });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [register],
      collect() {
        this.set(read());
      },
    });
  };
  const counter = (name: string, help: string, read: () => number): void => {
    let last = 0;
    new Counter({
      name,
      help,
      registers: [register],
      collect() {
        const now = read();
        if (now > last) this.inc(now - last);
        last = Math.max(last, now);
      },
    });
  };
  gauge("sluice_broker_connections", "Client connections currently open", () => src.counters().connections);
  gauge("sluice_broker_subscriptions", "Subscriptions currently registered (clients and internal)", () => src.counters().subscriptions);
  counter("sluice_broker_connections_total", "Client connections accepted since start", () => src.counters().total_connections);
  counter("sluice_broker_in_msgs_total", "Messages received from publishers", () => src.counters().in_msgs);
  counter("sluice_broker_out_msgs_total", "Messages delivered to subscribers", () => src.counters().out_msgs);
  counter("sluice_broker_in_bytes_total", "Payload bytes received from publishers", () => src.counters().in_bytes);
  counter("sluice_broker_out_bytes_total", "Payload bytes delivered to subscribers", () => src.counters().out_bytes);
  counter("sluice_broker_slow_consumers_total", "Connections closed as slow consumers", () => src.counters().slow_consumers);
  counter("sluice_broker_stale_connections_total", "Connections closed as stale (no PONG)", () => src.counters().stale_connections);
  return register;
}
