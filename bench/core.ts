/**
 * `npm run bench -- core`: the same `nats bench` workloads against nats-server and Sluice, one run,
 * loopback: pub only 16 B, pub→sub 16 B 1:1, 1 pub → 4 sub fan-out 128 B, request/reply latency.
 * Prints msgs/s (latency in µs) with the ratio Sluice/nats-server and writes bench/results/core-*.json.
 *
 * Flags: --targets nats-server,sluice  --repeat N (median, default 3)  --scale F (message counts)
 *        --profile (run Sluice with --cpu-prof; profiles in bench/results/profiles/)
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ServerProcess, type ServerKind } from "../test/clients/lib/server-process.js";
import { BenchProcess, natsBench, waitForSubscribers } from "./lib/natsbench.js";
import { median, printTable, RESULTS_DIR, writeResults, type Measured, type Row } from "./lib/report.js";
import { ensureTools } from "./lib/tools.js";

const RUN_TIMEOUT_MS = 120_000;

interface Counts {
  pub: number;
  pubsub: number;
  fanout: number;
  reqrep: number;
}

type Workload = (s: ServerProcess, c: Counts, tag: string) => Promise<Measured>;

function errorOf(err: unknown): Measured {
  return { error: err instanceof Error ? err.message : String(err) };
}

/** Starts a subscriber-side bench, waits until the server has its subscriptions, runs the publisher. */
async function pubWithSubs(s: ServerProcess, subject: string, subClients: number, msgs: number, size: string): Promise<Measured> {
  const sub = new BenchProcess(s.url(), ["sub", subject, "--clients", String(subClients), "--msgs", String(msgs), "--size", size], RUN_TIMEOUT_MS);
  try {
    await waitForSubscribers(s.monitorUrl(), subject, subClients);
    const pub = await natsBench(s.url(), ["pub", subject, "--msgs", String(msgs), "--size", size], RUN_TIMEOUT_MS);
    const got = await sub.result();
    return { value: got.msgs_per_sec, detail: { publisher_msgs_per_sec: pub.msgs_per_sec, subscribers: got.clients } };
  } catch (err) {
    await sub.kill();
    return errorOf(err);
  }
}

const WORKLOADS: { row: Omit<Row, "values">; run: Workload }[] = [
  {
    row: { workload: "pub only, 16 B", unit: "msgs/s", higher_is_better: true, target: ">= 0.8x" },
    run: async (s, c, tag) => {
      try {
        const r = await natsBench(s.url(), ["pub", `bench.pub.${tag}`, "--msgs", String(c.pub), "--size", "16"], RUN_TIMEOUT_MS);
        return { value: r.msgs_per_sec };
      } catch (err) {
        return errorOf(err);
      }
    },
  },
  {
    row: { workload: "pub->sub 1:1, 16 B (received)", unit: "msgs/s", higher_is_better: true, target: ">= 0.8x" },
    run: async (s, c, tag) => pubWithSubs(s, `bench.ps.${tag}`, 1, c.pubsub, "16"),
  },
  {
    row: { workload: "1 pub -> 4 sub fan-out, 128 B (received, sum)", unit: "msgs/s", higher_is_better: true, target: ">= 0.8x" },
    run: async (s, c, tag) => pubWithSubs(s, `bench.fan.${tag}`, 4, c.fanout, "128"),
  },
  {
    row: { workload: "request/reply, 128 B, 1 client (avg latency)", unit: "us", higher_is_better: false, target: "<= 1.3x" },
    run: async (s, c, tag) => {
      const subject = `bench.rr.${tag}`;
      const serve = new BenchProcess(s.url(), ["service", "serve", subject, "--clients", "1"], RUN_TIMEOUT_MS);
      try {
        await waitForSubscribers(s.monitorUrl(), subject, 1);
        const r = await natsBench(s.url(), ["service", "request", subject, "--msgs", String(c.reqrep), "--clients", "1"], RUN_TIMEOUT_MS);
        return { value: r.avg_latency_us, detail: { p50_us: r.p50_latency_us, p99_us: r.p99_latency_us, requests_per_sec: r.msgs_per_sec } };
      } catch (err) {
        return errorOf(err);
      } finally {
        await serve.kill();
      }
    },
  },
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      targets: { type: "string", default: "nats-server,sluice" },
      repeat: { type: "string", default: "3" },
      scale: { type: "string", default: "1" },
      profile: { type: "boolean", default: false },
    },
  });
  const targets = values.targets.split(",").map((t) => t.trim()) as ServerKind[];
  for (const t of targets) if (t !== "nats-server" && t !== "sluice") throw new Error(`unknown target ${t} (nats-server|sluice)`);
  const repeat = Number(values.repeat);
  const scale = Number(values.scale);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 10) throw new Error("--repeat must be an integer 1..10");
  if (!(scale > 0 && scale <= 10)) throw new Error("--scale must be in (0, 10]");
  const counts: Counts = {
    pub: Math.round(500_000 * scale),
    pubsub: Math.round(300_000 * scale),
    fanout: Math.round(100_000 * scale),
    reqrep: Math.round(10_000 * scale),
  };
  const tools = ensureTools();
  console.log(`nats-server ${tools.natsServer}, natscli ${tools.natscli}; counts ${JSON.stringify(counts)}, repeat ${repeat}`);

  const results = new Map<string, Measured[][]>(); // target → workload index → runs
  const startErrors: Record<string, string> = {};
  // Every server is started first (an idle server costs nothing) and each repetition runs every
  // target back to back, so a change in machine load hits all targets alike, not one phase.
  const servers = new Map<ServerKind, ServerProcess>();
  try {
    for (const kind of targets) {
      const nodeFlags: string[] = [];
      if (kind === "sluice" && values.profile) {
        const dir = join(RESULTS_DIR, "profiles");
        mkdirSync(dir, { recursive: true });
        nodeFlags.push("--cpu-prof", `--cpu-prof-dir=${dir}`);
        console.log(`profiling Sluice: .cpuprofile files go to ${dir} (open in Chrome DevTools)`);
      }
      const server = new ServerProcess({ kind, name: `bench-${kind}`, args: [], monitor: true, nodeFlags });
      const perWorkload: Measured[][] = WORKLOADS.map(() => []);
      results.set(kind, perWorkload);
      try {
        await server.start();
        servers.set(kind, server);
      } catch (err) {
        startErrors[kind] = (err as Error).message;
        for (const runs of perWorkload) runs.push({ error: `server did not start: ${(err as Error).message.split("\n")[0]}` });
      }
    }
    for (let r = 0; r < repeat; r++) {
      for (const [kind, server] of servers) {
        const perWorkload = results.get(kind)!;
        for (const [i, w] of WORKLOADS.entries()) {
          const m = await w.run(server, counts, `${kind}.${r}.${i}`);
          perWorkload[i]!.push(m);
          console.log(`${kind.padEnd(11)} run ${r + 1}/${repeat} ${w.row.workload}: ${"error" in m ? "FAILED" : m.value.toFixed(1)} ${w.row.unit}`);
        }
      }
    }
  } finally {
    for (const server of servers.values()) await server.dispose();
  }

  const rows: Row[] = WORKLOADS.map((w, i) => ({
    ...w.row,
    values: Object.fromEntries(targets.map((t) => [t, median(results.get(t)?.[i] ?? [])])),
  }));
  const ratios = targets.includes("sluice") && targets.includes("nats-server")
    ? [{ label: "sluice/nats-server", numerator: "sluice", denominator: "nats-server" }]
    : [];
  printTable("core NATS (median of runs; latency rows: lower is better)", targets, rows, ratios);
  const file = writeResults("core", { tools, counts, repeat, start_errors: startErrors, all_runs: Object.fromEntries(results) }, rows, ratios);
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
