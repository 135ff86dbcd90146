/** Acks reach the right consumer while the router reuses its last lookup (same-name consumers, recreation). */
import { describe, expect, it } from "vitest";
import type { BusMessage } from "../../core/bus.js";
import { startHarness } from "../test-support/harness.js";
import { ack, consumerInfo, createConsumer, createStream, publish, pull, until } from "../test-support/helpers.js";

describe("ack routing", () => {
  it("routes interleaved acks of same-named consumers and forgets deleted ones", async () => {
    const h = await startHarness();
    try {
      for (const s of ["A", "B"]) {
        await createStream(h, { name: s, subjects: [`${s.toLowerCase()}.>`] });
        for (let i = 0; i < 4; i++) await publish(h, `${s.toLowerCase()}.x`, `${s}${i}`);
        await createConsumer(h, s, { durable_name: "w", ack_policy: "explicit" });
      }
      const data = (msgs: BusMessage[]): BusMessage[] => msgs.filter((m) => m.reply !== undefined);
      const pa = pull(h, "A", "w", { batch: 4 });
      const pb = pull(h, "B", "w", { batch: 4 });
      await until("both delivered", () => data(pa.msgs).length === 4 && data(pb.msgs).length === 4);
      // Interleave: A, B, A, B.
      ack(h, data(pa.msgs)[0]!);
      ack(h, data(pb.msgs)[0]!);
      ack(h, data(pa.msgs)[1]!);
      ack(h, data(pb.msgs)[1]!);
      await until("two acks each", () => h.js.findConsumer("A", "w")!.state.pending.size === 2 && h.js.findConsumer("B", "w")!.state.pending.size === 2);

      // Recreate A/w: acks for the old incarnation's deliveries must not touch the new one wrongly,
      // and acks for the new one must reach it (not the deleted object the router saw last).
      ack(h, data(pa.msgs)[2]!);
      await until("A ack 3", () => h.js.findConsumer("A", "w")!.state.pending.size === 1);
      expect((await h.bus.json("$JS.API.CONSUMER.DELETE.A.w"))["success"]).toBe(true);
      await createConsumer(h, "A", { durable_name: "w", ack_policy: "explicit" });
      const pa2 = pull(h, "A", "w", { batch: 4 });
      await until("redelivered from the start", () => data(pa2.msgs).length === 4);
      for (const m of data(pa2.msgs)) ack(h, m);
      await until("new A/w all acked", () => h.js.findConsumer("A", "w")!.state.pending.size === 0);
      expect(await consumerInfo(h, "A", "w")).toMatchObject({ num_ack_pending: 0, ack_floor: { stream_seq: 4 } });
      expect(await consumerInfo(h, "B", "w")).toMatchObject({ num_ack_pending: 2, ack_floor: { stream_seq: 2 } });
    } finally {
      await h.stop();
    }
  });
});
