/**
 * Detached child processes that outlive the starter (so `npm run up` can return) and are stopped
 * later by PID. Every process gets LOCALKUBE_STATE=<cluster dir> in its environment: `down` uses it
 * as a last sweep for anything left behind, and tests use it to prove nothing is.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../common/wait.js";

export const STATE_ENV = "LOCALKUBE_STATE";

export interface Spawned {
  pid: number;
  logPath: string;
}

/** Start `cmd` in its own process group, stdout+stderr appended to `logPath`, pid in `pidPath`. */
export function spawnDetached(
  cmd: string,
  args: string[],
  opts: { logPath: string; pidPath: string; env: NodeJS.ProcessEnv; cwd?: string },
): Spawned {
  const fd = openSync(opts.logPath, "a");
  try {
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: opts.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
    child.on("error", () => undefined);
    child.unref();
    writeFileSync(opts.pidPath, `${child.pid}\n`);
    return { pid: child.pid, logPath: opts.logPath };
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped) is not alive for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export function readPid(pidPath: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(pidPath, "utf8").trim(), 10);
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** True when process `pid` carries `LOCALKUBE_STATE=<stateDir>`: guards against reused PIDs. */
export function belongsTo(pid: number, stateDir: string): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "latin1");
    return env.split("\0").includes(`${STATE_ENV}=${stateDir}`);
  } catch {
    return false;
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM the process group, wait up to `grace_ms`, then SIGKILL and wait for it to vanish. */
export async function stopProcess(pid: number, grace_ms: number): Promise<void> {
  if (!isAlive(pid)) return;
  signalGroup(pid, "SIGTERM");
  try {
    await waitFor(`pid ${pid} to exit`, () => !isAlive(pid), { timeout_ms: grace_ms, interval_ms: 50 });
    return;
  } catch {
    signalGroup(pid, "SIGKILL");
  }
  await waitFor(`pid ${pid} to exit after SIGKILL`, () => !isAlive(pid), { timeout_ms: 10_000, interval_ms: 50 });
}

/** Every live process whose environment says it belongs to `stateDir`. */
export function processesOf(stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (belongsTo(pid, stateDir) && isAlive(pid)) pids.push(pid);
  }
  return pids;
}

/** Stop a process recorded in `pidPath` (only if it is really ours) and remove the pid file. */
export async function stopPidFile(pidPath: string, stateDir: string, grace_ms: number): Promise<void> {
  const pid = readPid(pidPath);
  if (pid !== undefined && belongsTo(pid, stateDir)) await stopProcess(pid, grace_ms);
  rmSync(pidPath, { force: true });
}

export function pidFile(stateDir: string, name: string): string {
  return join(stateDir, "run", `${name}.pid`);
}
