import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../test-support/harness.js";
import { createConsumer, createStream } from "../test-support/helpers.js";

type Json = Record<string, unknown>;
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await createStream(h, { name: "S", subjects: ["s.>"] });
  await createStream(h, { name: "WQ", subjects: ["wq.>"], retention: "workqueue" });
});
afterEach(async () => {
  await h.stop();
});

const err = (r: Json): Json | undefined => r["error"] as Json | undefined;

describe("CONSUMER.CREATE", () => {
  it("creates a durable with nats-server defaults", async () => {
    const r = await createConsumer(h, "S", { durable_name: "d", ack_policy: "explicit" });
    expect(r["type"]).toBe("io.nats.jetstream.api.v1.consumer_create_response");
    expect(r).toMatchObject({ stream_name: "S", name: "d", num_pending: 0, num_ack_pending: 0, delivered: { consumer_seq: 0, stream_seq: 0 } });
    expect(r["config"]).toMatchObject({ durable_name: "d", name: "d", deliver_policy: "all", ack_policy: "explicit", ack_wait: 30_000_000_000, max_deliver: -1, replay_policy: "instant", max_waiting: 512, max_ack_pending: 1000 });
  });

  it("creates an ephemeral via the legacy subject with a generated name and 5s inactivity", async () => {
    const r = await h.bus.json("$JS.API.CONSUMER.CREATE.S", { stream_name: "S", config: { ack_policy: "none" } });
    expect(String(r["name"])).toMatch(/^[A-Za-z0-9]{8}$/);
    expect((r["config"] as Json)["inactive_threshold"]).toBe(5_000_000_000);
  });

  it("takes the filter from CONSUMER.CREATE.<s>.<c>.<filter>", async () => {
    const r = await h.bus.json("$JS.API.CONSUMER.CREATE.S.f.s.a.*", { stream_name: "S", config: { name: "f" } });
    expect((r["config"] as Json)["filter_subject"]).toBe("s.a.*");
  });

  it("returns the same consumer for an identical config and updates mutable fields", async () => {
    await createConsumer(h, "S", { durable_name: "d", ack_policy: "explicit" });
    const same = await createConsumer(h, "S", { durable_name: "d", ack_policy: "explicit" });
    expect(err(same)).toBeUndefined();
    const upd = await createConsumer(h, "S", { durable_name: "d", ack_policy: "explicit", max_deliver: 5 });
    expect((upd["config"] as Json)["max_deliver"]).toBe(5);
    const bad = await createConsumer(h, "S", { durable_name: "d", ack_policy: "none" });
    expect(err(bad)).toMatchObject({ code: 500, err_code: 10012, description: "ack policy can not be updated" });
  });

  const cases: Array<[string, string, Json, number, number, string]> = [
    ["durable on the ephemeral subject", "$JS.API.CONSUMER.CREATE.S", { stream_name: "S", config: { durable_name: "x" } }, 400, 10020, "consumer expected to be ephemeral but a durable name was set in request"],
    ["durable name differing from subject", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { durable_name: "b" } }, 400, 10017, "consumer name in subject does not match durable name in request"],
    ["legacy durable without name", "$JS.API.CONSUMER.DURABLE.CREATE.S.a", { stream_name: "S", config: {} }, 400, 10018, "consumer expected to be durable but a durable name was not set"],
    ["filter differing from subject", "$JS.API.CONSUMER.CREATE.S.a.s.x", { stream_name: "S", config: { name: "a", filter_subject: "s.y" } }, 400, 10131, "Consumer create request did not match filtered subject from create subject"],
    ["filter_subjects on the filtered subject", "$JS.API.CONSUMER.CREATE.S.a.s.x", { stream_name: "S", config: { name: "a", filter_subjects: ["s.x", "s.y"] } }, 400, 10137, "consumer with multiple subject filters cannot use subject based API"],
    ["both filter forms", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { filter_subject: "s.x", filter_subjects: ["s.y"] } }, 400, 10136, "consumer cannot have both FilterSubject and FilterSubjects specified"],
    ["overlapping filters", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { filter_subjects: ["s.*", "s.x"] } }, 400, 10138, "consumer subject filters cannot overlap"],
    ["missing stream", "$JS.API.CONSUMER.CREATE.NOPE.a", { stream_name: "NOPE", config: {} }, 404, 10059, "stream not found"],
    ["stream name mismatch", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "T", config: {} }, 400, 10056, "stream name in subject does not match request"],
    ["no config", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S" }, 400, 10078, "consumer config required"],
    ["update of a missing consumer", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: {}, action: "update" }, 400, 10149, "consumer does not exist"],
    ["backoff longer than max_deliver", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { ack_policy: "explicit", max_deliver: 2, backoff: [1e9, 2e9] } }, 400, 10116, "max deliver is required to be > length of backoff values"],
    ["tiny heartbeat", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { deliver_subject: "d.x", idle_heartbeat: 1_000_000 } }, 400, 10083, "consumer idle heartbeat needs to be >= 100ms"],
    ["heartbeat on pull", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { idle_heartbeat: 1e9 } }, 400, 10088, "consumer idle heartbeat requires a push based consumer"],
    ["flow control on pull", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { flow_control: true } }, 400, 10089, "consumer flow control requires a push based consumer"],
    ["flow control without heartbeat", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { deliver_subject: "d.x", flow_control: true } }, 400, 10108, "consumer with flow control also needs heartbeats"],
    ["wildcard deliver subject", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { deliver_subject: "d.*" } }, 400, 10079, "consumer deliver subject has wildcards"],
    ["max_waiting on push", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { deliver_subject: "d.x", max_waiting: 10 } }, 400, 10080, "consumer in push mode can not set max waiting"],
    ["deliver subject inside the stream", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { deliver_subject: "s.loop" } }, 400, 10081, "consumer deliver subject forms a cycle"],
    ["workqueue without explicit ack", "$JS.API.CONSUMER.CREATE.WQ.a", { stream_name: "WQ", config: { ack_policy: "none" } }, 400, 10098, "workqueue stream requires explicit ack"],
    ["workqueue not deliver all", "$JS.API.CONSUMER.CREATE.WQ.a", { stream_name: "WQ", config: { ack_policy: "explicit", deliver_policy: "new" } }, 400, 10101, "consumer must be deliver all on workqueue stream"],
    ["filter outside the stream", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { filter_subject: "other.x" } }, 400, 10093, "consumer filter subject is not a valid subset of the interest subjects"],
    ["bad name", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { durable_name: "a", name: "b" } }, 400, 10017, "consumer name in subject does not match durable name in request"],
    ["start sequence without policy", "$JS.API.CONSUMER.CREATE.S.a", { stream_name: "S", config: { opt_start_seq: 4 } }, 400, 10094, "consumer opt_start_seq requires deliver policy by start sequence"],
  ];
  it.each(cases)("rejects %s", async (_n, subject, req, code, errCode, description) => {
    expect(err(await h.bus.json(subject, req))).toEqual({ code, err_code: errCode, description });
  });

  it("allows one unfiltered consumer on a workqueue stream, and only disjoint filters", async () => {
    expect(err(await createConsumer(h, "WQ", { durable_name: "a", ack_policy: "explicit" }))).toBeUndefined();
    expect(err(await createConsumer(h, "WQ", { durable_name: "b", ack_policy: "explicit" }))).toMatchObject({ err_code: 10099 });
    await h.bus.json("$JS.API.CONSUMER.DELETE.WQ.a");
    expect(err(await createConsumer(h, "WQ", { durable_name: "x", ack_policy: "explicit", filter_subject: "wq.x.>" }))).toBeUndefined();
    expect(err(await createConsumer(h, "WQ", { durable_name: "y", ack_policy: "explicit", filter_subject: "wq.*.a" }))).toMatchObject({ err_code: 10100 });
  });

  it("rejects action create on a different existing config", async () => {
    await createConsumer(h, "S", { durable_name: "d" });
    const r = await h.bus.json("$JS.API.CONSUMER.CREATE.S.d", { stream_name: "S", config: { durable_name: "d", max_deliver: 3 }, action: "create" });
    expect(err(r)).toEqual({ code: 400, err_code: 10148, description: "consumer already exists" });
  });
});

describe("CONSUMER.INFO / LIST / NAMES / DELETE", () => {
  it("lists, names, reports and deletes", async () => {
    await createConsumer(h, "S", { durable_name: "b" });
    await createConsumer(h, "S", { durable_name: "a" });
    const names = await h.bus.json("$JS.API.CONSUMER.NAMES.S", {});
    expect(names).toMatchObject({ type: "io.nats.jetstream.api.v1.consumer_names_response", total: 2, offset: 0, limit: 1024, consumers: ["a", "b"] });
    const list = await h.bus.json("$JS.API.CONSUMER.LIST.S", {});
    expect((list["consumers"] as Json[]).map((c) => c["name"])).toEqual(["a", "b"]);
    expect(err(await h.bus.json("$JS.API.CONSUMER.INFO.S.zz"))).toEqual({ code: 404, err_code: 10014, description: "consumer not found" });
    expect(await h.bus.json("$JS.API.CONSUMER.DELETE.S.a")).toEqual({ type: "io.nats.jetstream.api.v1.consumer_delete_response", success: true });
    expect(err(await h.bus.json("$JS.API.CONSUMER.DELETE.S.a"))).toMatchObject({ err_code: 10014 });
    expect(err(await h.bus.json("$JS.API.CONSUMER.NAMES.NOPE", {}))).toMatchObject({ err_code: 10059 });
    const si = await h.bus.json("$JS.API.STREAM.INFO.S");
    expect((si["state"] as Json)["consumer_count"]).toBe(1);
  });
});
