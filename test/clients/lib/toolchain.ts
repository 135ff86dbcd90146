/**
 * Is a client toolchain set up (by scripts/setup.d/20-clients.sh)? Locally a missing toolchain
 * skips that language with the reason; in CI (CI=true) it fails loudly, because there the setup
 * script must have installed it.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { REPO_ROOT, SLUICE_CACHE } from "./server-process.js";

export const IN_CI = process.env["CI"] === "true" || process.env["CI"] === "1";
export const CLIENTS_DIR = join(REPO_ROOT, "test/clients");
export const PYTHON_VENV = process.env["SLUICE_CLIENTS_VENV"] ?? join(SLUICE_CACHE, "clients-venv");
export const PYTHON_BIN = join(PYTHON_VENV, "bin/python");
export const SETUP_HINT = "run `bash scripts/setup.d/20-clients.sh`";

/** Offline Go builds: no proxy, module cache only. */
export const GO_ENV: Record<string, string> = { GOPROXY: "off", GOFLAGS: "-mod=readonly", GOTOOLCHAIN: "local" };

function runs(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string | undefined {
  try {
    execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], timeout: 60_000, env: { ...process.env, ...env } });
    return undefined;
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return `\`${cmd} ${args.join(" ")}\` failed: ${(e.stderr?.toString() ?? e.message).trim().split("\n").slice(-3).join(" | ")}`;
  }
}

export function goToolchainMissing(): string | undefined {
  const dir = join(CLIENTS_DIR, "go");
  const why = runs("go", ["list", "-deps", "-test", "./..."], dir, GO_ENV);
  return why ? `Go suite not buildable offline (${why}); ${SETUP_HINT}` : undefined;
}

export function pythonToolchainMissing(): string | undefined {
  if (!existsSync(PYTHON_BIN)) return `no Python venv at ${PYTHON_VENV}; ${SETUP_HINT}`;
  const why = runs(PYTHON_BIN, ["-c", "import nats, pytest"], CLIENTS_DIR);
  return why ? `nats-py/pytest missing in ${PYTHON_VENV} (${why}); ${SETUP_HINT}` : undefined;
}

export function javaToolchainMissing(): string | undefined {
  const m2 = join(process.env["HOME"] ?? "/root", ".m2/repository/io/nats/jnats");
  const why = runs("mvn", ["-v"], CLIENTS_DIR);
  if (why) return `Maven not available (${why}); ${SETUP_HINT}`;
  if (!existsSync(m2)) return `jnats is not in the local Maven repository; ${SETUP_HINT}`;
  return undefined;
}

/**
 * JetStream client groups run when SLUICE_JS_CLIENT_TESTS=1, or when the target server answers
 * `$JS.API.INFO` (JetStream is built separately from the broker core). Returns why not, or undefined.
 */
export async function jetStreamUnavailable(url: string): Promise<string | undefined> {
  if (process.env["SLUICE_JS_CLIENT_TESTS"] === "1") return undefined;
  let nc;
  try {
    nc = await connect({ servers: url, timeout: 5_000, reconnect: false });
  } catch (err) {
    return `cannot connect to ${url}: ${(err as Error).message}`;
  }
  try {
    const reply = await nc.request("$JS.API.INFO", "", { timeout: 3_000 });
    const info = JSON.parse(reply.string()) as { type?: string; error?: { description?: string } };
    if (info.error) return `$JS.API.INFO answered an error: ${info.error.description ?? "?"}`;
    return undefined;
  } catch (err) {
    return `$JS.API.INFO not answered (${(err as Error).message})`;
  } finally {
    await nc.close();
  }
}
