/**
 * Runs `nats bench …` (natscli) against one server and reads its CSV output. Every run is bounded
 * in time; a background side (subscribers, service responders) is started first and waited for
 * by asking the server's monitoring endpoint for its subscriptions.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../common/wait.js";
import { NATS_BIN } from "./tools.js";

export interface BenchStats {
  /** Sum over clients of messages per second (aggregate rate). */
  msgs_per_sec: number;
  /** Mean over clients, microseconds (publishers/requesters only; NaN where not reported). */
  avg_latency_us: number;
  p50_latency_us: number;
  p99_latency_us: number;
  clients: number;
}

const OUTPUT_BYTES_MAX = 256 * 1024;

export class BenchProcess {
  private readonly child: ChildProcess;
  private output = "";
  private readonly dir: string;
  private readonly csv: string;
  private readonly done: Promise<number | null>;
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(url: string, args: string[], timeout_ms: number) {
    this.dir = mkdtempSync(join(tmpdir(), "sluice-bench-"));
    this.csv = join(this.dir, "out.csv");
    this.child = spawn(NATS_BIN, ["-s", url, "--timeout", "10s", "bench", ...args, "--no-progress", "--csv", this.csv], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const append = (b: Buffer): void => {
      if (this.output.length < OUTPUT_BYTES_MAX) this.output += b.toString("utf8");
    };
    this.child.stdout?.on("data", append);
    this.child.stderr?.on("data", append);
    this.done = new Promise((resolve) => {
      this.child.once("exit", (code) => resolve(code));
      this.child.once("error", (err) => {
        this.output += `\nspawn failed: ${err.message}`;
        resolve(null);
      });
    });
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill("SIGKILL");
    }, timeout_ms);
  }

  /** Wait for exit and parse the CSV; throws with the output when the run failed. */
  async result(): Promise<BenchStats> {
    const code = await this.done;
    clearTimeout(this.timer);
    try {
      if (this.timedOut) throw new Error(`nats bench timed out (messages lost or a client was cut off?)\n${this.output}`);
      if (code !== 0) throw new Error(`nats bench exited with ${code ?? "null"}\n${this.output}`);
      return parseCsv(readFileSync(this.csv, "utf8"));
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Stop a background side that runs until told (service responders). */
  async kill(): Promise<void> {
    clearTimeout(this.timer);
    this.child.kill("SIGTERM");
    await this.done;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function parseCsv(text: string): BenchStats {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0]?.replace(/^#/, "").split(",");
  if (!header) throw new Error("empty nats bench CSV");
  const rows = lines.slice(1).map((l) => l.split(","));
  if (rows.length === 0) throw new Error("nats bench CSV has no data rows");
  if (!header.includes("MsgsPerSec")) throw new Error(`nats bench CSV has no MsgsPerSec column: ${header.join(",")}`);
  const num = (r: string[], name: string): number => {
    const i = header.indexOf(name);
    return i < 0 ? Number.NaN : Number(r[i]);
  };
  const mean = (name: string): number => rows.reduce((a, r) => a + num(r, name), 0) / rows.length;
  return {
    msgs_per_sec: rows.reduce((a, r) => a + num(r, "MsgsPerSec"), 0),
    avg_latency_us: mean("AvgLatencyMicroSecs"),
    p50_latency_us: mean("P50LatencyMicroSecs"),
    p99_latency_us: mean("P99LatencyMicroSecs"),
    clients: rows.length,
  };
}

export async function natsBench(url: string, args: string[], timeout_ms: number): Promise<BenchStats> {
  return new BenchProcess(url, args, timeout_ms).result();
}

/** Wait until the server reports `count` subscriptions on `subject` (via /connz?subs=1). */
export async function waitForSubscribers(monitorUrl: string, subject: string, count: number): Promise<void> {
  await waitFor(
    `${count} subscriber(s) on ${subject}`,
    async () => {
      const res = await fetch(`${monitorUrl}/connz?subs=1&limit=1024`);
      if (!res.ok) return false;
      const body = (await res.json()) as { connections?: { subscriptions_list?: string[] }[] };
      let n = 0;
      for (const c of body.connections ?? []) n += (c.subscriptions_list ?? []).filter((s) => s === subject).length;
      return n >= count;
    },
    { timeout_ms: 20_000, interval_ms: 20 },
  );
}
