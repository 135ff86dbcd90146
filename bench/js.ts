/**
 * `npm run bench -- js`: JetStream workloads with `nats bench` (file storage, 128 B) against
 * nats-server with its default sync (fsync every 2 min), nats-server with `sync_interval: always`
 * (durable per message, like Sluice's default) and Sluice. Prints msgs/s with the ratios
 * Sluice/nats-server(default) and Sluice/nats-server(always), writes bench/results/js-*.json.
 *
 * Flags: --targets ns-default,ns-always,sluice  --repeat N (median, default 1)  --scale F
 *        --profile (run Sluice with --cpu-prof; profiles in bench/results/profiles/)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ServerProcess, type ServerKind } from "../test/clients/lib/server-process.js";
import { natsBench } from "./lib/natsbench.js";
import { RESULTS_DIR, median, printTable, writeResults, type Measured, type Row } from "./lib/report.js";
import { ensureTools } from "./lib/tools.js";

const RUN_TIMEOUT_MS = 180_000;

interface Target {
  label: string;
  kind: ServerKind;
  args: (dir: string) => string[];
}

const TARGETS: Record<string, Target> = {
  "ns-default": { label: "nats-server (default sync)", kind: "nats-server", args: (d) => ["-js", "-sd", d] },
  "ns-always": {
    label: "nats-server (sync always)",
    kind: "nats-server",
    args: (d) => {
      const conf = join(d, "always.conf");
      writeFileSync(conf, `jetstream {\n  store_dir: "${join(d, "store")}"\n  sync_interval: always\n}\n`);
      return ["-c", conf];
    },
  },
  sluice: { label: "sluice", kind: "sluice", args: (d) => ["-js", "-sd", d] },
};

interface Counts {
  syncPub: number;
  asyncPub: number;
  kv: number;
}

const STREAM = ["--stream", "benchstream"];
const SIZE = ["--size", "128"];

/** In order: the async publish leaves the messages that the two consume workloads read. */
const WORKLOADS: { row: Omit<Row, "values">; args: (c: Counts) => string[] }[] = [
  {
    row: { workload: "JS sync publish, file, 128 B", unit: "msgs/s", higher_is_better: true },
    args: (c) => ["js", "pub", "sync", "bench.js", ...STREAM, "--create", "--purge", "--storage", "file", "--msgs", String(c.syncPub), ...SIZE],
  },
  {
    row: { workload: "JS async publish, file, 128 B", unit: "msgs/s", higher_is_better: true, target: ">= 0.5x default, >= 1.5x always" },
    args: (c) => ["js", "pub", "async", "bench.js", ...STREAM, "--purge", "--storage", "file", "--msgs", String(c.asyncPub), ...SIZE],
  },
  {
    row: { workload: "JS pull consume, explicit ack", unit: "msgs/s", higher_is_better: true, target: ">= 0.8x" },
    args: (c) => ["js", "consume", ...STREAM, "--acks", "explicit", "--msgs", String(c.asyncPub)],
  },
  {
    row: { workload: "JS ordered consume", unit: "msgs/s", higher_is_better: true, target: ">= 0.8x" },
    args: (c) => ["js", "ordered", ...STREAM, "--msgs", String(c.asyncPub)],
  },
  {
    row: { workload: "KV put, file, 128 B", unit: "msgs/s", higher_is_better: true },
    args: (c) => ["kv", "put", "--bucket", "benchbucket", "--storage", "file", "--msgs", String(c.kv), ...SIZE],
  },
  {
    row: { workload: "KV get", unit: "msgs/s", higher_is_better: true },
    args: (c) => ["kv", "get", "--bucket", "benchbucket", "--msgs", String(c.kv)],
  },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      targets: { type: "string", default: "ns-default,ns-always,sluice" },
      repeat: { type: "string", default: "1" },
      scale: { type: "string", default: "1" },
      profile: { type: "boolean", default: false },
    },
  });
  const names = values.targets.split(",").map((t) => t.trim());
  for (const n of names) if (!TARGETS[n]) throw new Error(`unknown target ${n} (${Object.keys(TARGETS).join("|")})`);
  const repeat = Number(values.repeat);
  const scale = Number(values.scale);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 10) throw new Error("--repeat must be an integer 1..10");
  if (!(scale > 0 && scale <= 10)) throw new Error("--scale must be in (0, 10]");
  const counts: Counts = { syncPub: Math.round(2_000 * scale), asyncPub: Math.round(20_000 * scale), kv: Math.round(2_000 * scale) };
  const tools = ensureTools();
  console.log(`nats-server ${tools.natsServer}, natscli ${tools.natscli}; counts ${JSON.stringify(counts)}, repeat ${repeat}`);

  const nodeFlags: string[] = [];
  if (values.profile) {
    const dir = join(RESULTS_DIR, "profiles");
    mkdirSync(dir, { recursive: true });
    nodeFlags.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
    console.log(`profiling Sluice: .cpuprofile files go to ${dir} (node dist/bench/profile.js <file>)`);
  }

  const results: Record<string, Measured[][]> = {};
  for (const name of names) results[TARGETS[name]!.label] = WORKLOADS.map(() => []);
  // Repetitions outermost: each one runs every target back to back, so a change in the load of
  // this shared machine hits all targets of a repetition alike (the ratios are what matter).
  for (let r = 0; r < repeat; r++) {
    for (const name of names) {
      const target = TARGETS[name]!;
      const perWorkload = results[target.label]!;
      // A fresh server and store per repetition, so every run starts from an empty disk.
      const dir = mkdtempSync(join(tmpdir(), `sluice-bench-js-${name}-`));
      const server = new ServerProcess({ kind: target.kind, name: `bench-${name}`, args: target.args(dir), ...(target.kind === "sluice" && nodeFlags.length > 0 ? { nodeFlags } : {}) });
      try {
        await server.start();
        for (const [i, w] of WORKLOADS.entries()) {
          let m: Measured;
          try {
            m = { value: (await natsBench(server.url(), w.args(counts), RUN_TIMEOUT_MS)).msgs_per_sec };
          } catch (err) {
            m = { error: (err as Error).message };
          }
          perWorkload[i]!.push(m);
          console.log(`${name.padEnd(10)} run ${r + 1}/${repeat} ${w.row.workload}: ${"error" in m ? "FAILED" : m.value.toFixed(0)} ${w.row.unit}`);
        }
      } catch (err) {
        for (const runs of perWorkload) runs.push({ error: `server did not start: ${(err as Error).message.split("\n")[0]}` });
      } finally {
        await server.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }

  const labels = names.map((n) => TARGETS[n]!.label);
  const rows: Row[] = WORKLOADS.map((w, i) => ({
    ...w.row,
    values: Object.fromEntries(labels.map((l) => [l, median(results[l]?.[i] ?? [])])),
  }));
  const ratios = [TARGETS["ns-default"]!, TARGETS["ns-always"]!]
    .filter((t) => labels.includes(t.label) && labels.includes("sluice"))
    .map((t) => ({ label: `sluice/${t.label.replace("nats-server ", "ns ")}`, numerator: "sluice", denominator: t.label }));
  printTable("JetStream (file storage; median of runs)", labels, rows, ratios);
  const file = writeResults("js", { tools, counts, repeat, all_runs: results }, rows, ratios);
  console.log(`\nresults: ${file}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
