/**
 * Power loss and bit rot through the filesystem seam, thousands of seeded cases.
 * Replay one failure: STORE_SIM_SEED=<seed> npx vitest run test/sim/store_sim.test.ts
 */
import { describe, expect, it } from "vitest";
import { runBitRot, runPowerLoss } from "./store_world.js";

const only = process.env.STORE_SIM_SEED;
const count = Number(process.env.STORE_SIM_COUNT ?? 1500);
const seeds = (base: number, count: number): number[] =>
  only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => base + i);

describe("store under simulated faults", () => {
  it("never loses acknowledged data across power loss (lost and torn unsynced writes)", async () => {
    const failures: string[] = [];
    for (const seed of seeds(1_000_000, count)) {
      const f = await runPowerLoss(seed);
      if (f !== undefined) failures.push(f);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  }, 600_000);

  it("detects every bit flip in segments and never serves corrupted bytes", async () => {
    const failures: string[] = [];
    for (const seed of seeds(2_000_000, count)) {
      const f = await runBitRot(seed);
      if (f !== undefined) failures.push(f);
    }
    expect(failures.slice(0, 5)).toEqual([]);
  }, 600_000);
});
