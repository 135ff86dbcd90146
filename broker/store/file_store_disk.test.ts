/**
 * FileStore behaviour that only a real directory shows: what the bytes on disk contain, index
 * files, torn tails and corruption, group commit, sync policies and compaction.
 */
import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Keyring } from "./encryption.js";
import { FileStore } from "./file_store.js";
import type { FileStoreConfig } from "./file_store.js";
import { NodeFileSystem } from "./node_fs.js";
import { unlimited } from "./store.suite.js";
import type { StoreOptions } from "./types.js";

const enc = new TextEncoder();
const options: StoreOptions = { name: "DISK", limits: unlimited, sync: "always", sync_interval_ms: 50 };
const k1 = `1:${"a1".repeat(32)}`;
const k2 = `2:${"b2".repeat(32)}`;

let dir: string;
const fs = new NodeFileSystem();
const open = (extra: Partial<FileStoreConfig> = {}, opts: StoreOptions = options): Promise<FileStore> =>
  FileStore.open(opts, { fs, dir, segment_bytes_max: 4096, ...extra });
const put = (s: FileStore, i: number, text = `message number ${i} ${"-".repeat(100)}`): Promise<number> =>
  s.append({ subject: `disk.${i % 4}`, headers: undefined, payload: enc.encode(text) }).then((r) => r.seq);

async function allBytes(): Promise<Buffer> {
  const files = await readdir(dir);
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sluice-disk-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("FileStore on disk", () => {
  it("encryption at rest: no plaintext payload, subject or header on disk; keys rotate", async () => {
    const secret = "TOP-SECRET-PAYLOAD-7f3a";
    let s = await open({ cipher: Keyring.parse(k1) });
    for (let i = 0; i < 60; i++) {
      await s.append({ subject: "vault.secret-subject", headers: enc.encode("NATS/1.0\r\nX-Secret-Header: yes\r\n\r\n"), payload: enc.encode(`${secret}-${i}`) });
    }
    await s.close();
    const disk = await allBytes();
    for (const needle of [secret, "secret-subject", "X-Secret-Header"]) expect(disk.includes(needle), needle).toBe(false);
    // A plain store writes the same text in clear: the check above can fail.
    const plainDir = dir;
    dir = await mkdtemp(join(tmpdir(), "sluice-disk-plain-"));
    const p = await open();
    await p.append({ subject: "vault.secret-subject", headers: undefined, payload: enc.encode(secret) });
    await p.close();
    expect((await allBytes()).includes(secret)).toBe(true);
    await rm(dir, { recursive: true, force: true });
    dir = plainDir;
    // Rotation: add key 2; new records use it, old ones stay readable.
    s = await open({ cipher: Keyring.parse(`${k1}\n${k2}`) });
    await s.append({ subject: "vault.b", headers: undefined, payload: enc.encode("after rotation") });
    expect(new TextDecoder().decode((await s.get(1))!.payload)).toBe(`${secret}-0`);
    expect(new TextDecoder().decode((await s.get(61))!.payload)).toBe("after rotation");
    await s.close();
    // Without the old key the store refuses to open rather than report damage.
    await expect(open({ cipher: Keyring.parse(k2) })).rejects.toThrow(/key id 1/);
    await expect(open()).rejects.toThrow(/encrypted at rest but no encryption keys/);
  });

  it.skipIf(!existsSync("/proc/self/fd"))("leaves no file open when it cannot open (a key the keyring lacks)", async () => {
    const openFds = async (): Promise<number> => (await readdir("/proc/self/fd")).length;
    const s = await open({ cipher: Keyring.parse(k1), segment_bytes_max: 2048 });
    for (let i = 1; i <= 100; i++) await put(s, i);
    expect(s.segmentNames().length).toBeGreaterThan(3);
    await s.close();
    const before = await openFds();
    for (let i = 0; i < 5; i++) await expect(open({ cipher: Keyring.parse(k2), segment_bytes_max: 2048 })).rejects.toThrow(/key id 1/);
    expect(await openFds()).toBe(before);
  });

  it("rebuilds missing or damaged segment index files", async () => {
    let s = await open();
    for (let i = 1; i <= 120; i++) await put(s, i);
    await s.delete(5);
    const before = s.state();
    await s.close();
    const idx = (await readdir(dir)).filter((f) => f.endsWith(".idx"));
    expect(idx.length).toBeGreaterThan(2);
    await unlink(join(dir, idx[0]!));
    await writeFile(join(dir, idx[1]!), "garbage");
    s = await open();
    expect(s.state()).toEqual(before);
    for (let i = 1; i <= 120; i++) expect((await s.get(i))?.seq).toBe(i === 5 ? undefined : i);
    await s.close();
    expect((await readdir(dir)).filter((f) => f.endsWith(".idx")).length).toBe(idx.length);
  });

  it("truncates a torn tail silently and reports mid-file corruption with the sequences lost", async () => {
    let s = await open();
    for (let i = 1; i <= 40; i++) await put(s, i);
    const names = s.segmentNames();
    await s.close();
    const tail = join(dir, names.at(-1)!);
    const tailSize = (await stat(tail)).size;
    await appendFile(tail, Buffer.from([200, 0, 0, 0, 1, 0, 0])); // a partial frame header
    s = await open();
    expect(s.state()).toMatchObject({ msgs: 40, last_seq: 40, damage: [] });
    await s.close();
    expect((await stat(tail)).size).toBe(tailSize);
    // Flip one payload byte of a record in the first (sealed) segment.
    const first = join(dir, names[0]!);
    const bytes = await readFile(first);
    bytes[132] = bytes[132]! ^ 0x10; // inside the first record's payload
    await writeFile(first, bytes);
    await unlink(join(dir, names[0]!.replace(".seg", ".idx")));
    s = await open();
    const damage = s.state().damage;
    expect(damage).toHaveLength(1);
    expect(damage[0]).toMatchObject({ segment: names[0], reason: "record checksum mismatch" });
    const lost = damage[0]!;
    expect(lost.first_seq).toBe(lost.last_seq);
    expect(await s.get(lost.first_seq)).toBeUndefined();
    expect(s.state().msgs).toBe(39);
    for (let i = 1; i <= 40; i++) if (i !== lost.first_seq) expect((await s.get(i))?.seq).toBe(i);
    expect(await put(s, 41)).toBe(41);
    await s.close();
    // Damage stays visible across restarts.
    s = await open();
    expect(s.state().damage).toEqual(damage);
    await s.close();
  });

  it("group commit: concurrent appends share fsyncs; a lone appender is never delayed", async () => {
    const s = await open({ segment_bytes_max: 1 << 20 });
    const before = s.stats.syncs;
    const seqs = await Promise.all(Array.from({ length: 300 }, (_, i) => put(s, i)));
    expect(new Set(seqs).size).toBe(300);
    const shared = s.stats.syncs - before;
    expect(shared).toBeLessThan(30);
    const mid = s.stats.syncs;
    for (let i = 0; i < 5; i++) await put(s, i);
    expect(s.stats.syncs - mid).toBe(5);
    await s.close();
  });

  it("sync policies: never and interval acknowledge before fsync, close syncs", async () => {
    for (const sync of ["never", "interval"] as const) {
      const s = await open({}, { ...options, sync, sync_interval_ms: 60_000 });
      const base = s.stats.syncs;
      for (let i = 1; i <= 10; i++) await put(s, i);
      expect(s.stats.syncs).toBe(base);
      await s.close();
      expect(s.stats.syncs).toBe(base + 1);
      const again = await open();
      expect(again.state().msgs).toBeGreaterThanOrEqual(10);
      await again.destroy();
      dir = await mkdtemp(join(tmpdir(), "sluice-disk-"));
    }
  });

  it("drops fully deleted segments and compacts sparse ones; data survives reopen", async () => {
    let s = await open({ segment_bytes_max: 2048 });
    for (let i = 1; i <= 200; i++) await put(s, i);
    const segmentsBefore = s.segmentNames().length;
    for (let i = 1; i <= 60; i++) await s.delete(i); // whole front segments
    for (let i = 61; i <= 150; i++) if (i % 4 !== 0) await s.delete(i); // sparse middle
    expect(s.stats.segments_dropped).toBeGreaterThan(0);
    expect(s.stats.compactions).toBeGreaterThan(0);
    expect(s.segmentNames().length).toBeLessThan(segmentsBefore);
    const state = s.state();
    await s.close();
    s = await open({ segment_bytes_max: 2048 });
    expect(s.state()).toEqual(state);
    for (let i = 1; i <= 200; i++) expect((await s.get(i))?.seq).toBe(i <= 60 || (i <= 150 && i % 4 !== 0) ? undefined : i);
    await s.close();
  });

  it("splits a large backlog into two pipelined batches, each acknowledged only after its own fsync", async () => {
    const s = await open({ segment_bytes_max: 64 * 1024 * 1024 });
    const batches0 = s.stats.batches;
    const syncs0 = s.stats.syncs;
    const big = (i: number): Promise<number> => s.append({ subject: "disk.big", headers: undefined, payload: new Uint8Array(8192).fill(i & 0xff) }).then((r) => r.seq);
    // 64 x 8 KiB queued at once with no fsync in flight: more than twice split_batch_bytes_min.
    const seqs = await Promise.all(Array.from({ length: 64 }, (_, i) => big(i + 1)));
    expect(seqs).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(s.stats.batches - batches0).toBe(2);
    expect(s.stats.syncs - syncs0).toBe(2);
    await s.close();
    const again = await open({ segment_bytes_max: 64 * 1024 * 1024 });
    for (let i = 1; i <= 64; i++) expect((await again.get(i))?.payload).toEqual(new Uint8Array(8192).fill(i & 0xff));
    await again.close();
  });
});
