import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pubAckOkPrefix } from "../stream/publish-checks.js";
import { hdrs, startHarness, type Harness } from "../test-support/harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stop();
});

type Json = Record<string, unknown>;
const err = (r: Json): Json | undefined => r["error"] as Json | undefined;

async function create(cfg: Json): Promise<Json> {
  return h.bus.json(`$JS.API.STREAM.CREATE.${String(cfg["name"])}`, cfg);
}

async function pub(subject: string, body = "x", headers?: Record<string, string>): Promise<Json> {
  const m = await h.bus.request(subject, body, headers === undefined ? undefined : hdrs(headers));
  return JSON.parse(new TextDecoder().decode(m.payload)) as Json;
}

describe("$JS.API.INFO", () => {
  it("answers account info with limits and counts", async () => {
    await create({ name: "S", subjects: ["s.>"] });
    const r = await h.bus.json("$JS.API.INFO");
    expect(r["type"]).toBe("io.nats.jetstream.api.v1.account_info_response");
    expect(r["streams"]).toBe(1);
    expect((r["limits"] as Json)["max_memory"]).toBe(-1);
    expect((r["api"] as Json)["total"]).toBeGreaterThan(0);
  });
});

describe("STREAM.CREATE", () => {
  it("applies nats-server defaults and reports did_create", async () => {
    const r = await create({ name: "ORDERS", subjects: ["orders.*"] });
    expect(r["type"]).toBe("io.nats.jetstream.api.v1.stream_create_response");
    expect(r["did_create"]).toBe(true);
    const cfg = r["config"] as Json;
    expect(cfg).toMatchObject({ name: "ORDERS", retention: "limits", max_msgs: -1, max_bytes: -1, max_age: 0, discard: "old", storage: "file", num_replicas: 1, duplicate_window: 120_000_000_000, max_msg_size: -1, max_msgs_per_subject: -1, max_consumers: -1, allow_direct: false, sealed: false, deny_delete: false, deny_purge: false, allow_rollup_hdrs: false });
    expect((r["state"] as Json)["messages"]).toBe(0);
  });

  it("defaults subjects to the stream name", async () => {
    const r = await create({ name: "PLAIN" });
    expect((r["config"] as Json)["subjects"]).toEqual(["PLAIN"]);
  });

  it("returns the existing stream for an identical config, without did_create", async () => {
    await create({ name: "S", subjects: ["a"] });
    const r = await create({ name: "S", subjects: ["a"] });
    expect(err(r)).toBeUndefined();
    expect(r["did_create"]).toBeUndefined();
  });

  const cases: Array<[string, () => Promise<Json>, number, number, string | RegExp]> = [
    ["different config for an existing name", async () => (await create({ name: "S", subjects: ["a"] }), create({ name: "S", subjects: ["b"] })), 400, 10058, "stream name already in use with a different configuration"],
    ["name in subject differs from body", () => h.bus.json("$JS.API.STREAM.CREATE.A", { name: "B" }), 400, 10056, "stream name in subject does not match request"],
    ["overlapping subjects", async () => (await create({ name: "A", subjects: ["x.*"] }), create({ name: "B", subjects: ["x.y"] })), 400, 10065, "subjects overlap with an existing stream"],
    ["invalid JSON", () => h.bus.json("$JS.API.STREAM.CREATE.A", "{nope"), 400, 10025, /^invalid JSON: /],
    ["empty body", () => h.bus.json("$JS.API.STREAM.CREATE.A", ""), 400, 10025, /^invalid JSON: /],
    ["max_age below 100ms", () => create({ name: "A", max_age: 5_000_000 }), 500, 10052, "max age needs to be >= 100ms"],
    ["replicas on a lone server", () => create({ name: "A", num_replicas: 3 }), 500, 10074, "replicas > 1 not supported in non-clustered mode"],
    ["sealed on create", () => create({ name: "A", sealed: true }), 500, 10052, "stream configuration for create can not be sealed"],
    ["negative replicas", () => create({ name: "A", num_replicas: -1 }), 400, 10133, "replicas count cannot be negative"],
    ["deny_purge with rollups", () => create({ name: "A", deny_purge: true, allow_rollup_hdrs: true }), 500, 10052, "roll-ups require the purge permission"],
    ["invalid retention", () => create({ name: "A", retention: "forever" }), 500, 10052, /retention/],
    ["invalid subject", () => create({ name: "A", subjects: ["a..b"] }), 500, 10052, /invalid subject/],
    ["duplicate subjects", () => create({ name: "A", subjects: ["a.*", "a.b"] }), 500, 10052, "duplicate subjects detected"],
    ["mirror with subjects", () => create({ name: "A", mirror: { name: "B" }, subjects: ["q"] }), 400, 10034, "stream mirrors can not contain subjects"],
    ["name with path separator", () => h.bus.json("$JS.API.STREAM.CREATE.a/b", { name: "a/b" }), 400, 10128, "Stream name can not contain path separators"],
    ["bad transform destination", () => create({ name: "A", subjects: ["in.*"], subject_transform: { src: "in.*", dest: "out.{{wildcard(3)}}" } }), 400, 10156, /stream transform: /],
  ];
  it.each(cases)("rejects %s", async (_name, run, code, errCode, description) => {
    const e = err(await run());
    expect(e).toBeDefined();
    expect(e!["code"]).toBe(code);
    expect(e!["err_code"]).toBe(errCode);
    if (typeof description === "string") expect(e!["description"]).toBe(description);
    else expect(String(e!["description"])).toMatch(description);
  });
});

describe("STREAM.UPDATE / DELETE / INFO / NAMES / LIST", () => {
  it("updates limits and rejects immutable changes", async () => {
    await create({ name: "S", subjects: ["s"] });
    const ok = await h.bus.json("$JS.API.STREAM.UPDATE.S", { name: "S", subjects: ["s", "t"], max_msgs: 10 });
    expect(err(ok)).toBeUndefined();
    expect((ok["config"] as Json)["max_msgs"]).toBe(10);
    const bad = await h.bus.json("$JS.API.STREAM.UPDATE.S", { name: "S", subjects: ["s"], storage: "memory" });
    expect(err(bad)).toMatchObject({ code: 500, err_code: 10069 });
    const missing = await h.bus.json("$JS.API.STREAM.UPDATE.NOPE", { name: "NOPE" });
    expect(err(missing)).toEqual({ code: 404, err_code: 10059, description: "stream not found" });
  });

  it("deletes, insisting on an empty body", async () => {
    await create({ name: "S" });
    expect(err(await h.bus.json("$JS.API.STREAM.DELETE.S", "{}"))).toEqual({ code: 400, err_code: 10038, description: "expected an empty request payload" });
    expect(await h.bus.json("$JS.API.STREAM.DELETE.S")).toEqual({ type: "io.nats.jetstream.api.v1.stream_delete_response", success: true });
    expect(err(await h.bus.json("$JS.API.STREAM.DELETE.S"))).toMatchObject({ err_code: 10059 });
    expect(err(await h.bus.json("$JS.API.STREAM.INFO.S"))).toMatchObject({ code: 404, err_code: 10059 });
  });

  it("lists names with a subject filter and paging fields", async () => {
    await create({ name: "A", subjects: ["a.>"] });
    await create({ name: "B", subjects: ["b.*"] });
    const all = await h.bus.json("$JS.API.STREAM.NAMES", {});
    expect(all).toMatchObject({ type: "io.nats.jetstream.api.v1.stream_names_response", total: 2, offset: 0, limit: 1024, streams: ["A", "B"] });
    const byB = await h.bus.json("$JS.API.STREAM.NAMES", { subject: "b.x" });
    expect(byB["streams"]).toEqual(["B"]);
    const list = await h.bus.json("$JS.API.STREAM.LIST", { offset: 1 });
    expect(list).toMatchObject({ type: "io.nats.jetstream.api.v1.stream_list_response", total: 2, offset: 1, limit: 256 });
    expect((list["streams"] as Json[]).map((s) => (s["config"] as Json)["name"])).toEqual(["B"]);
  });

  it("reports per-subject counts with subjects_filter", async () => {
    await create({ name: "S", subjects: ["s.*"] });
    await pub("s.a");
    await pub("s.a");
    await pub("s.b");
    const r = await h.bus.json("$JS.API.STREAM.INFO.S", { subjects_filter: ">" });
    expect((r["state"] as Json)["subjects"]).toEqual({ "s.a": 2, "s.b": 1 });
    expect((r["state"] as Json)["messages"]).toBe(3);
  });
});

describe("publishing", () => {
  beforeEach(async () => {
    await create({ name: "S", subjects: ["s.>"], allow_rollup_hdrs: false });
  });

  it("answers PubAck JSON and dedups on Nats-Msg-Id", async () => {
    expect(await pub("s.1", "a", { "Nats-Msg-Id": "m1" })).toEqual({ stream: "S", seq: 1 });
    const m = await h.bus.request("s.1", "a", hdrs({ "Nats-Msg-Id": "m1" }));
    expect(new TextDecoder().decode(m.payload)).toBe('{"stream":"S","seq":1,"duplicate": true}');
    expect(await pub("s.1", "b", { "Nats-Msg-Id": "m2" })).toEqual({ stream: "S", seq: 2 });
    const ok = await h.bus.request("s.1", "c");
    expect(new TextDecoder().decode(ok.payload)).toBe('{"stream":"S","seq":3}');
    expect(pubAckOkPrefix("S", "hub") + "12}").toBe('{"stream":"S","domain":"hub","seq":12}');
  });

  it("forgets message ids after the duplicate window", async () => {
    await h.bus.json("$JS.API.STREAM.UPDATE.S", { name: "S", subjects: ["s.>"], duplicate_window: 1_000_000_000 });
    await pub("s.1", "a", { "Nats-Msg-Id": "m1" });
    h.clock.advance(1500);
    expect(await pub("s.1", "a", { "Nats-Msg-Id": "m1" })).toEqual({ stream: "S", seq: 2 });
  });

  const failing: Array<[string, Record<string, string>, number, string]> = [
    ["Nats-Expected-Stream", { "Nats-Expected-Stream": "OTHER" }, 10060, "expected stream does not match"],
    ["Nats-Expected-Last-Sequence", { "Nats-Expected-Last-Sequence": "7" }, 10071, "wrong last sequence: 1"],
    ["Nats-Expected-Last-Subject-Sequence", { "Nats-Expected-Last-Subject-Sequence": "0" }, 10071, "wrong last sequence: 1"],
    ["Nats-Expected-Last-Msg-Id", { "Nats-Expected-Last-Msg-Id": "zzz" }, 10070, "wrong last msg ID: first"],
    ["Nats-Rollup without allow_rollup_hdrs", { "Nats-Rollup": "sub" }, 10111, "rollup not permitted"],
  ];
  it.each(failing)("rejects a failed %s", async (_n, headers, errCode, description) => {
    await pub("s.a", "first", { "Nats-Msg-Id": "first" });
    const r = await pub("s.a", "x", headers);
    expect(r["stream"]).toBe("S");
    expect(r["seq"]).toBe(0);
    expect(err(r)).toMatchObject({ err_code: errCode, description });
  });

  it("accepts matching expectations", async () => {
    await pub("s.a", "first", { "Nats-Msg-Id": "first" });
    expect(await pub("s.a", "2", { "Nats-Expected-Last-Sequence": "1", "Nats-Expected-Stream": "S", "Nats-Expected-Last-Msg-Id": "first", "Nats-Expected-Last-Subject-Sequence": "1" })).toEqual({ stream: "S", seq: 2 });
    expect(await pub("s.b", "3", { "Nats-Expected-Last-Subject-Sequence": "0" })).toEqual({ stream: "S", seq: 3 });
  });

  it("enforces max_msg_size, discard new and sealed", async () => {
    await h.bus.json("$JS.API.STREAM.UPDATE.S", { name: "S", subjects: ["s.>"], max_msg_size: 4, max_msgs: 1, discard: "new" });
    expect(err(await pub("s.a", "12345"))).toMatchObject({ code: 400, err_code: 10054, description: "message size exceeds maximum allowed" });
    expect(await pub("s.a", "1")).toEqual({ stream: "S", seq: 1 });
    expect(err(await pub("s.a", "2"))).toMatchObject({ code: 503, err_code: 10077, description: "maximum messages exceeded" });
    await h.bus.json("$JS.API.STREAM.UPDATE.S", { name: "S", subjects: ["s.>"], max_msg_size: 4, max_msgs: 1, discard: "new", sealed: true });
    expect(err(await pub("s.b", "1"))).toMatchObject({ err_code: 10109 });
  });

  it("rolls up a subject with Nats-Rollup: sub", async () => {
    await h.bus.json("$JS.API.STREAM.UPDATE.S", { name: "S", subjects: ["s.>"], allow_rollup_hdrs: true });
    await pub("s.a", "1");
    await pub("s.a", "2");
    await pub("s.b", "3");
    expect(await pub("s.a", "4", { "Nats-Rollup": "sub" })).toEqual({ stream: "S", seq: 4 });
    const info = await h.bus.json("$JS.API.STREAM.INFO.S", { subjects_filter: ">" });
    expect((info["state"] as Json)["subjects"]).toEqual({ "s.a": 1, "s.b": 1 });
    await pub("s.c", "5", { "Nats-Rollup": "all" });
    const after = await h.bus.json("$JS.API.STREAM.INFO.S");
    expect((after["state"] as Json)["messages"]).toBe(1);
  });

  it("applies a subject transform before storing", async () => {
    await create({ name: "T", subjects: ["in.*"], subject_transform: { src: "in.*", dest: "out.{{wildcard(1)}}" } });
    await pub("in.x", "v");
    const r = await h.bus.json("$JS.API.STREAM.MSG.GET.T", { seq: 1 });
    expect((r["message"] as Json)["subject"]).toBe("out.x");
  });
});

describe("server storage limit (max_file_store)", () => {
  it("rejects streams asking for more and publishes beyond it", async () => {
    await h.stop();
    h = await startHarness({ maxFileBytes: 200 });
    expect(err(await create({ name: "BIG", max_bytes: 1000 }))).toEqual({ code: 500, err_code: 10047, description: "insufficient storage resources available" });
    await create({ name: "S", subjects: ["s.>"] });
    expect(await pub("s.a", "x".repeat(100))).toEqual({ stream: "S", seq: 1 });
    expect(err(await pub("s.a", "x".repeat(100)))).toMatchObject({ err_code: 10047 });
  });
});

describe("PURGE / MSG.GET / MSG.DELETE", () => {
  beforeEach(async () => {
    await create({ name: "S", subjects: ["s.*"] });
    for (const s of ["s.a", "s.b", "s.a", "s.b", "s.a"]) await pub(s, `v-${s}`, { "H-Test": "1" });
  });

  it("gets by seq, last_by_subj, next_by_subj with base64 data and headers", async () => {
    const r = await h.bus.json("$JS.API.STREAM.MSG.GET.S", { seq: 2 });
    expect(r["type"]).toBe("io.nats.jetstream.api.v1.stream_msg_get_response");
    const m = r["message"] as Json;
    expect(m).toMatchObject({ subject: "s.b", seq: 2 });
    expect(Buffer.from(String(m["data"]), "base64").toString()).toBe("v-s.b");
    expect(Buffer.from(String(m["hdrs"]), "base64").toString()).toContain("H-Test: 1");
    expect(((await h.bus.json("$JS.API.STREAM.MSG.GET.S", { last_by_subj: "s.b" }))["message"] as Json)["seq"]).toBe(4);
    expect(((await h.bus.json("$JS.API.STREAM.MSG.GET.S", { next_by_subj: "s.a", seq: 2 }))["message"] as Json)["seq"]).toBe(3);
    expect(err(await h.bus.json("$JS.API.STREAM.MSG.GET.S", { seq: 99 }))).toEqual({ code: 404, err_code: 10037, description: "no message found" });
    expect(err(await h.bus.json("$JS.API.STREAM.MSG.GET.S", {}))).toMatchObject({ err_code: 10003 });
    expect(err(await h.bus.json("$JS.API.STREAM.MSG.GET.X", { seq: 1 }))).toMatchObject({ err_code: 10059 });
  });

  it("deletes a message and reports missing sequences", async () => {
    expect(await h.bus.json("$JS.API.STREAM.MSG.DELETE.S", { seq: 2 })).toEqual({ type: "io.nats.jetstream.api.v1.stream_msg_delete_response", success: true });
    expect(err(await h.bus.json("$JS.API.STREAM.MSG.DELETE.S", { seq: 2 }))).toEqual({ code: 400, err_code: 10043, description: "sequence 2 not found" });
  });

  it("refuses deletes with deny_delete and purges with deny_purge", async () => {
    await h.bus.json("$JS.API.STREAM.UPDATE.S", { name: "S", subjects: ["s.*"], deny_delete: true, deny_purge: true });
    expect(err(await h.bus.json("$JS.API.STREAM.MSG.DELETE.S", { seq: 1 }))).toEqual({ code: 500, err_code: 10057, description: "message delete not permitted" });
    expect(err(await h.bus.json("$JS.API.STREAM.PURGE.S"))).toEqual({ code: 500, err_code: 10110, description: "stream purge not permitted" });
  });

  it("purges with filter, keep and seq", async () => {
    expect(await h.bus.json("$JS.API.STREAM.PURGE.S", { filter: "s.a", keep: 1 })).toEqual({ type: "io.nats.jetstream.api.v1.stream_purge_response", success: true, purged: 2 });
    expect(err(await h.bus.json("$JS.API.STREAM.PURGE.S", { seq: 3, keep: 1 }))).toMatchObject({ err_code: 10003 });
    expect((await h.bus.json("$JS.API.STREAM.PURGE.S", { seq: 5 }))["purged"]).toBe(2);
    expect((await h.bus.json("$JS.API.STREAM.PURGE.S"))["purged"]).toBe(1);
  });
});

describe("DIRECT.GET", () => {
  it("serves raw messages with Nats-* headers only when allow_direct", async () => {
    await create({ name: "S", subjects: ["s.*"], allow_direct: true });
    await pub("s.a", "one");
    await pub("s.a", "two");
    const last = await h.bus.request("$JS.API.DIRECT.GET.S.s.a");
    const text = new TextDecoder().decode(last.headers);
    expect(text).toContain("Nats-Stream: S\r\n");
    expect(text).toContain("Nats-Sequence: 2\r\n");
    expect(text).toContain("Nats-Subject: s.a\r\n");
    expect(text).toMatch(/Nats-Time-Stamp: \d{4}-\d\d-\d\dT/);
    expect(new TextDecoder().decode(last.payload)).toBe("two");
    const bySeq = await h.bus.request("$JS.API.DIRECT.GET.S", JSON.stringify({ seq: 1 }));
    expect(new TextDecoder().decode(bySeq.payload)).toBe("one");
    const miss = await h.bus.request("$JS.API.DIRECT.GET.S.s.zz");
    expect(new TextDecoder().decode(miss.headers)).toBe("NATS/1.0 404 Message Not Found\r\n\r\n");
    const empty = await h.bus.request("$JS.API.DIRECT.GET.S");
    expect(new TextDecoder().decode(empty.headers)).toBe("NATS/1.0 408 Empty Request\r\n\r\n");
    await create({ name: "ND", subjects: ["nd"] });
    const nd = await h.bus.request("$JS.API.DIRECT.GET.ND.nd");
    expect(new TextDecoder().decode(nd.headers)).toBe("NATS/1.0 503\r\n\r\n");
  });

  it("answers batch requests ending with 204 EOB", async () => {
    await create({ name: "S", subjects: ["s.*"], allow_direct: true });
    for (let i = 0; i < 3; i++) await pub("s.a", `m${i}`);
    const inbox = h.bus.newInbox();
    const c = h.bus.collect(inbox);
    h.bus.publish("$JS.API.DIRECT.GET.S", inbox, undefined, new TextEncoder().encode(JSON.stringify({ seq: 1, batch: 2 })));
    const { waitFor } = await import("../../../common/wait.js");
    await waitFor("eob", () => c.msgs.length === 3, { interval_ms: 1 });
    expect(new TextDecoder().decode(c.msgs[0]!.headers)).toContain("Nats-Num-Pending: 2");
    expect(new TextDecoder().decode(c.msgs[2]!.headers)).toMatch(/^NATS\/1.0 204 EOB\r\n/);
  });
});
