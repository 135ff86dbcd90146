import { describe, expect, it } from "vitest";
import type { ConnView, MonitorSource, ServerFacts } from "./source.js";
import { BadRequest, connz, goDuration, healthz, parseBool, rfc3339, subsz, uptime } from "./views.js";

const facts = { server_id: "NTEST", server_name: "n1" } as ServerFacts;

function conn(cid: number, over: Partial<ConnView> = {}): ConnView {
  return {
    cid,
    ip: "127.0.0.1",
    port: 40000 + cid,
    startMs: 1_000 * cid,
    lastActivityMs: 2_000 * cid,
    stopMs: undefined,
    reason: undefined,
    rttMs: 0.5,
    pendingBytes: 0,
    inMsgs: cid * 10,
    outMsgs: 0,
    inBytes: 0,
    outBytes: 0,
    subs: [{ subject: `s.${cid}`, queue: undefined, sid: "1", msgs: 0, max: -1, cid }],
    name: `c${cid}`,
    lang: "go",
    version: "1.0",
    user: cid === 2 ? "alice" : undefined,
    tls: undefined,
    ...over,
  };
}

function source(open: ConnView[], closed: ConnView[] = [], problems: string[] = []): MonitorSource {
  return {
    facts: () => facts,
    counters: () => ({ connections: open.length, total_connections: 0, slow_consumers: 0, stale_connections: 0, in_msgs: 0, out_msgs: 0, in_bytes: 0, out_bytes: 0, subscriptions: 0 }),
    openConnections: () => open,
    closedConnections: () => closed,
    sublistStats: () => ({ num_subscriptions: 3, num_cache: 1, num_inserts: 3, num_removes: 0, num_matches: 5, cache_hit_rate: 0.5, max_fanout: 1, avg_fanout: 1 }),
    subscriptions: () => open.flatMap((c) => c.subs),
    jsz: () => undefined,
    healthProblems: () => problems,
  };
}

describe("formatting", () => {
  const durations: Array<[number, string]> = [
    [0, "0s"],
    [0.0015, "1.5µs"],
    [1.234, "1.234ms"],
    [1500, "1.5s"],
    [61_000, "1m1s"],
    [3_723_000, "1h2m3s"],
  ];
  it.each(durations)("goDuration(%d ms) = %s", (ms, want) => expect(goDuration(ms)).toBe(want));

  const uptimes: Array<[number, string]> = [
    [3_000, "3s"],
    [303_000, "5m3s"],
    [3_723_000, "1h2m3s"],
    [90_061_000, "1d1h1m1s"],
  ];
  it.each(uptimes)("uptime(%d ms) = %s", (ms, want) => expect(uptime(ms)).toBe(want));

  it("writes RFC 3339 with nanoseconds", () => {
    expect(rfc3339(Date.UTC(2025, 0, 2, 3, 4, 5, 123))).toBe("2025-01-02T03:04:05.123000000Z");
  });

  it("parses booleans like Go", () => {
    const q = new URLSearchParams("a=1&b=false&c=yes");
    expect(parseBool(q, "a")).toBe(true);
    expect(parseBool(q, "b")).toBe(false);
    expect(parseBool(q, "missing")).toBe(false);
    expect(() => parseBool(q, "c")).toThrow(BadRequest);
  });
});

describe("connz", () => {
  const open = [conn(3), conn(1), conn(2)];
  const closed = [conn(9, { stopMs: 50_000, reason: "Client Closed" })];

  it("pages sorted by cid", () => {
    const body = connz(source(open), new URLSearchParams("offset=1&limit=1"), 100_000) as { connections: Array<{ cid: number }>; total: number; num_connections: number };
    expect(body.total).toBe(3);
    expect(body.num_connections).toBe(1);
    expect(body.connections.map((c) => c.cid)).toEqual([2]);
  });

  it("sorts descending by msgs_from and filters by state and cid", () => {
    const q = (s: string): Array<{ cid: number }> => (connz(source(open, closed), new URLSearchParams(s), 100_000) as { connections: Array<{ cid: number }> }).connections;
    expect(q("sort=msgs_from").map((c) => c.cid)).toEqual([3, 2, 1]);
    expect(q("state=closed").map((c) => c.cid)).toEqual([9]);
    expect(q("state=all").map((c) => c.cid)).toEqual([1, 2, 3, 9]);
    expect(q("cid=2").map((c) => c.cid)).toEqual([2]);
  });

  it("lists subscriptions and users only when asked", () => {
    const plain = connz(source([conn(2)]), new URLSearchParams(""), 100_000) as { connections: Array<Record<string, unknown>> };
    expect(plain.connections[0]!["subscriptions_list"]).toBeUndefined();
    expect(plain.connections[0]!["authorized_user"]).toBeUndefined();
    const subs = connz(source([conn(2)]), new URLSearchParams("subs=1&auth=true"), 100_000) as { connections: Array<Record<string, unknown>> };
    expect(subs.connections[0]!["subscriptions_list"]).toEqual(["s.2"]);
    expect(subs.connections[0]!["authorized_user"]).toBe("alice");
    const detail = connz(source([conn(2)]), new URLSearchParams("subs=detail"), 100_000) as { connections: Array<Record<string, unknown>> };
    expect(detail.connections[0]!["subscriptions_list_detail"]).toEqual([{ account: "$G", subject: "s.2", qgroup: undefined, sid: "1", msgs: 0, max: undefined, cid: 2 }]);
  });

  const bad = ["sort=nope", "state=weird", "offset=-1", "subs=maybe", "sort=stop"];
  it.each(bad)("rejects %s with 400", (qs) => {
    expect(() => connz(source(open), new URLSearchParams(qs), 0)).toThrow(BadRequest);
  });
});

describe("subsz and healthz", () => {
  it("reports sublist stats and filters by test subject", () => {
    const body = subsz(source([conn(1), conn(2)]), new URLSearchParams("test=s.2"), 0) as { total: number; cache_hit_rate: number; subscriptions_list: Array<{ subject: string }> };
    expect(body.cache_hit_rate).toBe(0.5);
    expect(body.total).toBe(1);
    expect(body.subscriptions_list.map((s) => s.subject)).toEqual(["s.2"]);
  });

  it("is healthy without problems and 503 with them", () => {
    expect(healthz(source([]))).toEqual({ status: 200, body: { status: "ok" } });
    expect(healthz(source([], [], ["JetStream not running"]))).toEqual({ status: 503, body: { status: "unavailable", error: "JetStream not running" } });
  });
});
