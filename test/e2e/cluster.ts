/**
 * Test helper: a real cluster for one test file (suite). Other e2e suites import this.
 * `startCluster` gives a backend-neutral E2ECluster (localkube, or kind when E2E_KIND=1);
 * `startLocalkube` gives localkube itself, with its record and fault injection:
 *
 *   const lk = await startLocalkube({ name: "op" });      // in beforeAll (hookTimeout covers it)
 *   const ns = await lk.createNamespace("mq");             // unique namespace, default SA ready
 *   await lk.kubectl(["apply", "-n", ns, "-f", "-"], { input: yaml });
 *   lk.kubeconfig (KubeConfig), lk.core / lk.apps (typed clients), lk.faults (fault injection)
 *   await lk.stop();                                       // in afterAll
 *
 * Skips only when binaries are absent AND LOCALKUBE_SKIP=1 (see `localkubeSkipReason`).
 *
 * `unprivileged: true` starts the cluster as an unprivileged user (see localkube-unprivileged.ts): the
 * non-root "basic path" in loopback network mode, driven from a root test process.
 */
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { down, up } from "../../localkube/cluster.js";
import { Faults } from "../../localkube/faults.js";
import type { NetworkMode } from "../../localkube/net/addressing.js";
import { binary, binDir, missingBinaries } from "../../localkube/paths.js";
import type { ClusterRecord } from "../../localkube/record.js";
import { e2eBackend, kubectlRunner, namespaces, reachByPodIp, type E2ECluster } from "./backend.js";
import { unprivilegedCluster, type UnprivilegedUser } from "./localkube-unprivileged.js";

export interface LocalkubeOptions {
  /** Cluster name prefix (unique suffix added); lowercase letters, digits, '-'. */
  name?: string;
  nodes?: number;
  /** KCM node-monitor-grace-period; lower it for node-failure tests (default 50 s). */
  nodeMonitorGracePeriod_s?: number;
  timeout_ms?: number;
  /** Keep the state directory (logs, volumes) after stop() for debugging; also LOCALKUBE_KEEP=1. */
  keep?: boolean;
  /** Pod network mode (default: what `up` picks: netns as root, loopback otherwise). */
  network?: NetworkMode;
  /** Run the cluster as this unprivileged user (the test process must be root); see localkube-unprivileged.ts. */
  unprivileged?: UnprivilegedUser;
}

/** The localkube backend adds its record (state dir, addressing) and fault injection. */
export interface Localkube extends E2ECluster {
  backend: "localkube";
  record: ClusterRecord;
  faults: Faults;
}

/** Why localkube suites are skipped, or undefined when they must run. */
export function localkubeSkipReason(): string | undefined {
  const missing = missingBinaries();
  if (missing.length === 0) return undefined;
  if (process.env["LOCALKUBE_SKIP"] === "1") return `localkube binaries missing in ${binDir()} (${missing.join(", ")}) and LOCALKUBE_SKIP=1`;
  return undefined; // startLocalkube() then fails with the build instructions
}

/** Why a backend-neutral suite (written against E2ECluster) is skipped, or undefined when it must run. */
export function clusterSkipReason(): string | undefined {
  return e2eBackend() === "kind" ? undefined : localkubeSkipReason();
}

/** Why a suite that tests localkube itself is skipped: it never runs on kind. */
export function localkubeOnlySkipReason(): string | undefined {
  if (e2eBackend() === "kind") return "E2E_KIND=1: this suite tests localkube itself; the backend-neutral suites run on kind";
  return localkubeSkipReason();
}

/** The cluster for a backend-neutral suite: localkube, or kind when E2E_KIND=1 (see kind/kind.ts). */
export async function startCluster(opts: { name?: string; nodes?: number; timeout_ms?: number } = {}): Promise<E2ECluster> {
  if (e2eBackend() === "kind") {
    const { startKind } = await import("./kind/kind.js");
    return startKind(opts);
  }
  return startLocalkube(opts);
}

let counter = 0;

export async function startLocalkube(opts: LocalkubeOptions = {}): Promise<Localkube> {
  const name = `${opts.name ?? "e2e"}-${process.pid}-${counter++}`.slice(0, 40).replace(/-+$/, "");
  const t0 = performance.now();
  const keep = opts.keep === true || process.env["LOCALKUBE_KEEP"] === "1";
  const progress = (m: string): void => {
    if (process.env["LOCALKUBE_VERBOSE"] === "1") process.stderr.write(`[localkube ${name}] ${m}\n`);
  };
  const upOpts = {
    name,
    nodes: opts.nodes ?? 3,
    nodeMonitorGracePeriod_s: opts.nodeMonitorGracePeriod_s ?? 50,
    timeout_ms: opts.timeout_ms ?? 240_000,
    ...(opts.network !== undefined ? { network: opts.network } : {}),
  };
  let record: ClusterRecord;
  let stop: () => Promise<void>;
  if (opts.unprivileged !== undefined) {
    const u = await unprivilegedCluster(opts.unprivileged, upOpts, progress);
    record = u.record;
    stop = () => u.down(keep);
  } else {
    record = await up({ ...upOpts, progress });
    stop = () => down({ name, keep });
  }
  const startup_ms = performance.now() - t0;
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(record.kubeconfigPath);
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const kubectlPath = binary("kubectl");
  return {
    backend: "localkube",
    name,
    record,
    kubeconfigPath: record.kubeconfigPath,
    kubeconfig,
    core,
    apps: kubeconfig.makeApiClient(AppsV1Api),
    kubectlPath,
    kubectl: kubectlRunner(kubectlPath, record.kubeconfigPath),
    ...namespaces(core),
    reach: reachByPodIp(core),
    faults: new Faults(record),
    startup_ms,
    stop,
  };
}
