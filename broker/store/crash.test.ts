/**
 * kill -9 crash test with real processes: a child appends with `always` and reports every
 * acknowledged seq over a pipe; the parent SIGKILLs it at seeded points (>= 200 kills) and,
 * after each kill, recovers the store and checks every acknowledged record is present, intact
 * and that sequences are contiguous. Replay: STORE_CRASH_SEED=<seed>.
 */
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { cp, mkdtemp, rm, stat, readdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../common/wait.js";
import { Prng } from "../../common/prng.js";
import { crc32c } from "./crc32c.js";
import { crashStoreOptions, crashSegmentBytes } from "./crash_child.js";
import { FileStore } from "./file_store.js";
import { NodeFileSystem } from "./node_fs.js";

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
let childJs = join(root, "dist", "broker", "store", "crash_child.js");
const kills = Number(process.env.STORE_CRASH_KILLS ?? 200);
const seed = Number(process.env.STORE_CRASH_SEED ?? 20261125);

/**
 * The child runs from the tsc build; rebuild when any store source is newer than it. Then copy
 * the files it needs to a private directory, so a concurrent rebuild of dist/ cannot swap
 * modules under a running test.
 */
async function ensureBuilt(into: string): Promise<string> {
  const built = await stat(childJs).then((s) => s.mtimeMs, () => 0);
  const sources = (await readdir(here)).filter((f) => f.endsWith(".ts"));
  const newest = Math.max(...(await Promise.all(sources.map(async (f) => (await stat(join(here, f))).mtimeMs))));
  // Async, so the vitest worker keeps answering its runner while tsc runs.
  // tsc still emits when unrelated files have type errors, so its exit status is not fatal here.
  if (built < newest) await execFileAsync("npx", ["tsc", "-p", "tsconfig.json"], { cwd: root }).catch(() => undefined);
  for (const sub of ["common", join("broker", "store")]) {
    await cp(join(root, "dist", sub), join(into, sub), { recursive: true, filter: (f) => !f.endsWith(".map") });
  }
  await writeFile(join(into, "package.json"), '{"type":"module"}\n');
  // The project's packages (the native CRC32C module), so the child runs what production runs.
  await symlink(join(root, "node_modules"), join(into, "node_modules"), "dir");
  return join(into, "broker", "store", "crash_child.js");
}

interface Ack {
  subject: string;
  bytes: number;
  crc: number;
}

/** Rounds of start child, let it ack, SIGKILL, recover and check. Returns the acks seen. */
async function runLane(dir: string, seed: number, rounds: number): Promise<number> {
  const prng = new Prng(seed);
  const acked = new Map<number, Ack>();
  for (let round = 0; round < rounds; round++) {
    const where = `SEED=${seed} round=${round}`;
    const child = spawn(process.execPath, [childJs, dir, String(seed * 1000 + round), String(1 + prng.int(8))], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let ready = false;
    let roundAcks = 0;
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const [kind, seqText, subject, bytes, crc] = line.split(" ");
      if (kind === "ready") ready = true;
      if (kind !== "ack") return;
      const seq = Number(seqText);
      expect(acked.has(seq), `${where}: seq ${seq} acknowledged twice`).toBe(false);
      acked.set(seq, { subject: subject!, bytes: Number(bytes), crc: Number(crc) });
      roundAcks++;
    });
    // Kill points: during recovery (as soon as it starts), or after a seeded number of acks.
    const duringRecovery = prng.chance(0.1);
    const target = prng.int(30);
    try {
      await waitFor(`${where}: child progress`, () => {
        if (stderr !== "") throw new Error(`${where}: child failed: ${stderr}`);
        return duringRecovery ? child.pid !== undefined : ready && roundAcks >= target;
      }, { timeout_ms: 30_000, interval_ms: 1 });
    } finally {
      child.kill("SIGKILL");
    }
    const code = await exited;
    lines.close();
    expect(code, `${where}: child exited by itself: ${stderr}`).toBeNull();

    const store = await FileStore.open(crashStoreOptions, { fs: new NodeFileSystem(), dir, segment_bytes_max: crashSegmentBytes });
    try {
      const st = store.state();
      const maxAcked = Math.max(0, ...acked.keys());
      expect(st.damage, where).toEqual([]);
      expect(st.last_seq, where).toBeGreaterThanOrEqual(maxAcked);
      expect(st.msgs, `${where}: sequences not contiguous`).toBe(st.last_seq === 0 ? 0 : st.last_seq - st.first_seq + 1);
      // This round's acks and a seeded sample of older ones every round; all of them at the end.
      const last = round === rounds - 1;
      const check = [...acked.keys()].filter((s) => last || s > maxAcked - roundAcks - 1 || prng.chance(0.02));
      for (const s of check) {
        const m = await store.get(s);
        const want = acked.get(s)!;
        expect(m, `${where}: acknowledged seq ${s} missing`).toBeDefined();
        expect([m!.subject, m!.payload.length, crc32c(m!.payload)], `${where}: seq ${s} changed`).toEqual([want.subject, want.bytes, want.crc]);
      }
    } finally {
      await store.close();
    }
  }
  return acked.size;
}

describe("store survives kill -9 (real processes)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-crash-"));
    childJs = await ensureBuilt(join(dir, "code"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged record across ${kills} SIGKILLs (seed ${seed})`, async () => {
    // Independent lanes (own directory, own child) run side by side: most of a round is
    // process start-up and fsync latency, not CPU.
    const lanes = 4;
    const settled = await Promise.allSettled(Array.from({ length: lanes }, (_, lane) => runLane(join(dir, `lane${lane}`), seed + lane, Math.ceil(kills / lanes))));
    for (const r of settled) if (r.status === "rejected") throw r.reason;
    const acks = settled.reduce((n, r) => n + (r.status === "fulfilled" ? r.value : 0), 0);
    expect(acks).toBeGreaterThan(kills);
  }, 600_000);
});
