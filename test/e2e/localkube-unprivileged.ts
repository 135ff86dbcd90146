/**
 * Runs a localkube cluster as an unprivileged user from a root test process: the non-root "basic
 * path" (loopback network mode) proven with a real uid switch (`setpriv`), not just a flag. The
 * user gets a private HOME/SLUICE_CACHE; the Kubernetes binaries are hard-linked (or copied) into
 * it from the root-owned cache (never rebuilt), and this checkout is mirrored the same way when the
 * user cannot read it (e.g. a clone under /root).
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARIES, binary, repoRoot } from "../../localkube/paths.js";
import type { NetworkMode } from "../../localkube/net/addressing.js";
import { readRecord, type ClusterRecord } from "../../localkube/record.js";

export interface UnprivilegedUser {
  uid: number;
  gid: number;
}

export const NOBODY: UnprivilegedUser = { uid: 65534, gid: 65534 };
export const UP_OUTPUT_BYTES_MAX = 256 * 1024;

function asUserArgs(u: UnprivilegedUser): string[] {
  return ["--reuid", String(u.uid), "--regid", String(u.gid), "--clear-groups", "--"];
}

/** Run argv as `u`; true when it exits 0. */
function runsAs(u: UnprivilegedUser, argv: string[], cwd = "/"): boolean {
  try {
    execFileSync("setpriv", [...asUserArgs(u), ...argv], { stdio: "ignore", timeout: 30_000, cwd });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why a cluster cannot be run as `u` on this machine, or undefined. Only true environment limits:
 * not root (cannot switch user), no setpriv, a node binary the user may not execute, or a kernel
 * that refuses unprivileged user namespaces (pods with volumes need them in loopback mode).
 */
export function unprivilegedSkipReason(u: UnprivilegedUser): string | undefined {
  if (process.getuid?.() !== 0) return "the test process is not root, so it cannot switch to another user";
  try {
    execFileSync("setpriv", ["--version"], { stdio: "ignore" });
  } catch {
    return "setpriv (util-linux) is not installed";
  }
  if (!runsAs(u, [process.execPath, "-e", "0"])) return `uid ${u.uid} cannot execute ${process.execPath}`;
  if (!runsAs(u, ["unshare", "--user", "--map-root-user", "--mount", "--uts", "--", "true"])) {
    return `uid ${u.uid} cannot create user namespaces (kernel.unprivileged_userns_clone / user.max_user_namespaces / an LSM forbids it)`;
  }
  return undefined;
}

/** Hard-link (same filesystem) or copy `src` to `dst`. */
function linkOrCopy(src: string, dst: string): void {
  try {
    linkSync(src, dst);
  } catch {
    copyFileSync(src, dst);
    chmodSync(dst, 0o755);
  }
}

export interface UpArgs {
  name: string;
  nodes: number;
  nodeMonitorGracePeriod_s: number;
  timeout_ms: number;
  network?: NetworkMode;
}

export async function unprivilegedCluster(
  u: UnprivilegedUser,
  o: UpArgs,
  progress: (m: string) => void,
): Promise<{ record: ClusterRecord; home: string; down: (keep: boolean) => Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), "lk-unpriv-"));
  chmodSync(home, 0o700);
  chownSync(home, u.uid, u.gid);
  // Root-owned, world-readable directories inside the user's private home.
  const bin = join(home, "kube-bin");
  mkdirSync(bin, { mode: 0o755 });
  for (const b of BINARIES) linkOrCopy(binary(b), join(bin, b));
  let root = repoRoot();
  if (!runsAs(u, ["test", "-r", join(root, "dist", "cli", "main.js"), "-a", "-r", join(root, "node_modules", "commander", "package.json")])) {
    const mirror = join(home, "repo");
    mkdirSync(mirror, { mode: 0o755 });
    for (const part of ["package.json", "dist", "node_modules", "localkube"]) {
      try {
        execFileSync("cp", ["-al", join(root, part), mirror], { stdio: "pipe" });
      } catch {
        execFileSync("cp", ["-a", join(root, part), mirror], { stdio: "pipe" });
      }
    }
    root = mirror;
    progress(`checkout not readable by uid ${u.uid}: mirrored into ${mirror}`);
  }
  const env = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: home, SLUICE_CACHE: join(home, ".cache", "sluice"), LOCALKUBE_BIN_DIR: bin };
  const cli = join(root, "dist", "cli", "main.js");
  const run = (args: string[], timeout_ms: number): Promise<{ code: number; output: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn("setpriv", [...asUserArgs(u), process.execPath, "--enable-source-maps", cli, "localkube", ...args], { env, cwd: home, stdio: ["ignore", "pipe", "pipe"] });
      let output = "";
      const add = (d: Buffer): void => {
        const text = d.toString("utf8");
        for (const line of text.split("\n")) if (line !== "") progress(line);
        if (output.length < UP_OUTPUT_BYTES_MAX) output += text;
      };
      child.stdout.on("data", add);
      child.stderr.on("data", add);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeout_ms);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, output });
      });
    });
  const stateDir = join(env.SLUICE_CACHE, "localkube", "clusters", o.name);
  const down = async (keep: boolean): Promise<void> => {
    const r = await run(["down", "--name", o.name, ...(keep ? ["--keep"] : [])], 120_000);
    if (r.code !== 0) throw new Error(`localkube down as uid ${u.uid} failed (exit ${r.code}):\n${r.output}`);
    if (!keep) rmSync(home, { recursive: true, force: true });
  };
  const up = await run(
    ["up", "--name", o.name, "--nodes", String(o.nodes), "--node-grace", String(o.nodeMonitorGracePeriod_s), "--timeout", String(Math.ceil(o.timeout_ms / 1000)), ...(o.network !== undefined ? ["--network", o.network] : [])],
    o.timeout_ms + 60_000,
  );
  if (up.code !== 0 || !existsSync(join(stateDir, "cluster.json"))) {
    await down(false).catch(() => undefined);
    throw new Error(`localkube up as uid ${u.uid} failed (exit ${up.code}):\n${up.output.slice(-8000)}`);
  }
  return { record: readRecord(stateDir), home, down };
}
