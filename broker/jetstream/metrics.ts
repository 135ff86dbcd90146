/**
 * JetStream metrics for a prom-client Registry: per-stream and per-consumer gauges read at scrape
 * time, and a publish→ack latency histogram fed as acks arrive. broker/monitor owns the
 * registry; the service's `registerMetrics(registry)` attaches these to it.
 */
import { Gauge, Histogram, type Registry } from "prom-client";
import type { JetStream } from "./jetstream.js";
import { metricsSample } from "./monitor.js";

export function registerJetStreamMetrics(registry: Registry, current: () => JetStream | undefined): { observeAckLatency(seconds: number): void } {
  const streamGauge = (name: string, help: string, pick: (s: ReturnType<typeof metricsSample>["streams"][number]) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["stream"],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of metricsSample(current()).streams) this.set({ stream: s.stream }, pick(s));
      },
    });
  };
  const consumerGauge = (name: string, help: string, pick: (c: ReturnType<typeof metricsSample>["consumers"][number]) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ["stream", "consumer"],
      registers: [registry],
      collect() {
        this.reset();
        for (const c of metricsSample(current()).consumers) this.set({ stream: c.stream, consumer: c.consumer }, pick(c));
      },
    });
  };
  streamGauge("sluice_jetstream_stream_messages", "Messages stored in the stream", (s) => s.messages);
  streamGauge("sluice_jetstream_stream_bytes", "Bytes stored in the stream", (s) => s.bytes);
  streamGauge("sluice_jetstream_stream_first_seq", "First sequence in the stream", (s) => s.first_seq);
  streamGauge("sluice_jetstream_stream_last_seq", "Last sequence in the stream", (s) => s.last_seq);
  streamGauge("sluice_jetstream_stream_consumers", "Consumers of the stream", (s) => s.consumers);
  consumerGauge("sluice_jetstream_consumer_num_pending", "Messages matching the consumer not yet delivered (backlog)", (c) => c.num_pending);
  consumerGauge("sluice_jetstream_consumer_num_ack_pending", "Messages delivered and awaiting an ack", (c) => c.num_ack_pending);
  consumerGauge("sluice_jetstream_consumer_num_redelivered", "Messages awaiting an ack that were delivered more than once", (c) => c.num_redelivered);
  consumerGauge("sluice_jetstream_consumer_num_waiting", "Pull requests waiting", (c) => c.num_waiting);
  const latency = new Histogram({
    name: "sluice_jetstream_publish_to_ack_seconds",
    help: "Time from a message being stored to its ack by a consumer",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
    registers: [registry],
  });
  return { observeAckLatency: (seconds) => latency.observe(seconds) };
}
