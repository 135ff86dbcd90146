/**
 * Where localkube keeps things: the pinned versions (build/versions.env, the one place they are
 * recorded), the binary cache, per-cluster state directories and this checkout's root.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout root: the nearest ancestor with package.json (works from source and from dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "localkube", "build", "versions.env"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("localkube: cannot find the checkout root (package.json next to localkube/build/versions.env)");
}

export interface Versions {
  kube: string;
  etcd: string;
}

export function versions(): Versions {
  const text = readFileSync(join(repoRoot(), "localkube", "build", "versions.env"), "utf8");
  const get = (key: string): string => {
    const m = new RegExp(`^${key}=(\\S+)$`, "m").exec(text);
    if (!m?.[1]) throw new Error(`localkube/build/versions.env: ${key} missing`);
    return m[1];
  };
  return { kube: get("KUBE_VERSION"), etcd: get("ETCD_VERSION") };
}

/** An environment override; empty counts as unset. */
function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : v;
}

export function sluiceCache(): string {
  return env("SLUICE_CACHE") ?? join(homedir(), ".cache", "sluice");
}

/** `$LOCALKUBE_HOME` or `$SLUICE_CACHE/localkube/<kube version>`. */
export function localkubeHome(): string {
  return env("LOCALKUBE_HOME") ?? join(sluiceCache(), "localkube", versions().kube);
}

export function binDir(): string {
  return env("LOCALKUBE_BIN_DIR") ?? join(localkubeHome(), "bin");
}

export const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"] as const;
export type Binary = (typeof BINARIES)[number];

export function binary(name: Binary): string {
  return join(binDir(), name);
}

export function missingBinaries(): Binary[] {
  return BINARIES.filter((b) => !existsSync(binary(b)));
}

/** Parent of every cluster's state directory: `$LOCALKUBE_STATE_ROOT` or `$SLUICE_CACHE/localkube/clusters`. */
export function stateRoot(): string {
  return env("LOCALKUBE_STATE_ROOT") ?? join(sluiceCache(), "localkube", "clusters");
}

export function clusterDir(name: string): string {
  return resolve(stateRoot(), name);
}

/**
 * Host-wide registry of claimed network slots, shared by all clusters: netns slots (bridge lk<n>,
 * 10.244.<n>.0/24) in a root-only directory, loopback slots (127.77.<n>.0/24) in a sticky directory
 * every user can claim in. `$LOCALKUBE_RUN` overrides (one registry per mode below it).
 */
export function slotDir(mode: "netns" | "loopback" = "netns"): string {
  const base = env("LOCALKUBE_RUN");
  if (mode === "loopback") return base !== undefined ? join(base, "loopback-slots") : join(tmpdir(), "localkube-loopback-slots");
  return base ?? "/run/localkube/slots";
}

export const CLUSTER_NAME_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
