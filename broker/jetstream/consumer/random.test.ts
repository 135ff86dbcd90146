/**
 * Seeded random walks over a pull consumer (publish, pull, ack/nak/term/wpi, time passing) with
 * invariants checked after every step, then a drain: nothing published is lost, nothing acked is
 * delivered again, and the reported counters match a model. SEED is printed on failure.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../../../common/prng.js";
import type { BusMessage } from "../../core/bus.js";
import { startHarness, statusOf, type Harness } from "../test-support/harness.js";
import { ack, consumerInfo, createConsumer, createStream, publish } from "../test-support/helpers.js";

async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await new Promise((r) => setImmediate(r));
}

type Json = Record<string, unknown>;

async function walk(seed: number, priority: boolean, retention: "limits" | "workqueue" | "interest" = "limits"): Promise<void> {
  const rng = new Prng(seed);
  const h: Harness = await startHarness();
  try {
    await createStream(h, { name: "S", subjects: ["s.*"], retention, ...(priority ? { sluice_priority: true, sluice_priority_aging_ms: 500 } : {}) });
    await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit", ack_wait: 1_000_000_000 });
    const published = new Set<number>();
    const done = new Set<number>(); // acked or termed
    const deliveredOnce = new Set<number>();
    const outstanding = new Map<number, BusMessage>(); // latest delivery per seq, not yet acked/termed
    const inbox = "_INBOX.walk";
    h.bus.subscribe(inbox, (m) => {
      if (statusOf(m).code !== undefined) return;
      const seq = Number(m.reply!.split(".")[5]);
      if (done.has(seq)) throw new Error(`SEED=${seed}: seq ${seq} delivered after ack/term`);
      deliveredOnce.add(seq);
      outstanding.set(seq, m);
    });
    const pullReq = (req: Json): void => h.bus.publish("$JS.API.CONSUMER.MSG.NEXT.S.c", inbox, undefined, new TextEncoder().encode(JSON.stringify(req)));

    for (let step = 0; step < 250; step++) {
      const r = rng.next();
      if (r < 0.3) {
        for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
          const headers = priority ? { "Sluice-Priority": String(rng.int(10)) } : undefined;
          published.add(await publish(h, `s.${rng.int(4)}`, `m${step}.${i}`, headers));
        }
      } else if (r < 0.5) {
        pullReq(rng.chance(0.5) ? { batch: 1 + rng.int(5), no_wait: true } : { batch: 1 + rng.int(5), expires: 1_500_000_000 });
      } else if (r < 0.85 && outstanding.size > 0) {
        const seqs = [...outstanding.keys()];
        const seq = seqs[rng.int(seqs.length)]!;
        const m = outstanding.get(seq)!;
        const kind = rng.pick(["+ACK", "+ACK", "+ACK", "-NAK", "+TERM", "+WPI"]);
        if (kind === "+ACK" || kind === "+TERM") {
          done.add(seq);
          outstanding.delete(seq);
        } else if (kind === "-NAK") outstanding.delete(seq);
        ack(h, m, kind);
      } else {
        h.tick(rng.int(1500));
      }
      await settle();
      const info = await consumerInfo(h, "S", "c");
      const ackFloor = (info["ack_floor"] as Json)["stream_seq"] as number;
      const delivered = (info["delivered"] as Json)["stream_seq"] as number;
      const ctx = `SEED=${seed} step=${step}`;
      expect(ackFloor, ctx).toBeLessThanOrEqual(delivered);
      expect(info["num_pending"], ctx).toBe(published.size - deliveredOnce.size);
      const pendingModel = [...deliveredOnce].filter((s) => !done.has(s)).length;
      expect(info["num_ack_pending"], ctx).toBe(pendingModel);
      for (let s = 1; s <= ackFloor; s++) if (published.has(s)) expect(done.has(s), `${ctx} floor ${ackFloor} covers unacked ${s}`).toBe(true);
    }

    // Drain: a perfect worker acks everything; every message ends acked or termed.
    for (let round = 0; round < 200 && done.size < published.size; round++) {
      pullReq({ batch: 50, no_wait: true });
      await settle();
      for (const [seq, m] of [...outstanding]) {
        done.add(seq);
        outstanding.delete(seq);
        ack(h, m, "+ACK");
      }
      await settle();
      h.tick(1001);
      await settle();
    }
    expect(done.size, `SEED=${seed}`).toBe(published.size);
    const info = await consumerInfo(h, "S", "c");
    expect(info, `SEED=${seed}`).toMatchObject({ num_pending: 0, num_ack_pending: 0 });
    expect((info["ack_floor"] as Json)["stream_seq"]).toBe(Math.max(...published));
    // Work queue and interest streams keep nothing once every message is acked or terminated.
    if (retention !== "limits") await waitForEmpty(h, seed);
    else expect(h.js.streams.get("S")!.store.state().msgs).toBe(published.size);
  } finally {
    await h.stop();
  }
}

async function waitForEmpty(h: Harness, seed: number): Promise<void> {
  for (let i = 0; i < 100 && h.js.streams.get("S")!.store.state().msgs > 0; i++) await settle();
  expect(h.js.streams.get("S")!.store.state().msgs, `SEED=${seed}`).toBe(0);
}

describe("consumer random walks", () => {
  for (let seed = 1; seed <= 6; seed++) {
    it(`FIFO consumer, seed ${seed}`, async () => walk(seed, false));
    it(`priority consumer, seed ${seed}`, async () => walk(seed, true));
  }
  for (let seed = 7; seed <= 9; seed++) {
    it(`workqueue stream, seed ${seed}`, async () => walk(seed, seed % 2 === 0, "workqueue"));
    it(`interest stream, seed ${seed}`, async () => walk(seed, seed % 2 === 1, "interest"));
  }
});
