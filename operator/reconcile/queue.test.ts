import { describe, expect, it } from "vitest";
import { WorkQueue } from "./queue.js";

describe("WorkQueue", () => {
  it("dedups keys and re-runs a key added while it was processing", async () => {
    const q = new WorkQueue({ backoffBaseMs: 10, backoffMaxMs: 100, keysMax: 10 });
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.depth()).toBe(2);
    const k = await q.get();
    expect(k).toBe("a");
    q.add("a"); // while processing: marked dirty, not queued twice
    expect(q.depth()).toBe(1);
    q.done("a", { ok: true });
    expect(q.depth()).toBe(2);
    expect(await q.get()).toBe("b");
    expect(await q.get()).toBe("a");
    q.shutdown();
    expect(await q.get()).toBeUndefined();
  });

  it("backs off exponentially up to the cap", () => {
    const q = new WorkQueue({ backoffBaseMs: 500, backoffMaxMs: 60_000, keysMax: 10 });
    expect([1, 2, 3, 4, 8, 50].map((n) => q.backoffMs(n))).toEqual([500, 1000, 2000, 4000, 60_000, 60_000]);
  });

  it("refuses keys beyond its bound", () => {
    const q = new WorkQueue({ backoffBaseMs: 1, backoffMaxMs: 1, keysMax: 1 });
    q.add("a");
    expect(() => q.add("b")).toThrow("work queue full (1 keys)");
  });
});
