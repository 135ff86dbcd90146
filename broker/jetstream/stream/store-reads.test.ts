/**
 * Consumers read recent messages from the store's memory (FileStore: what it wrote; MemoryStore:
 * everything). Whatever the store removed (delete, limits, purge, expiry, rollup) is never
 * delivered, on either storage.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../common/clock.js";
import type { BusMessage } from "../../core/bus.js";
import { memoryStores, realStores } from "../stores.js";
import { startHarness, type Harness } from "../test-support/harness.js";
import { ack, body, consumerInfo, createConsumer, createStream, publish, pull, until } from "../test-support/helpers.js";

const storages = [
  { kind: "memory store", stores: memoryStores },
  { kind: "file store", stores: realStores },
] as const;

/** Pull with no_wait and return the bodies delivered (the request ends with a status message). */
async function drain(h: Harness, stream: string, consumer: string): Promise<BusMessage[]> {
  const p = pull(h, stream, consumer, { batch: 50, no_wait: true });
  await until(`${consumer} delivered`, () => p.msgs.some((m) => m.reply === undefined && m.headers !== undefined && body(m) === ""));
  p.stop();
  return p.msgs.filter((m) => m.reply !== undefined);
}

describe.each(storages)("consumers reading from the $kind", ({ stores }) => {
  let h: Harness | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  async function start(): Promise<Harness> {
    dir = mkdtempSync(join(tmpdir(), "sluice-js-reads-"));
    const clock = new ManualClock();
    h = await startHarness({ dir, clock, stores: stores(clock) });
    return h;
  }

  it("never deliver messages deleted, purged or removed by limits after they were stored", async () => {
    const h = await start();
    await createStream(h, { name: "S", subjects: ["s.*"], max_msgs_per_subject: 2 });
    for (let i = 1; i <= 6; i++) await publish(h, `s.${i <= 3 ? "x" : "y"}`, `m${i}`);
    // Limits keep 2 per subject (seqs 1 and 4 go); delete 5 explicitly.
    expect(await h.bus.json("$JS.API.STREAM.MSG.DELETE.S", { seq: 5 })).toMatchObject({ success: true });
    await createConsumer(h, "S", { durable_name: "all", ack_policy: "explicit" });
    await createConsumer(h, "S", { durable_name: "y", ack_policy: "explicit", filter_subject: "s.y" });
    expect((await drain(h, "S", "all")).map(body)).toEqual(["m2", "m3", "m6"]);
    expect((await drain(h, "S", "y")).map(body)).toEqual(["m6"]);

    // Purge after storing: nothing of it comes back, new messages do.
    await createConsumer(h, "S", { durable_name: "late", ack_policy: "explicit" });
    expect(await h.bus.json("$JS.API.STREAM.PURGE.S", {})).toMatchObject({ success: true, purged: 3 });
    await publish(h, "s.z", "after");
    const late = await drain(h, "S", "late");
    expect(late.map(body)).toEqual(["after"]);
    ack(h, late[0]!);
    await until("acked", () => h.js.findConsumer("S", "late")!.state.pending.size === 0);
    expect(await consumerInfo(h, "S", "late")).toMatchObject({ num_ack_pending: 0, num_pending: 0, ack_floor: { stream_seq: 7 } });
  });

  it("never deliver expired messages", async () => {
    const h = await start();
    await createStream(h, { name: "E", subjects: ["e.*"], max_age: 1_000_000_000 });
    await publish(h, "e.a", "old1");
    await publish(h, "e.a", "old2");
    await createConsumer(h, "E", { durable_name: "c", ack_policy: "explicit" });
    h.clock.advance(1500);
    await h.js.tickStreams(h.clock.nowNs());
    expect(h.js.streams.get("E")!.store.state().msgs).toBe(0);
    await publish(h, "e.b", "young");
    expect((await drain(h, "E", "c")).map(body)).toEqual(["young"]);
  });

  it("never deliver messages a rollup removed", async () => {
    const h = await start();
    await createStream(h, { name: "R", subjects: ["r.*"], allow_rollup_hdrs: true });
    await createConsumer(h, "R", { durable_name: "c", ack_policy: "explicit" });
    for (let i = 1; i <= 3; i++) await publish(h, "r.a", `a${i}`);
    await publish(h, "r.b", "b1");
    const first = pull(h, "R", "c", { batch: 1 });
    await until("first delivered", () => first.msgs.some((m) => m.reply !== undefined));
    first.stop();
    expect(first.msgs.filter((m) => m.reply !== undefined).map(body)).toEqual(["a1"]);
    await publish(h, "r.a", "a-rollup", { "Nats-Rollup": "sub" });
    expect((await drain(h, "R", "c")).map(body)).toEqual(["b1", "a-rollup"]);
    await publish(h, "r.c", "all-rollup", { "Nats-Rollup": "all" });
    await createConsumer(h, "R", { durable_name: "after", ack_policy: "explicit" });
    expect((await drain(h, "R", "after")).map(body)).toEqual(["all-rollup"]);
  });
});
