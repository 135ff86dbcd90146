/**
 * Start a real broker process (`bin/sluice broker`) for client tests in any language.
 *
 *   const b = await startBroker(["-js"]);        // extra nats-server flags/config
 *   b.url / b.port / b.httpPort / b.httpUrl      // learned from the ports file
 *   await b.restart();                           // same ports, same args (reconnect tests)
 *   await b.stop();                              // SIGTERM, SIGKILL after stopTimeoutMs
 *
 * It always passes `-a 127.0.0.1 -p -1 -m -1 --ports_file_dir <tmp dir>` first (flags given in
 * `args` come later and win), waits for the ports file, and keeps the last output for failures.
 * Needs the TypeScript build (dist/), which `npm test` makes before vitest.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { waitFor } from "../../common/wait.js";
import { REPO_ROOT, readPortsFile, type PortsFile } from "./lib/server-process.js";

export interface StartBrokerOptions {
  /** Extra environment for the broker process. */
  env?: Record<string, string>;
  /** How long to wait for the ports file (default 30 s). */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** Working directory (default: a fresh temp dir, also holding the ports file). */
  cwd?: string;
}

export interface BrokerProcess {
  /** nats://127.0.0.1:<port> (tls://… when the broker requires TLS). */
  readonly url: string;
  readonly port: number;
  /** Monitoring port (-m). */
  readonly httpPort: number;
  /** http://127.0.0.1:<httpPort> */
  readonly httpUrl: string;
  readonly pid: number;
  /** Temp dir owned by this broker (ports file; removed by stop()). */
  readonly dir: string;
  /** The broker's stdout+stderr so far (last 1 MiB). */
  logs(): string;
  /** Send a signal (e.g. SIGHUP reload, SIGUSR2 lame duck). */
  signal(sig: NodeJS.Signals): void;
  /** Resolves with the exit code once the process is gone. */
  exited(): Promise<number | null>;
  /** SIGTERM (or sig), wait for exit, SIGKILL after stopTimeoutMs. Idempotent. */
  stop(sig?: NodeJS.Signals): Promise<number | null>;
  /** Stop, then start again with the same args on the same client and monitoring ports. */
  restart(): Promise<void>;
}

const logBytesMax = 1024 * 1024;

export function repoRoot(): string {
  return REPO_ROOT;
}

interface Running {
  child: ChildProcess;
  exit: Promise<number | null>;
  port: number;
  httpPort: number;
  url: string;
}

export async function startBroker(
  args: string[] = [],
  opts: StartBrokerOptions = {},
): Promise<BrokerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-broker-"));
  const root = repoRoot();
  let output = "";
  let current: Running | undefined;
  let stopped = false;

  const launch = async (portArgs: string[]): Promise<Running> => {
    for (const f of readdirSync(dir)) if (f.endsWith(".ports")) rmSync(join(dir, f), { force: true });
    const argv = ["broker", "-a", "127.0.0.1", ...portArgs, "--ports_file_dir", dir, ...args];
    const child = spawn(resolve(root, "bin", "sluice"), argv, {
      cwd: opts.cwd ?? dir,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const append = (b: Buffer): void => {
      output += b.toString();
      if (output.length > logBytesMax) output = output.slice(-logBytesMax);
    };
    child.stdout!.on("data", append);
    child.stderr!.on("data", append);
    let exitCode: number | null | undefined;
    const exit = new Promise<number | null>((res) => {
      child.once("exit", (code, signal) => {
        exitCode = code ?? (signal === null ? null : -1);
        res(exitCode);
      });
    });
    let ports: PortsFile;
    try {
      const exitedEarly = exit.then((code) => {
        throw new Error(`broker exited with ${code} before writing its ports file`);
      });
      exitedEarly.catch(() => {}); // observed through the race below
      ports = await Promise.race([
        exitedEarly,
        waitFor(
          "broker ports file",
          () => (exitCode !== undefined || child.pid === undefined ? undefined : readPortsFile(dir, child.pid)),
          { timeout_ms: opts.startTimeoutMs ?? 30_000, interval_ms: 25 },
        ),
      ]);
    } catch (err) {
      child.kill("SIGKILL");
      throw new Error(`${(err as Error).message}\n--- broker output ---\n${output}`);
    }
    const url = ports.nats.find((u) => u.includes("127.0.0.1")) ?? ports.nats[0];
    if (url === undefined) throw new Error(`ports file has no client URL\n${output}`);
    const mon = ports.monitoring.find((u) => u.includes("127.0.0.1")) ?? ports.monitoring[0];
    return {
      child,
      exit,
      url,
      port: Number(new URL(url).port),
      httpPort: mon === undefined ? 0 : Number(new URL(mon).port),
    };
  };

  const halt = async (sig: NodeJS.Signals): Promise<number | null> => {
    const r = current;
    if (r === undefined) return null;
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill(sig);
    const timer = setTimeout(() => r.child.kill("SIGKILL"), opts.stopTimeoutMs ?? 10_000);
    try {
      return await r.exit;
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    current = await launch(["-p", "-1", "-m", "-1"]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const first = current;

  return {
    get url() {
      return current!.url;
    },
    get port() {
      return current!.port;
    },
    get httpPort() {
      return current!.httpPort;
    },
    get httpUrl() {
      return `http://127.0.0.1:${current!.httpPort}`;
    },
    get pid() {
      return current!.child.pid ?? -1;
    },
    dir,
    logs: () => output,
    signal: (sig) => {
      current?.child.kill(sig);
    },
    exited: () => current!.exit,
    async stop(sig: NodeJS.Signals = "SIGTERM") {
      if (stopped) return current?.child.exitCode ?? null;
      stopped = true;
      const code = await halt(sig);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
    async restart() {
      if (stopped) throw new Error("restart after stop");
      await halt("SIGTERM");
      const portArgs = ["-p", String(first.port), "-m", String(first.httpPort || -1)];
      // The old socket may linger briefly; retry the bind a bounded number of times.
      let lastErr: unknown;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          current = await launch(portArgs);
          return;
        } catch (err) {
          lastErr = err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw lastErr;
    },
  };
}
