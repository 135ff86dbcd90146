/**
 * Runs one language's suite as a child process (go test, pytest, mvn) with the fixture's env and
 * returns its exit code and output; the vitest wrappers assert exit 0 and print the output
 * (plus the broker logs) when it is not.
 */
import { spawn } from "node:child_process";

export interface SuiteResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
}

const OUTPUT_BYTES_MAX = 4 * 1024 * 1024;

export async function runSuite(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeout_ms: number },
): Promise<SuiteResult> {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const append = (chunk: Buffer): void => {
    if (output.length < OUTPUT_BYTES_MAX) output += chunk.toString("utf8");
  };
  child.stdout.on("data", append);
  child.stderr.on("data", append);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, opts.timeout_ms);
  return await new Promise<SuiteResult>((resolve) => {
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut, output: `${output}\nspawn ${cmd} failed: ${err.message}` });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output });
    });
  });
}

/** A readable failure message: the command, how it ended, its output and the broker logs. */
export function describeFailure(what: string, r: SuiteResult, brokerLogs: string): string {
  const how = r.timedOut ? "timed out" : `exited with code ${r.code ?? "null"} signal ${r.signal ?? "none"}`;
  return `${what} ${how}\n===== suite output =====\n${r.output}\n===== broker logs =====\n${brokerLogs}`;
}
