/**
 * Test helper: a real localkube cluster for one test file (suite). Other e2e suites import this.
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
import { spawn } from "node:child_process";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { waitFor } from "../../common/wait.js";
import { down, up } from "../../localkube/cluster.js";
import { Faults } from "../../localkube/faults.js";
import type { NetworkMode } from "../../localkube/net/addressing.js";
import { binary, binDir, missingBinaries } from "../../localkube/paths.js";
import type { ClusterRecord } from "../../localkube/record.js";
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

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Localkube {
  name: string;
  record: ClusterRecord;
  kubeconfigPath: string;
  kubeconfig: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  kubectlPath: string;
  faults: Faults;
  /** Measured time `up` took, ms. */
  startup_ms: number;
  kubectl: (args: string[], opts?: { input?: string; timeout_ms?: number }) => Promise<KubectlResult>;
  /** Create a uniquely named namespace and wait until its default ServiceAccount exists. */
  createNamespace: (prefix?: string) => Promise<string>;
  deleteNamespace: (name: string) => Promise<void>;
  stop: () => Promise<void>;
}

export const KUBECTL_OUTPUT_BYTES_MAX = 16 * 1024 * 1024;

/** Why localkube suites are skipped, or undefined when they must run. */
export function localkubeSkipReason(): string | undefined {
  const missing = missingBinaries();
  if (missing.length === 0) return undefined;
  if (process.env["LOCALKUBE_SKIP"] === "1") return `localkube binaries missing in ${binDir()} (${missing.join(", ")}) and LOCALKUBE_SKIP=1`;
  return undefined; // startLocalkube() then fails with the build instructions
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
  const kubectl = (args: string[], o: { input?: string; timeout_ms?: number } = {}): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(kubectlPath, ["--kubeconfig", record.kubeconfigPath, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), o.timeout_ms ?? 60_000);
      child.stdout.on("data", (d: Buffer) => {
        if (stdout.length < KUBECTL_OUTPUT_BYTES_MAX) stdout += d.toString("utf8");
      });
      child.stderr.on("data", (d: Buffer) => {
        if (stderr.length < KUBECTL_OUTPUT_BYTES_MAX) stderr += d.toString("utf8");
      });
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(o.input ?? "");
    });
  let nsCounter = 0;
  return {
    name,
    record,
    kubeconfigPath: record.kubeconfigPath,
    kubeconfig,
    core,
    apps: kubeconfig.makeApiClient(AppsV1Api),
    kubectlPath,
    faults: new Faults(record),
    startup_ms,
    kubectl,
    createNamespace: async (prefix = "t") => {
      const ns = `${prefix}-${nsCounter++}-${Math.random().toString(36).slice(2, 7)}`;
      await core.createNamespace({ body: { metadata: { name: ns } } });
      await waitFor(`default ServiceAccount in ${ns}`, async () => {
        await core.readNamespacedServiceAccount({ name: "default", namespace: ns });
        return true;
      }, { timeout_ms: 30_000, interval_ms: 100 });
      return ns;
    },
    deleteNamespace: async (ns) => {
      await core.deleteNamespace({ name: ns });
    },
    stop,
  };
}
