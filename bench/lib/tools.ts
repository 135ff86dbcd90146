/**
 * The reference tools the benches compare against, built from source with the Go toolchain into
 * $SLUICE_CACHE/bin and rebuilt only when missing or at another version: nats-server (pinned)
 * and natscli (`nats bench`; v0.5.0 — v0.5.1 is skipped on purpose).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { SLUICE_CACHE } from "../../test/clients/lib/server-process.js";

export const NATS_SERVER_VERSION = "v2.11.17";
export const NATSCLI_VERSION = "v0.5.0";
export const TOOLS_BIN = join(SLUICE_CACHE, "bin");
export const NATS_SERVER_BIN = join(TOOLS_BIN, "nats-server");
export const NATS_BIN = join(TOOLS_BIN, "nats");

function versionOf(bin: string): string | undefined {
  if (!existsSync(bin)) return undefined;
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch {
    return undefined;
  }
}

function goInstall(pkg: string): void {
  console.log(`building ${pkg} into ${TOOLS_BIN} (one time; cached)`);
  mkdirSync(TOOLS_BIN, { recursive: true });
  execFileSync("go", ["install", pkg], {
    stdio: "inherit",
    timeout: 20 * 60_000,
    env: { ...process.env, GOBIN: TOOLS_BIN, GOTOOLCHAIN: process.env["GOTOOLCHAIN"] ?? "local", GOFLAGS: "-mod=mod" },
  });
}

/** Make sure both tools exist at the pinned versions; returns their version strings. */
export function ensureTools(): { natsServer: string; natscli: string } {
  if (!versionOf(NATS_SERVER_BIN)?.includes(NATS_SERVER_VERSION)) {
    goInstall(`github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}`);
  }
  if (versionOf(NATS_BIN) !== NATSCLI_VERSION) {
    goInstall(`github.com/nats-io/natscli/nats@${NATSCLI_VERSION}`);
  }
  const natsServer = versionOf(NATS_SERVER_BIN);
  const natscli = versionOf(NATS_BIN);
  if (!natsServer || !natscli) throw new Error(`tools missing after build: nats-server=${natsServer} nats=${natscli}`);
  return { natsServer, natscli };
}
