/** max_ack_pending: deliveries stop at the limit and resume as acks free room (pull and push). */
import { describe, expect, it } from "vitest";
import type { BusMessage } from "../../core/bus.js";
import { startHarness } from "../test-support/harness.js";
import { ack, body, consumerInfo, createConsumer, createStream, publish, pull, until } from "../test-support/helpers.js";

const data = (msgs: BusMessage[]): BusMessage[] => msgs.filter((m) => m.reply !== undefined && m.reply.startsWith("$JS.ACK."));

describe("max_ack_pending", () => {
  it("holds a pull request at the limit and continues it as acks (single or ack-all) arrive", async () => {
    const h = await startHarness();
    try {
      await createStream(h, { name: "S", subjects: ["s"] });
      for (let i = 1; i <= 6; i++) await publish(h, "s", `m${i}`);
      await createConsumer(h, "S", { durable_name: "c", ack_policy: "explicit", max_ack_pending: 2 });
      const p = pull(h, "S", "c", { batch: 6, expires: 60_000_000_000 });
      await until("2 delivered", () => data(p.msgs).length === 2);
      // Nothing more while full, even after other work runs.
      h.tick(10);
      await new Promise((r) => setImmediate(r));
      expect(data(p.msgs).length).toBe(2);
      ack(h, data(p.msgs)[0]!);
      await until("3rd", () => data(p.msgs).length === 3);
      ack(h, data(p.msgs)[1]!);
      await until("4th", () => data(p.msgs).length === 4);
      expect(data(p.msgs).map(body)).toEqual(["m1", "m2", "m3", "m4"]);
      expect(await consumerInfo(h, "S", "c")).toMatchObject({ num_ack_pending: 2, num_pending: 2, ack_floor: { stream_seq: 2 } });

      await createConsumer(h, "S", { durable_name: "all", ack_policy: "all", max_ack_pending: 3 });
      const q = pull(h, "S", "all", { batch: 6, expires: 60_000_000_000 });
      await until("3 delivered", () => data(q.msgs).length === 3);
      ack(h, data(q.msgs)[2]!); // acks 1..3 at once
      await until("rest", () => data(q.msgs).length === 6);
      expect(data(q.msgs).map(body)).toEqual(["m1", "m2", "m3", "m4", "m5", "m6"]);
    } finally {
      await h.stop();
    }
  });

  it("resumes a push consumer when an ack frees room", async () => {
    const h = await startHarness();
    try {
      await createStream(h, { name: "P", subjects: ["p"] });
      for (let i = 1; i <= 4; i++) await publish(h, "p", `m${i}`);
      const got = h.bus.collect("deliver.p");
      await createConsumer(h, "P", { durable_name: "push", deliver_subject: "deliver.p", ack_policy: "explicit", max_ack_pending: 1 });
      await until("first", () => data(got.msgs).length === 1);
      ack(h, data(got.msgs)[0]!);
      await until("second", () => data(got.msgs).length === 2);
      ack(h, data(got.msgs)[1]!);
      await until("third", () => data(got.msgs).length === 3);
      expect(data(got.msgs).map(body)).toEqual(["m1", "m2", "m3"]);
    } finally {
      await h.stop();
    }
  });
});
