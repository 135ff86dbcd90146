/**
 * Disk errors through the seam: EIO on write or fsync is fatal for the store's writes (durability
 * rule 4) but reads keep working and nothing stored is damaged; ENOSPC refuses appends with a
 * clear error and recovers once space is back.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../common/clock.js";
import { Prng } from "../../common/prng.js";
import { FileStore } from "../../broker/store/file_store.js";
import { StoreError } from "../../broker/store/types.js";
import { SimDisk } from "./sim_disk.js";
import { simOptions } from "./store_world.js";

const enc = new TextEncoder();
const dir = "/data/faults";
const msg = (i: number): { subject: string; headers: undefined; payload: Uint8Array } => ({ subject: `f.${i % 3}`, headers: undefined, payload: enc.encode(`payload-${i}-${"z".repeat(150)}`) });

async function rejection(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

async function expectIntact(store: FileStore, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const m = await store.get(i);
    expect(m?.payload).toEqual(msg(i).payload);
  }
}

describe("store disk errors (simulated)", () => {
  it.each(["write", "sync"] as const)("EIO on %s: rejects appends, keeps serving reads, loses nothing acknowledged", async (point) => {
    const disk = new SimDisk(new Prng(1));
    const clock = new ManualClock();
    const store = await FileStore.open(simOptions, { fs: disk.boot(), dir, clock, segment_bytes_max: 4096 });
    for (let i = 1; i <= 10; i++) await store.append(msg(i));
    disk.faults = (op) => (op === point ? "EIO" : undefined);
    const err = await rejection(store.append(msg(11)));
    expect(err.code).toBe("storage_failed");
    expect(err.message).toMatch(/EIO/);
    disk.faults = () => undefined;
    // Not retryable: the store stays failed for writes even once the device recovers.
    expect((await rejection(store.append(msg(11)))).code).toBe("storage_failed");
    await expectIntact(store, 10);
    expect(store.state()).toMatchObject({ msgs: 10, last_seq: 10, damage: [] });
    await store.close();
    const again = await FileStore.open(simOptions, { fs: disk.boot(), dir, clock, segment_bytes_max: 4096 });
    await expectIntact(again, 10);
    expect(again.state()).toMatchObject({ msgs: 10, last_seq: 10, damage: [] });
    expect((await again.append(msg(11))).seq).toBe(11);
    await again.close();
  });

  it("ENOSPC: refuses appends with a clear error, serves reads, resumes when space returns", async () => {
    const disk = new SimDisk(new Prng(2));
    const clock = new ManualClock();
    const store = await FileStore.open(simOptions, { fs: disk.boot(), dir, clock, segment_bytes_max: 2048, no_space_backoff_ms: 1000 });
    disk.capacityBytes = disk.usedBytes() + 4000;
    let acked = 0;
    let err: StoreError | undefined;
    for (let i = 1; i <= 100 && err === undefined; i++) {
      try {
        acked = (await store.append(msg(i))).seq;
      } catch (e) {
        err = e as StoreError;
      }
    }
    expect(err?.code).toBe("storage_failed");
    expect(err?.message).toMatch(/ENOSPC|no space/);
    expect(acked).toBeGreaterThan(5);
    // Within the back-off, appends are refused without touching the disk.
    const ops = disk.opCount;
    expect((await rejection(store.append(msg(acked + 1)))).message).toMatch(/no space/);
    expect(disk.opCount).toBe(ops);
    await expectIntact(store, acked);
    expect(store.state()).toMatchObject({ msgs: acked, last_seq: acked, damage: [] });
    disk.capacityBytes = Number.POSITIVE_INFINITY;
    clock.advance(1001);
    expect((await store.append(msg(acked + 1))).seq).toBe(acked + 1);
    await store.close();
    const again = await FileStore.open(simOptions, { fs: disk.boot(), dir, clock, segment_bytes_max: 2048 });
    await expectIntact(again, acked + 1);
    expect(again.state().damage).toEqual([]);
    await again.close();
  });
});
