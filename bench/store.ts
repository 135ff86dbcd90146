/**
 * `npm run bench -- store` (or `node dist/bench/store.js`): the durable store against the disk
 * it runs on, in one run.
 *  1. Disk probe (own): fdatasync latency of 4 KiB writes (fsyncs/s), measured both appending to
 *     a growing file and overwriting a zero-filled (preallocated) one, interleaved so both see the
 *     same disk; the bound uses the faster. And sequential write bandwidth (1 MiB writes, one
 *     fdatasync at the end).
 *  2. FileStore durable appends (sync "always") for 128 B and 4 KiB payloads with 1, 16 and 256
 *     concurrent appenders. Disk bound = min(records per fsync x fsyncs/s, bandwidth / frame
 *     bytes), where records per fsync is what the store's group commit achieved; printed as a
 *     fraction (target >= 0.5).
 *  3. Recovery: fill a stream with 4 KiB records, close, time open() with segment index files and
 *     with them deleted (full scan verifying every checksum); extrapolated to seconds per GiB.
 * The disk is re-probed (0.5 s) right before each append case because shared disks drift.
 * Flags: --dir <path> (default: a temp dir on the same disk as the OS temp dir), --seconds N per
 *        append case (default 3), --recovery-mib N (default 256), --quick (1 s, 64 MiB).
 * Writes bench/results/store-<time>.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, open, readdir, rm, unlink } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { crc32cImplementation } from "../broker/store/crc32c.js";
import { FileStore } from "../broker/store/file_store.js";
import { NodeFileSystem } from "../broker/store/node_fs.js";
import { frameOverheadBytes } from "../broker/store/record.js";
import type { StoreOptions } from "../broker/store/types.js";

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bench", "results");
const limits = { max_msgs: 0, max_bytes: 0, max_age_ms: 0, max_msgs_per_subject: 0, max_msg_size_bytes: 0, discard: "old" as const, discard_new_per_subject: false };
const storeOptions: StoreOptions = { name: "BENCH", limits, sync: "always", sync_interval_ms: 1000 };
const subject = "bench.store";

interface FsyncStats {
  fsync_ms_p50: number;
  fsync_ms_p99: number;
  fsync_ms_mean: number;
  fsyncs_per_sec: number;
}

interface DiskProbe extends FsyncStats {
  /** Write + fdatasync appending to a growing file, and overwriting a preallocated one. */
  growing: FsyncStats;
  preallocated: FsyncStats;
  /** Which of the two the top-level (best) figures come from. */
  best: "growing" | "preallocated";
  seq_write_mib_per_sec: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function fsyncStats(lat: number[]): FsyncStats {
  lat.sort((a, b) => a - b);
  const mean = lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length);
  return { fsync_ms_p50: percentile(lat, 0.5), fsync_ms_p99: percentile(lat, 0.99), fsync_ms_mean: mean, fsyncs_per_sec: 1000 / mean };
}

/**
 * fdatasync latency of `blockBytes` writes, alternating between appending to a growing file and
 * overwriting a zero-filled, synced one (what the store's preallocation does), so both modes see
 * the same moments of a drifting shared disk. Then sequential bandwidth.
 */
async function probeDisk(dir: string, seconds: number, blockBytes = 4096): Promise<DiskProbe> {
  const growPath = join(dir, "probe-grow.bin");
  const prePath = join(dir, "probe-pre.bin");
  const grow = await open(growPath, "w");
  const pre = await open(prePath, "w");
  const block = Buffer.alloc(blockBytes, 7);
  const mib = 1 << 20;
  const rounds_max = 2500;
  // Zero-fill room for the rounds (at most 64 MiB; large blocks get fewer rounds).
  const preBytes = Math.min(64 * mib, blockBytes * rounds_max);
  const zeros = Buffer.alloc(Math.min(mib, preBytes));
  for (let off = 0; off < preBytes; off += zeros.length) await pre.write(zeros, 0, Math.min(zeros.length, preBytes - off), off);
  await pre.datasync();
  const growLat: number[] = [];
  const preLat: number[] = [];
  const until = performance.now() + seconds * 1000;
  for (let i = 0; (performance.now() < until || i < 20) && i < rounds_max && (i + 1) * blockBytes <= preBytes; i++) {
    const order: Array<[typeof grow, number[]]> = i % 2 === 0 ? [[grow, growLat], [pre, preLat]] : [[pre, preLat], [grow, growLat]];
    for (const [h, lat] of order) {
      const t = performance.now();
      await h.write(block, 0, block.length, i * blockBytes);
      await h.datasync();
      lat.push(performance.now() - t);
    }
  }
  await grow.close();
  await pre.close();
  await unlink(prePath);
  const chunk = Buffer.alloc(mib, 9);
  const total = 64;
  const w = await open(growPath, "w");
  const t0 = performance.now();
  for (let i = 0; i < total; i++) await w.write(chunk, 0, mib, i * mib);
  await w.datasync();
  const secs = (performance.now() - t0) / 1000;
  await w.close();
  await unlink(growPath);
  const growing = fsyncStats(growLat);
  const preallocated = fsyncStats(preLat);
  const best = preallocated.fsyncs_per_sec > growing.fsyncs_per_sec ? "preallocated" : "growing";
  return { ...(best === "preallocated" ? preallocated : growing), growing, preallocated, best, seq_write_mib_per_sec: total / secs };
}

interface AppendCase {
  payload_bytes: number;
  appenders: number;
  appends: number;
  seconds: number;
  records_per_sec: number;
  mib_per_sec: number;
  fsyncs: number;
  /** Zeros the store wrote ahead of its data (preallocation while batches are small). */
  preallocated_mib: number;
  /** The store's own mean fdatasync time during this case. */
  store_fsync_ms_mean: number;
  records_per_fsync: number;
  /** fsyncs/s (4 KiB writes) and bandwidth of the disk probe run just before this case. */
  disk_fsyncs_per_sec: number;
  /** Mean bytes the store wrote per fsync, and the disk's fsyncs/s for writes of that size. */
  batch_bytes_mean: number;
  disk_fsyncs_per_sec_at_batch_bytes: number;
  /** Bound and fraction using the fsync rate at the store's batch size (the main figure). */
  bound_at_batch_bytes_records_per_sec: number;
  fraction_of_disk_bound_at_batch_bytes: number;
  disk_mib_per_sec: number;
  bound_records_per_sec: number;
  bound_by: "fsync" | "bandwidth";
  fraction_of_disk_bound: number;
  /**
   * Throughput against records per fsync x 1 / (the store's own mean fsync time): the share of
   * wall time the store spends in fsync rather than in its own CPU work and writes.
   */
  fraction_of_own_fsync_bound: number;
}

async function appendCase(root: string, payloadBytes: number, appenders: number, seconds: number, disk: DiskProbe): Promise<AppendCase> {
  const dir = await mkdtemp(join(root, "append-"));
  const store = await FileStore.open(storeOptions, { fs: new NodeFileSystem(), dir });
  const payload = new Uint8Array(payloadBytes).fill(0x61);
  const warm = await Promise.all(Array.from({ length: Math.min(appenders, 16) }, () => store.append({ subject, headers: undefined, payload })));
  void warm;
  const syncs0 = store.stats.syncs;
  const syncMs0 = store.stats.sync_ms_total;
  const bytes0 = store.stats.bytes_written;
  const pre0 = store.stats.bytes_preallocated;
  let appends = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: appenders }, async () => {
      while (performance.now() < until) {
        await store.append({ subject, headers: undefined, payload });
        appends++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const fsyncs = store.stats.syncs - syncs0;
  const syncMs = store.stats.sync_ms_total - syncMs0;
  const batchBytes = (store.stats.bytes_written - bytes0) / Math.max(1, fsyncs);
  const preallocatedMib = (store.stats.bytes_preallocated - pre0) / (1 << 20);
  await store.destroy();
  // The same disk, fsyncing writes as large as the store's batches: bigger writes take longer
  // to sync, so a 4 KiB probe alone overstates the bound for large batches.
  const atBatch = await probeDisk(root, 0.5, Math.max(4096, Math.round(batchBytes)));
  const frameBytes = frameOverheadBytes + 6 + subject.length + payloadBytes;
  const perFsync = appends / Math.max(1, fsyncs);
  const byFsync = perFsync * disk.fsyncs_per_sec;
  const byBandwidth = (disk.seq_write_mib_per_sec * (1 << 20)) / frameBytes;
  const bound = Math.min(byFsync, byBandwidth);
  const rate = appends / secs;
  const boundAtBatch = Math.min(perFsync * atBatch.fsyncs_per_sec, byBandwidth);
  return {
    payload_bytes: payloadBytes,
    appenders,
    appends,
    seconds: secs,
    records_per_sec: rate,
    mib_per_sec: (rate * payloadBytes) / (1 << 20),
    fsyncs,
    preallocated_mib: preallocatedMib,
    store_fsync_ms_mean: syncMs / Math.max(1, fsyncs),
    records_per_fsync: perFsync,
    disk_fsyncs_per_sec: disk.fsyncs_per_sec,
    batch_bytes_mean: batchBytes,
    disk_fsyncs_per_sec_at_batch_bytes: atBatch.fsyncs_per_sec,
    bound_at_batch_bytes_records_per_sec: boundAtBatch,
    fraction_of_disk_bound_at_batch_bytes: rate / boundAtBatch,
    disk_mib_per_sec: disk.seq_write_mib_per_sec,
    bound_records_per_sec: bound,
    bound_by: byFsync <= byBandwidth ? "fsync" : "bandwidth",
    fraction_of_disk_bound: rate / bound,
    fraction_of_own_fsync_bound: fsyncs > 0 && syncMs > 0 ? rate / (perFsync * (1000 / (syncMs / fsyncs))) : 0,
  };
}

interface Recovery {
  data_mib: number;
  records: number;
  open_with_index_ms: number;
  open_full_scan_ms: number;
  seconds_per_gib_with_index: number;
  seconds_per_gib_full_scan: number;
}

async function recovery(root: string, mib: number): Promise<Recovery> {
  const dir = await mkdtemp(join(root, "recovery-"));
  const fs = new NodeFileSystem();
  const fill = await FileStore.open({ ...storeOptions, sync: "never" }, { fs, dir });
  const payload = new Uint8Array(4096).fill(0x62);
  const records = Math.floor((mib * (1 << 20)) / 4096);
  for (let i = 0; i < records; i += 256) {
    await Promise.all(Array.from({ length: Math.min(256, records - i) }, () => fill.append({ subject, headers: undefined, payload })));
  }
  await fill.close();
  const timeOpen = async (): Promise<number> => {
    const t = performance.now();
    const s = await FileStore.open(storeOptions, { fs, dir });
    const ms = performance.now() - t;
    if (s.state().msgs !== records) throw new Error(`recovered ${s.state().msgs} of ${records} records`);
    await s.close();
    return ms;
  };
  const withIndex = await timeOpen();
  for (const f of await readdir(dir)) if (f.endsWith(".idx")) await unlink(join(dir, f));
  const fullScan = await timeOpen();
  await rm(dir, { recursive: true, force: true });
  const perGib = (ms: number): number => ((ms / 1000) * 1024) / mib;
  return { data_mib: mib, records, open_with_index_ms: withIndex, open_full_scan_ms: fullScan, seconds_per_gib_with_index: perGib(withIndex), seconds_per_gib_full_scan: perGib(fullScan) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dir: { type: "string" }, seconds: { type: "string" }, "recovery-mib": { type: "string" }, quick: { type: "boolean" } },
  });
  const quick = values.quick === true;
  const seconds = Number(values.seconds ?? (quick ? 1 : 3));
  const recoveryMib = Number(values["recovery-mib"] ?? (quick ? 64 : 256));
  if (!(seconds > 0) || !(recoveryMib > 0)) throw new Error("--seconds and --recovery-mib must be positive numbers");
  const root = await mkdtemp(join(values.dir ?? tmpdir(), "sluice-bench-store-"));
  try {
    console.log(
      `store bench in ${root} (${seconds}s per append case, ${recoveryMib} MiB recovery; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs; CRC32C ${crc32cImplementation})`,
    );
    const fmt = (d: FsyncStats): string => `p50 ${d.fsync_ms_p50.toFixed(2)} ms, p99 ${d.fsync_ms_p99.toFixed(2)} ms, mean ${d.fsync_ms_mean.toFixed(2)} ms = ${Math.round(d.fsyncs_per_sec)}/s`;
    const show = (label: string, d: DiskProbe): void =>
      console.log(
        `disk (${label}): 4 KiB write + fdatasync growing a file: ${fmt(d.growing)}; into a preallocated file: ${fmt(d.preallocated)}; ` +
          `sequential write ${d.seq_write_mib_per_sec.toFixed(0)} MiB/s`,
      );
    const before = await probeDisk(root, Math.min(seconds, 2));
    show("before", before);

    const cases: AppendCase[] = [];
    console.log("\nfraction = records/s / min(records per fsync x disk fsyncs/s, bandwidth / frame bytes); disk fsyncs/s = the faster of growing/preallocated; 4 KiB probe | probe at the batch size");
    console.log("payload  appenders  records/s   MiB/s  recs/fsync  store fsync ms  bound/s @4KiB (by)      fraction  bound/s @batch  fraction  vs own fsync");
    for (const size of [128, 4096]) {
      for (const appenders of [1, 16, 256]) {
        // The shared disk's latency drifts; probe it right before each case and bound against that.
        const disk = await probeDisk(root, 0.5);
        const c = await appendCase(root, size, appenders, seconds, disk);
        cases.push(c);
        console.log(
          `${String(size).padStart(7)}  ${String(appenders).padStart(9)}  ${Math.round(c.records_per_sec).toString().padStart(9)}  ${c.mib_per_sec.toFixed(1).padStart(6)}  ` +
            `${c.records_per_fsync.toFixed(1).padStart(10)}  ${c.store_fsync_ms_mean.toFixed(2).padStart(14)}  ${Math.round(c.bound_records_per_sec).toString().padStart(12)} (${c.bound_by.padEnd(9)})  ${(c.fraction_of_disk_bound * 100).toFixed(0).padStart(6)} %  ` +
            `${Math.round(c.bound_at_batch_bytes_records_per_sec).toString().padStart(14)}  ${(c.fraction_of_disk_bound_at_batch_bytes * 100).toFixed(0).padStart(6)} %  ${(c.fraction_of_own_fsync_bound * 100).toFixed(0).padStart(10)} %`,
        );
      }
    }
    const after = await probeDisk(root, Math.min(seconds, 2));
    show("after", after);
    const rec = await recovery(root, recoveryMib);
    console.log(
      `\nrecovery of ${rec.data_mib} MiB (${rec.records} x 4 KiB records), extrapolated linearly to 1 GiB: ` +
        `${rec.seconds_per_gib_with_index.toFixed(2)} s/GiB with index files (${rec.open_with_index_ms.toFixed(0)} ms measured), ` +
        `${rec.seconds_per_gib_full_scan.toFixed(2)} s/GiB full checksum scan (${rec.open_full_scan_ms.toFixed(0)} ms measured). ` +
        "With index files only the tail segment (<= 64 MiB) is scanned, so that figure does not grow linearly and the per-GiB number overstates it.",
    );
    mkdirSync(resultsDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const file = join(resultsDir, `store-${stamp}.json`);
    const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? "?", node: process.version, load_average_1m: loadavg()[0] };
    const payload = { suite: "store", date: new Date().toISOString(), machine, crc32c: crc32cImplementation, target_fraction: 0.5, disk_before: before, disk_after: after, appends: cases, recovery: rec };
    writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
    console.log(`\nresults: ${file}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
