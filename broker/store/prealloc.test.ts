/**
 * Preallocation on a real directory: the active segment is zero-filled ahead of the writes while
 * batches are small, sealed segments and cleanly closed ones carry no zeros, and a store that
 * stopped with a zero tail (or with a write torn over it) reopens with every record and no damage.
 */
import { cp, mkdtemp, open as openFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileStore } from "./file_store.js";
import type { FileStoreConfig } from "./file_store.js";
import { NodeFileSystem } from "./node_fs.js";
import { encodeMsgFrame, segmentHeaderBytes } from "./record.js";
import { zeroTailMinBytes } from "./segment_scan.js";
import { unlimited } from "./store.suite.js";
import type { StoreOptions } from "./types.js";

const enc = new TextEncoder();
const options: StoreOptions = { name: "PRE", limits: unlimited, sync: "always", sync_interval_ms: 50 };
const fs = new NodeFileSystem();
let root: string;
let dir: string;
const open = (extra: Partial<FileStoreConfig> = {}, at = dir): Promise<FileStore> => FileStore.open(options, { fs, dir: at, ...extra });
const payload = (i: number): Uint8Array => enc.encode(`record ${i} ${"p".repeat(200)}`);
const put = (s: FileStore, i: number): Promise<number> => s.append({ subject: "pre.x", headers: undefined, payload: payload(i) }).then((r) => r.seq);

async function segSizes(at = dir): Promise<number[]> {
  const names = (await readdir(at)).filter((f) => f.endsWith(".seg")).sort();
  return Promise.all(names.map(async (f) => (await stat(join(at, f))).size));
}

async function expectAll(s: FileStore, n: number): Promise<void> {
  expect(s.state()).toMatchObject({ msgs: n, last_seq: n, damage: [] });
  for (let i = 1; i <= n; i++) expect((await s.get(i))?.payload).toEqual(payload(i));
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "sluice-prealloc-"));
  dir = join(root, "a");
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("FileStore preallocation", () => {
  it("zero-fills ahead of small batches and trims the zeros on close", async () => {
    const s = await open({ preallocate_bytes: 256 * 1024 });
    for (let i = 1; i <= 20; i++) await put(s, i);
    const data = segmentHeaderBytes + s.stats.bytes_written;
    const [size] = await segSizes();
    expect(size).toBeGreaterThanOrEqual(data + zeroTailMinBytes);
    expect(size).toBeLessThanOrEqual(data + 256 * 1024 + zeroTailMinBytes);
    await s.close();
    expect(await segSizes()).toEqual([data]);
    const again = await open();
    await expectAll(again, 20);
    await again.close();
  });

  it("sealed segments carry no zero tail (cut before the next segment is created)", async () => {
    const s = await open({ segment_bytes_max: 8 * 1024, preallocate_bytes: 64 * 1024 });
    for (let i = 1; i <= 120; i++) await put(s, i);
    const sizes = await segSizes();
    expect(sizes.length).toBeGreaterThan(3);
    // Sealed segments end with their last record (they hold at least segment_bytes_max).
    for (const size of sizes.slice(0, -1)) expect(size).toBeLessThan(8 * 1024 + 1024);
    expect(sizes.at(-1)!).toBeGreaterThan(segmentHeaderBytes);
    await s.close();
    const again = await open({ segment_bytes_max: 8 * 1024 });
    await expectAll(again, 120);
    await again.close();
  });

  it("a store stopped with a zero tail, or with a write torn over it, reopens with every record and no damage", async () => {
    const s = await open({ preallocate_bytes: 128 * 1024 });
    for (let i = 1; i <= 30; i++) await put(s, i);
    const data = segmentHeaderBytes + s.stats.bytes_written;
    // What a kill -9 leaves: the page cache holds everything written, zeros included.
    const crashed = join(root, "crashed");
    await cp(dir, crashed, { recursive: true });
    const torn = join(root, "torn");
    await cp(dir, torn, { recursive: true });
    await s.close();
    const [crashedSize] = await segSizes(crashed);
    expect(crashedSize).toBeGreaterThan(data);

    const a = await open({}, crashed);
    await expectAll(a, 30);
    await a.close();
    expect(await segSizes(crashed)).toEqual([data]);

    // Part of a 31st record (header and some payload) over the zeros: never acknowledged, cut.
    const frame = encodeMsgFrame(31, 31n, { subject: "pre.x", headers: undefined, payload: payload(31) });
    const name = (await readdir(torn)).find((f) => f.endsWith(".seg"))!;
    const h = await openFile(join(torn, name), "r+");
    await h.write(frame, 0, 100, data);
    await h.close();
    const b = await open({}, torn);
    await expectAll(b, 30);
    expect((await b.append({ subject: "pre.x", headers: undefined, payload: payload(31) })).seq).toBe(31);
    await b.close();
  });

  it("does not preallocate when disabled or under sync interval", async () => {
    for (const [extra, opts] of [
      [{ preallocate_bytes: 0 }, options],
      [{}, { ...options, sync: "interval" as const }],
    ] as const) {
      await rm(dir, { recursive: true, force: true });
      const s = await FileStore.open(opts, { fs, dir, ...extra });
      for (let i = 1; i <= 40; i += 4) await Promise.all([0, 1, 2, 3].map((k) => put(s, i + k)));
      if (opts.sync === "always") expect(await segSizes()).toEqual([segmentHeaderBytes + s.stats.bytes_written]);
      await s.close();
      const again = await open({ preallocate_bytes: 0 });
      await expectAll(again, 40);
      await again.close();
    }
  });

  it("stops zero-filling ahead once batches are large, keeping only the guard of zeros after them", async () => {
    const s = await open({ preallocate_bytes: 64 * 1024, preallocate_batch_bytes_max: 2048 });
    const big = (i: number): Promise<number> => s.append({ subject: "pre.x", headers: undefined, payload: new Uint8Array(1024).fill(i & 0xff) }).then((r) => r.seq);
    // The first batch finds no history and preallocates 64 KiB; the mean then exceeds 2 KiB.
    for (let i = 0; i < 50; i++) await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((k) => big(i * 8 + k)));
    const data = segmentHeaderBytes + s.stats.bytes_written;
    expect(data).toBeGreaterThan(3 * 64 * 1024);
    const [size] = await segSizes();
    expect(size! - data).toBeGreaterThanOrEqual(zeroTailMinBytes);
    expect(size! - data).toBeLessThan(2 * zeroTailMinBytes);
    await s.close();
    expect(await segSizes()).toEqual([data]);
  });
});
