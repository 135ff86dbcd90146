import { describe, expect, it } from "vitest";
import { Prng } from "../../common/prng.js";
import type { BusMessage } from "../core/bus.js";
import { Router } from "../core/router.js";
import { makeDeliver } from "./deliver.js";
import { RouteMemo, memoizedInterestBus } from "./route-memo.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("RouteMemo", () => {
  it("answers like the Router, also after subscriptions come and go", () => {
    const router = new Router(new Prng(1));
    const memo = new RouteMemo(router);
    const inbox = "_INBOX.abc.1";
    expect(memo.hasInterest(inbox)).toBe(false);
    expect(memo.hasInterest(inbox)).toBe(false); // memoized miss
    const a = router.subscribe("_INBOX.abc.*", () => {});
    expect(memo.hasInterest(inbox)).toBe(true);
    expect(memo.match(inbox).plain.length).toBe(1);
    const b = router.subscribe("_INBOX.>", () => {}, { queue: "q" });
    expect(memo.match(inbox).plain.length).toBe(1);
    expect(memo.match(inbox).queues.length).toBe(1);
    a.unsubscribe();
    expect(memo.match(inbox).plain.length).toBe(0);
    expect(memo.hasInterest(inbox)).toBe(true);
    b.unsubscribe();
    expect(memo.hasInterest(inbox)).toBe(false);
    // Resubscribing the same subject is a change too (insert count moves even though size does not).
    const c = router.subscribe("_INBOX.abc.*", () => {});
    expect(memo.hasInterest(inbox)).toBe(true);
    c.unsubscribe();
    expect(memo.hasInterest(inbox)).toBe(false);
  });

  it("stays bounded and correct with many subjects", () => {
    const router = new Router(new Prng(2));
    const memo = new RouteMemo(router);
    router.subscribe("_INBOX.even.*", () => {});
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) {
        const subject = i % 2 === 0 ? `_INBOX.even.${i}` : `_INBOX.odd.${i}`;
        expect(memo.hasInterest(subject)).toBe(router.hasInterest(subject));
      }
    }
  });

  it("delivers through the memo and stops after the subscriber leaves", () => {
    const router = new Router(new Prng(3));
    const memo = new RouteMemo(router);
    const deliver = makeDeliver(router, memo);
    const bus = memoizedInterestBus(router, memo);
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
