/**
 * nats.js v3 KV (@nats-io/kv) and Object Store (@nats-io/obj) against a real
 * `sluice broker -js`: put/get/create/update with revision/delete/purge, watch, history, keys.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm, type KV, type KvEntry } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../common/wait.js";
import { startBroker, type BrokerProcess } from "./broker-process.js";

describe("nats.js KV and Object Store", () => {
  let broker: BrokerProcess;
  let nc: NatsConnection;
  let kvm: Kvm;
  let storeDir: string;

  beforeAll(async () => {
    storeDir = mkdtempSync(join(tmpdir(), "sluice-kv-"));
    broker = await startBroker(["-js", "-sd", storeDir]);
    nc = await connect({ servers: broker.url, name: "kv-test", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    kvm = new Kvm(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await broker?.stop();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it("puts, gets, creates and updates with revisions", async () => {
    const kv = await kvm.create("cfg", { history: 5 });
    const r1 = await kv.put("a.b", "one");
    expect(r1).toBe(1);
    const e = await kv.get("a.b");
    expect(e?.string()).toBe("one");
    expect(e?.revision).toBe(1);
    expect(e?.operation).toBe("PUT");
    await expect(kv.create("a.b", "again")).rejects.toThrow();
    const r2 = await kv.update("a.b", "two", r1);
    expect(r2).toBe(2);
    await expect(kv.update("a.b", "stale", r1)).rejects.toThrow(/wrong last sequence/);
    const c = await kv.create("fresh", "x");
    expect(c).toBe(3);
    expect((await kv.get("a.b", { revision: 1 }))?.string()).toBe("one");
    expect(await kv.get("missing")).toBeNull();
    const status = await kv.status();
    expect(status.history).toBe(5);
    expect(status.values).toBe(3);
  });

  it("deletes and purges keys, and create works again after a delete", async () => {
    const kv = await kvm.create("del");
    await kv.put("k", "v");
    await kv.delete("k");
    const e = await kv.get("k");
    expect(e === null || e.operation === "DEL").toBe(true);
    expect(await kv.create("k", "v2")).toBeGreaterThan(0);
    await kv.purge("k");
    const p = await kv.get("k");
    expect(p === null || p.operation === "PURGE").toBe(true);
  });

  it("lists keys and history", async () => {
    const kv = await kvm.create("hist", { history: 10 });
    for (let i = 0; i < 3; i++) await kv.put("x", `v${i}`);
    await kv.put("y", "w");
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys.sort()).toEqual(["x", "y"]);
    const h: string[] = [];
    for await (const e of await kv.history({ key: "x" })) h.push(e.string());
    expect(h).toEqual(["v0", "v1", "v2"]);
  });

  it("watches initial values and live updates", async () => {
    const kv: KV = await kvm.create("watch");
    await kv.put("a", "1");
    await kv.put("b", "2");
    const seen: KvEntry[] = [];
    const w = await kv.watch();
    const done = (async () => {
      for await (const e of w) {
        seen.push(e);
        if (seen.length === 4) break;
      }
    })();
    await waitFor("initial values", () => seen.length >= 2, { timeout_ms: 10_000 });
    await kv.put("a", "3");
    await kv.delete("b");
    await done;
    expect(seen.map((e) => `${e.key}=${e.string()}:${e.operation}`)).toEqual(["a=1:PUT", "b=2:PUT", "a=3:PUT", "b=:DEL"]);
  });

  it("keeps KV data across a broker restart", async () => {
    const kv = await kvm.create("durable");
    await kv.put("k", "before");
    await broker.restart();
    const e = await waitFor("get after restart", () => kv.get("k").catch(() => undefined), { timeout_ms: 30_000 });
    expect(e?.string()).toBe("before");
    expect(await kv.put("k", "after")).toBe(2);
  });

  it("stores and reads objects", async () => {
    const objm = new Objm(nc);
    const os = await objm.create("files");
    const data = new Uint8Array(300 * 1024).map((_, i) => i % 251);
    await os.putBlob({ name: "blob.bin" }, data);
    const back = await os.getBlob("blob.bin");
    expect(back).toEqual(data);
    const info = await os.info("blob.bin");
    expect(info?.size).toBe(data.length);
    const names: string[] = [];
    for (const i of await os.list()) names.push(i.name);
    expect(names).toEqual(["blob.bin"]);
    await os.delete("blob.bin");
    expect(await os.get("blob.bin")).toBeNull();
  });
});
