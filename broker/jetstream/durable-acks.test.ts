/**
 * A real `sluice broker -js` killed with SIGKILL right after double acks were answered: after a
 * restart on the same store the consumer resumes exactly (every answered ack kept, nothing
 * acknowledged delivered again, unacknowledged messages redelivered). Needs the build (dist/).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, it } from "vitest";
import { startBroker, type BrokerProcess } from "../../test/clients/broker-process.js";

const dec = new TextDecoder();

describe("double acks survive kill -9", () => {
  let storeDir: string | undefined;
  const brokers: BrokerProcess[] = [];
  const conns: NatsConnection[] = [];
  afterEach(async () => {
    for (const nc of conns.splice(0)) await nc.close().catch(() => undefined);
    for (const b of brokers.splice(0)) await b.stop("SIGKILL");
    if (storeDir !== undefined) rmSync(storeDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ nc: NatsConnection; broker: BrokerProcess }> {
    const broker = await startBroker(["-js", "-sd", storeDir!]);
    brokers.push(broker);
    const nc = await connect({ servers: broker.url, maxReconnectAttempts: 0 });
    conns.push(nc);
    return { nc, broker };
  }

  async function fetchAll(nc: NatsConnection, want: number): Promise<JsMsg[]> {
    const c = await jetstream(nc).consumers.get("KILL", "d");
    const out: JsMsg[] = [];
    for (let round = 0; round < 20 && out.length < want; round++) {
      for await (const m of await c.fetch({ max_messages: want - out.length, expires: 2000 })) out.push(m);
    }
    return out;
  }

  it("keeps every answered ack and redelivers only the unacknowledged", async () => {
    storeDir = mkdtempSync(join(tmpdir(), "sluice-js-kill-"));
    const first = await start();
    const jsm = await jetstreamManager(first.nc);
    await jsm.streams.add({ name: "KILL", subjects: ["kill.>"] });
    await jsm.consumers.add("KILL", { durable_name: "d", ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000 });
    const js = jetstream(first.nc);
    for (let i = 1; i <= 30; i++) await js.publish("kill.x", String(i));
    const msgs = await fetchAll(first.nc, 30);
    expect(msgs.map((m) => dec.decode(m.data))).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    // Double-ack the first 20 (concurrently: they share state writes), then kill at once.
    const answered = await Promise.all(msgs.slice(0, 20).map((m) => m.ackAck()));
    expect(answered.every((ok) => ok)).toBe(true);
    first.broker.signal("SIGKILL");
    await first.broker.exited();

    const second = await start();
    const info = await (await jetstreamManager(second.nc)).consumers.info("KILL", "d");
    expect(info.ack_floor.stream_seq).toBeGreaterThanOrEqual(20);
    expect(info.num_pending).toBe(0);
    // Only 21..30 come back (ack_wait restarts after a restart), each exactly once.
    const again = await fetchAll(second.nc, 10);
    expect(again.map((m) => dec.decode(m.data))).toEqual(Array.from({ length: 10 }, (_, i) => String(i + 21)));
    for (const m of again) expect(await m.ackAck()).toBe(true);
    const after = await (await jetstreamManager(second.nc)).consumers.info("KILL", "d");
    expect(after).toMatchObject({ num_pending: 0, num_ack_pending: 0, ack_floor: { stream_seq: 30 } });
  });
});
