import { describe, expect, it } from "vitest";
import { Prng } from "./prng.js";

describe("Prng", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const seqA = Array.from({ length: 8 }, () => a.nextU32());
    const seqB = Array.from({ length: 8 }, () => b.nextU32());
    const seqC = Array.from({ length: 8 }, () => c.nextU32());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
  });

  it("int(n) stays in range and covers it", () => {
    const p = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = p.int(10);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(10);
      seen.add(v);
    }
    expect(seen.size).toBe(10);
  });
});
