/**
 * `-sl/--signal <command>[=<pid|pid file>]`: send a signal to a running broker and exit, as
 * nats-server does. Without a PID, the PID file given with -P (or the config's pid_file) is used;
 * nats-server would search processes by name, which for a Node process would be ambiguous.
 */
import { ConfigError } from "./errors.js";

/** nats-server's commands → signals (`stop` is SIGKILL there too). */
export const signalCommands: Readonly<Record<string, NodeJS.Signals>> = {
  stop: "SIGKILL",
  quit: "SIGINT",
  term: "SIGTERM",
  reopen: "SIGUSR1",
  reload: "SIGHUP",
  ldm: "SIGUSR2",
};

export interface SignalTarget {
  signal: NodeJS.Signals;
  pid: number;
}

/**
 * Resolves `text` to a signal and a PID. `readFile` reads a PID file; `fallbackPidFile` is the
 * -P flag or the config's pid_file.
 */
export function resolveSignal(text: string, readFile: (path: string) => string, fallbackPidFile: string | undefined): SignalTarget {
  const eq = text.indexOf("=");
  const command = (eq === -1 ? text : text.slice(0, eq)).trim().toLowerCase();
  const target = eq === -1 ? undefined : text.slice(eq + 1).trim();
  const signal = signalCommands[command];
  if (signal === undefined) {
    throw new ConfigError(`-sl: unknown signal "${command}" (expected one of ${Object.keys(signalCommands).join(", ")})`);
  }
  if (target !== undefined && /^\d+$/.test(target)) return { signal, pid: checkPid(Number(target), target) };
  const pidFile = target !== undefined && target !== "" ? target : fallbackPidFile;
  if (pidFile === undefined) {
    throw new ConfigError(`-sl: no process given: use -sl ${command}=<pid> or -sl ${command}=<pid file>, or -P <pid file>`);
  }
  let contents: string;
  try {
    contents = readFile(pidFile).trim();
  } catch (err) {
    throw new ConfigError(`-sl: cannot read PID file ${pidFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!/^\d+$/.test(contents)) throw new ConfigError(`-sl: PID file ${pidFile} does not contain a PID`);
  return { signal, pid: checkPid(Number(contents), pidFile) };
}

function checkPid(pid: number, from: string): number {
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new ConfigError(`-sl: invalid PID ${pid} (from ${from})`);
  return pid;
}
