import { Registry } from "prom-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultOptions } from "../config/options.js";
import { registerJetStreamMetrics } from "./metrics.js";
import { jszReport } from "./monitor.js";
import { startHarness, type Harness } from "./test-support/harness.js";
import { ack, createConsumer, createStream, publish, pull, until } from "./test-support/helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await createStream(h, { name: "S", subjects: ["s.>"] });
  for (let i = 0; i < 5; i++) await publish(h, `s.${i}`, "12345");
  await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit" });
  const p = pull(h, "S", "c", { batch: 2 });
  await until("2", () => p.msgs.length === 2);
  h.clock.advance(250);
  ack(h, p.msgs[0]!);
});
afterEach(async () => {
  await h.stop();
});

describe("monitoring", () => {
  it("builds a /jsz body with totals and stream/consumer details", () => {
    const opts = defaultOptions();
    opts.jetstream.enabled = true;
    const jsz = jszReport(h.js, opts, { streams: true, consumers: true }, h.clock);
    expect(jsz).toMatchObject({ streams: 1, consumers: 1, messages: 5, accounts: 1, config: { max_memory: -1, max_storage: -1, sync_always: true } });
    const details = (jsz["account_details"] as Array<Record<string, unknown>>)[0]!;
    const stream = (details["stream_detail"] as Array<Record<string, unknown>>)[0]!;
    expect(stream).toMatchObject({ name: "S", state: { messages: 5, first_seq: 1, last_seq: 5 } });
    expect((stream["consumer_detail"] as Array<Record<string, unknown>>)[0]).toMatchObject({ name: "c", num_pending: 3, num_ack_pending: 1 });
    expect(jszReport(undefined, opts, {}, h.clock)).toMatchObject({ disabled: true });
  });

  it("exports Prometheus gauges per stream and consumer, and the publish→ack histogram", async () => {
    const registry = new Registry();
    const { observeAckLatency } = registerJetStreamMetrics(registry, () => h.js);
    h.js.ackLatencyObservers.add(observeAckLatency);
    const p = pull(h, "S", "c", { batch: 1 });
    await until("1", () => p.msgs.length === 1);
    h.clock.advance(2000);
    await h.bus.request(p.msgs[0]!.reply!, "+ACK");
    const text = await registry.metrics();
    expect(text).toContain('sluice_jetstream_stream_messages{stream="S"} 5');
    expect(text).toContain('sluice_jetstream_stream_last_seq{stream="S"} 5');
    expect(text).toContain('sluice_jetstream_consumer_num_pending{stream="S",consumer="c"} 2');
    expect(text).toContain('sluice_jetstream_consumer_num_ack_pending{stream="S",consumer="c"} 1');
    expect(text).toMatch(/sluice_jetstream_publish_to_ack_seconds_count 1\n/);
    expect(text).toContain('sluice_jetstream_publish_to_ack_seconds_bucket{le="1"} 0');
    expect(text).toContain('sluice_jetstream_publish_to_ack_seconds_bucket{le="5"} 1');
  });
});
