/**
 * Runs one NATS-protocol server process for the client suites and benches: Sluice (`bin/sluice
 * broker`) or the real nats-server, with the same nats-server flags. The port is learned from the
 * ports file (`--ports_file_dir`), so `-p -1` works for both; restarts reuse the learned port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitFor } from "../../../common/wait.js";

/** The repository root, from source (vitest) or from the compiled copy under dist/ (benches). */
export const REPO_ROOT = findRepoRoot(import.meta.dirname);

function findRepoRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "bin/sluice")) && existsSync(join(dir, "package.json"))) return dir;
    dir = resolve(dir, "..");
  }
  throw new Error(`cannot find the repository root above ${start}`);
}
export const SLUICE_CACHE = process.env["SLUICE_CACHE"] ?? join(process.env["HOME"] ?? tmpdir(), ".cache/sluice");

export type ServerKind = "sluice" | "nats-server";

/** Which server the client suites target: Sluice unless SLUICE_CLIENT_SERVER=nats-server. */
export function clientSuiteServerKind(): ServerKind {
  const v = process.env["SLUICE_CLIENT_SERVER"] ?? "sluice";
  if (v !== "sluice" && v !== "nats-server") {
    throw new Error(`SLUICE_CLIENT_SERVER must be "sluice" or "nats-server", got ${JSON.stringify(v)}`);
  }
  return v;
}

/** The nats-server binary built into the cache by the benches (or found on PATH). */
export function natsServerBinary(): string | undefined {
  const cached = join(SLUICE_CACHE, "bin/nats-server");
  if (existsSync(cached)) return cached;
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    if (dir && existsSync(join(dir, "nats-server"))) return join(dir, "nats-server");
  }
  return undefined;
}

function commandFor(kind: ServerKind, nodeFlags?: string[]): { cmd: string; prefix: string[] } {
  if (kind === "sluice" && nodeFlags?.length) {
    return { cmd: process.execPath, prefix: [...nodeFlags, "--enable-source-maps", join(REPO_ROOT, "dist/cli/main.js"), "broker"] };
  }
  if (kind === "sluice") return { cmd: join(REPO_ROOT, "bin/sluice"), prefix: ["broker"] };
  const bin = natsServerBinary();
  if (!bin) throw new Error("nats-server not found: run `npm run bench -- core` once (it builds it) or put it on PATH");
  return { cmd: bin, prefix: [] };
}

export interface ServerOptions {
  kind: ServerKind;
  /** nats-server flags except -a/-p/--ports_file_dir, which are managed here. */
  args: string[];
  /** Label for logs and errors. */
  name: string;
  start_timeout_ms?: number;
  /** Also serve monitoring (`-m`), on a port learned from the ports file. */
  monitor?: boolean;
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** Sluice only: run node directly with these flags (e.g. --cpu-prof, not allowed in NODE_OPTIONS). */
  nodeFlags?: string[];
}

const LOG_TAIL_BYTES_MAX = 64 * 1024;

export class ServerProcess {
  private child: ChildProcess | undefined;
  private portValue = -1;
  private monitorPortValue = -1;
  private log = "";
  private readonly portsDir: string;

  constructor(private readonly opts: ServerOptions) {
    this.portsDir = mkdtempSync(join(tmpdir(), `sluice-ports-${opts.name}-`));
  }

  get port(): number {
    return this.portValue;
  }

  get kind(): ServerKind {
    return this.opts.kind;
  }

  /** Monitoring base URL (only with `monitor: true`). */
  monitorUrl(): string {
    return `http://127.0.0.1:${this.monitorPortValue}`;
  }

  url(scheme = "nats"): string {
    return `${scheme}://127.0.0.1:${this.portValue}`;
  }

  /** The last output of the process (all runs), for failure messages. */
  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.opts.name}: already running`);
    for (const f of readdirSync(this.portsDir)) rmSync(join(this.portsDir, f), { force: true });
    const { cmd, prefix } = commandFor(this.opts.kind, this.opts.nodeFlags);
    const monitor = this.opts.monitor ? ["-m", String(this.monitorPortValue)] : [];
    const args = [...prefix, "-a", "127.0.0.1", "-p", String(this.portValue), ...monitor, "--ports_file_dir", this.portsDir, ...this.opts.args];
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...this.opts.env } });
    this.child = child;
    let exited: string | undefined;
    const append = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString("utf8")).slice(-LOG_TAIL_BYTES_MAX);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    child.once("exit", (code, signal) => {
      exited = `exited with code ${code ?? "null"} signal ${signal ?? "none"}`;
    });
    child.once("error", (err) => {
      exited = `failed to spawn ${cmd}: ${err.message}`;
    });
    const timeoutMs = this.opts.start_timeout_ms ?? 20_000;
    try {
      const ports = await waitFor(
        `${this.opts.name} ports file`,
        () => {
          if (exited) throw new Error(`${this.opts.name} ${exited}\n${this.log}`);
          const p = readPorts(this.portsDir);
          return p && (!this.opts.monitor || p.monitor !== undefined) ? p : undefined;
        },
        { timeout_ms: timeoutMs, interval_ms: 25 },
      );
      this.portValue = ports.client;
      this.monitorPortValue = ports.monitor ?? -1;
    } catch (err) {
      await this.stop();
      throw new Error(`${this.opts.name} did not start (${cmd} ${args.join(" ")}): ${(err as Error).message}\n${this.log}`);
    }
  }

  /** Stop the process (SIGTERM, then SIGKILL after the grace period) and wait for it to exit. */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM", grace_ms = 10_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((res) => child.once("exit", () => res()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), grace_ms);
    await gone;
    clearTimeout(timer);
  }

  /** Stop and start again on the same port (and with the same store dir, which is in args). */
  async restart(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.portsDir, { recursive: true, force: true });
  }
}

/** The URLs in the ports file nats-server writes (`<name>_<pid>.ports`); undefined until it is complete. */
export interface PortsFile {
  nats: string[];
  monitoring: string[];
}

export function readPortsFile(dir: string, pid?: number): PortsFile | undefined {
  const suffix = pid === undefined ? ".ports" : `_${pid}.ports`;
  const file = readdirSync(dir).find((f) => f.endsWith(suffix));
  if (!file) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(join(dir, file), "utf8"));
  } catch {
    return undefined; // written but not complete yet
  }
  const p = parsed as { nats?: unknown; monitoring?: unknown };
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((u): u is string => typeof u === "string") : []);
  return { nats: strings(p.nats), monitoring: strings(p.monitoring) };
}

function readPorts(dir: string): { client: number; monitor: number | undefined } | undefined {
  const p = readPortsFile(dir);
  if (p === undefined) return undefined;
  const client = firstPort(p.nats);
  return client === undefined ? undefined : { client, monitor: firstPort(p.monitoring) };
}

function firstPort(urls: string[]): number | undefined {
  if (urls[0] === undefined) return undefined;
  const port = Number(new URL(urls[0]).port);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}
