import { describe, expect, it } from "vitest";
import { Prng } from "../../common/prng.js";
import type { BusMessage } from "../core/bus.js";
import { Router } from "../core/router.js";
import { consumerBus, makeDeliver } from "./deliver.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("consumer delivery routes (cached by the sublist, also for _INBOX. subjects)", () => {
  it("answers like an uncached match, also after subscriptions come and go", () => {
    const router = new Router(new Prng(1));
    const bus = consumerBus(router);
    const repeated = (s: string) => router.sublist.match(s, true);
    const inbox = "_INBOX.abc.1";
    expect(bus.hasInterest(inbox)).toBe(false);
    expect(bus.hasInterest(inbox)).toBe(false); // cached miss
    expect(router.sublist.stats().num_cache).toBe(1);
    const a = router.subscribe("_INBOX.abc.*", () => {});
    expect(bus.hasInterest(inbox)).toBe(true);
    expect(repeated(inbox).plain.length).toBe(1);
    const b = router.subscribe("_INBOX.>", () => {}, { queue: "q" });
    expect(repeated(inbox).plain.length).toBe(1);
    expect(repeated(inbox).queues.length).toBe(1);
    a.unsubscribe();
    expect(repeated(inbox).plain.length).toBe(0);
    expect(bus.hasInterest(inbox)).toBe(true);
    b.unsubscribe();
    expect(bus.hasInterest(inbox)).toBe(false);
    // Resubscribing the same subject is a change too.
    const c = router.subscribe("_INBOX.abc.*", () => {});
    expect(bus.hasInterest(inbox)).toBe(true);
    c.unsubscribe();
    expect(bus.hasInterest(inbox)).toBe(false);
  });

  it("stays bounded and correct with many subjects", () => {
    const router = new Router(new Prng(2), () => {}, 256);
    const bus = consumerBus(router);
    router.subscribe("_INBOX.even.*", () => {});
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) {
        const subject = i % 2 === 0 ? `_INBOX.even.${i}` : `_INBOX.odd.${i}`;
        expect(bus.hasInterest(subject)).toBe(router.hasInterest(subject));
      }
    }
    expect(router.sublist.stats().num_cache).toBeLessThanOrEqual(256);
  });

  it("delivers and stops after the subscriber leaves", () => {
    const router = new Router(new Prng(3));
    const deliver = makeDeliver(router);
    const bus = consumerBus(router);
    const got: BusMessage[] = [];
    const sub = router.subscribe("_INBOX.pull", (m) => got.push(m));
    expect(bus.hasInterest("_INBOX.pull")).toBe(true);
    deliver("_INBOX.pull", "orders.1", "$JS.ACK.S.C.1.1.1.0.0", undefined, bytes("one"));
    deliver("_INBOX.pull", "orders.2", "$JS.ACK.S.C.1.2.2.0.0", undefined, bytes("two"));
    expect(got.map((m) => [m.subject, m.reply, new TextDecoder().decode(m.payload)])).toEqual([
      ["orders.1", "$JS.ACK.S.C.1.1.1.0.0", "one"],
      ["orders.2", "$JS.ACK.S.C.1.2.2.0.0", "two"],
    ]);
    sub.unsubscribe();
    expect(bus.hasInterest("_INBOX.pull")).toBe(false);
    deliver("_INBOX.pull", "orders.3", undefined, undefined, bytes("three"));
    expect(got.length).toBe(2);
  });
});
