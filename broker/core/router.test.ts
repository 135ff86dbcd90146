import { describe, expect, it } from "vitest";
import { Prng } from "../../common/prng.js";
import type { BusMessage } from "./bus.js";
import { Router, Subscription, type Subscriber } from "./router.js";

class Fake implements Subscriber {
  readonly user = undefined;
  readonly pendingBytes = 0;
  got: string[] = [];
  removed: string[] = [];
  constructor(
    readonly cid: number,
    readonly echo = true,
  ) {}
  deliver(sub: Subscription, subject: string, _reply: string | undefined, hdr: number, data: Uint8Array): boolean {
    this.got.push(`${sub.sid}:${subject}:${hdr}:${new TextDecoder().decode(data)}`);
    return true;
  }
  deliverRange(sub: Subscription, subject: string, reply: string | undefined, hdr: number, buf: Uint8Array, start: number, end: number): boolean {
    return this.deliver(sub, subject, reply, hdr, buf.subarray(start, end));
  }
  autoUnsubscribed(sub: Subscription): void {
    this.removed.push(sub.sid);
  }
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("Router", () => {
  it("delivers to plain subs and one member per queue group", () => {
    const r = new Router(new Prng(1));
    const a = new Fake(1);
    const b = new Fake(2);
    const c = new Fake(3);
    r.add(new Subscription("x.*", undefined, "1", a));
    r.add(new Subscription("x.y", "q", "2", b));
    r.add(new Subscription("x.>", "q", "3", c));
    let groupTotal = 0;
    for (let i = 0; i < 200; i++) expect(r.route(undefined, "x.y", undefined, -1, bytes("m"))).toBe(2);
    groupTotal = b.got.length + c.got.length;
    expect(a.got.length).toBe(200);
    expect(groupTotal).toBe(200);
    // Random choice spreads the load (seeded, so this is deterministic).
    expect(b.got.length).toBeGreaterThan(50);
    expect(c.got.length).toBeGreaterThan(50);
  });

  it("delivers exactly the published byte range to plain subs and every queue member", () => {
    const r = new Router(new Prng(3));
    const plain = new Fake(1);
    const members = [new Fake(2), new Fake(3), new Fake(4)];
    r.add(new Subscription("q.x", undefined, "p", plain));
    members.forEach((m, i) => r.add(new Subscription("q.x", "workers", `m${i}`, m)));
    const small = bytes("PUB q.x 5\r\nsmall\r\n");
    const big = bytes(`PUB q.x 80\r\n${"b".repeat(80)}\r\n`);
    for (let i = 0; i < 30; i++) {
      expect(r.routeRange(undefined, "q.x", undefined, -1, small, 11, 16)).toBe(2);
      expect(r.routeRange(undefined, "q.x", undefined, -1, big, 12, 92)).toBe(2);
    }
    const want = (sid: string, body: string): string => `${sid}:q.x:-1:${body}`;
    expect(plain.got).toEqual(Array.from({ length: 30 }, () => [want("p", "small"), want("p", "b".repeat(80))]).flat());
    const groupGot = members.flatMap((m) => m.got);
    expect(groupGot).toHaveLength(60);
    for (const g of groupGot) expect(g.endsWith(":small") || g.endsWith(`:${"b".repeat(80)}`)).toBe(true);
    expect(members.filter((m) => m.got.length > 0).length).toBeGreaterThanOrEqual(2);
  });

  it("honours echo:false", () => {
    const r = new Router(new Prng(1));
    const quiet = new Fake(1, false);
    const other = new Fake(2);
    r.add(new Subscription("e", undefined, "1", quiet));
    r.add(new Subscription("e", undefined, "2", other));
    expect(r.route(quiet, "e", undefined, -1, bytes(""))).toBe(1);
    expect(quiet.got).toEqual([]);
  });

  it("auto-unsubscribes at max", () => {
    const r = new Router(new Prng(1));
    const a = new Fake(1);
    const sub = new Subscription("m", undefined, "9", a);
    sub.max = 2;
    r.add(sub);
    for (let i = 0; i < 5; i++) r.route(undefined, "m", undefined, -1, bytes(String(i)));
    expect(a.got).toEqual(["9:m:-1:0", "9:m:-1:1"]);
    expect(a.removed).toEqual(["9"]);
    expect(r.hasInterest("m")).toBe(false);
  });

  it("sends no-responders status to the publisher's reply sub", () => {
    const r = new Router(new Prng(1));
    const req = new Fake(1);
    r.add(new Subscription("_INBOX.abc.*", undefined, "1", req));
    expect(r.route(req, "svc", "_INBOX.abc.1", -1, bytes("q"))).toBe(0);
    r.sendNoResponders(req, "svc", "_INBOX.abc.1");
    // nats-server's size: 32 + len(subject), empty payload.
    expect(req.got).toEqual([`1:_INBOX.abc.1:${32 + "svc".length}:NATS/1.0 503\r\nNats-Subject: svc\r\n\r\n`]);
  });

  it("shares one trie between Bus subscribers and clients", () => {
    const r = new Router(new Prng(1));
    const client = new Fake(7);
    r.add(new Subscription("svc.>", undefined, "1", client));
    const seen: BusMessage[] = [];
    const s = r.subscribe("svc.*", (m) => seen.push(m));
    r.route(client, "svc.a", "rep", 12, bytes("NATS/1.0\r\n\r\nhi"));
    r.publish("svc.b", undefined, undefined, bytes("internal"));
    expect(seen.map((m) => [m.subject, m.reply, m.headers?.length, new TextDecoder().decode(m.payload), m.origin?.client_id])).toEqual([
      ["svc.a", "rep", 12, "hi", 7],
      ["svc.b", undefined, undefined, "internal", undefined],
    ]);
    expect(client.got).toHaveLength(2);
    expect(r.hasInterest("svc.zzz")).toBe(true);
    s.unsubscribe();
    expect(r.hasInterest("svc")).toBe(false);
    expect(() => r.subscribe("bad..subject", () => {})).toThrow(/invalid subject/);
  });

  it("survives a throwing internal handler", () => {
    const errors: string[] = [];
    const r = new Router(new Prng(1), (_e, subject) => errors.push(subject));
    r.subscribe("boom", () => {
      throw new Error("bug");
    });
    expect(r.route(undefined, "boom", undefined, -1, bytes(""))).toBe(1);
    expect(errors).toEqual(["boom"]);
  });
});
