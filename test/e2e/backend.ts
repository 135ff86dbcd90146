/**
 * What every e2e backend gives a suite: a real Kubernetes cluster (localkube by default, kind with
 * E2E_KIND=1), a kubeconfig, kubectl, namespaces and a way for the test process to reach a pod's
 * port. Suites written against `E2ECluster` run unchanged on both backends.
 */
import { spawn } from "node:child_process";
import type { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { waitFor } from "../../common/wait.js";

export type BackendName = "localkube" | "kind";

/** `E2E_KIND=1` picks kind; unset, empty or `0` picks localkube; anything else is a mistake worth stopping for. */
export function e2eBackend(env: NodeJS.ProcessEnv = process.env): BackendName {
  const v = env["E2E_KIND"];
  if (v === undefined || v === "" || v === "0") return "localkube";
  if (v === "1") return "kind";
  throw new Error(`E2E_KIND must be 1 (run the e2e suites on kind) or 0/unset (localkube), not "${v}"`);
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Kubectl = (args: string[], opts?: { input?: string; timeout_ms?: number }) => Promise<KubectlResult>;

/** Where the test process reaches one pod port; `close` releases any forwarder behind it. */
export interface PodEndpoint {
  host: string;
  port: number;
  close: () => Promise<void>;
}

export interface E2ECluster {
  backend: BackendName;
  name: string;
  kubeconfigPath: string;
  kubeconfig: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  kubectlPath: string;
  kubectl: Kubectl;
  /** Create a uniquely named namespace and wait until its default ServiceAccount exists. */
  createNamespace: (prefix?: string) => Promise<string>;
  deleteNamespace: (name: string) => Promise<void>;
  /** A host:port on which this process reaches `port` of a pod (the pod IP, or a port-forward). */
  reach: (namespace: string, pod: string, port: number) => Promise<PodEndpoint>;
  /** Measured time the cluster took to come up, ms. */
  startup_ms: number;
  stop: () => Promise<void>;
}

export const KUBECTL_OUTPUT_BYTES_MAX = 16 * 1024 * 1024;
export const KUBECTL_TIMEOUT_MS = 60_000;

export function kubectlRunner(kubectlPath: string, kubeconfigPath: string): Kubectl {
  return (args, o = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(kubectlPath, ["--kubeconfig", kubeconfigPath, ...args], { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), o.timeout_ms ?? KUBECTL_TIMEOUT_MS);
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
}

export function namespaces(core: CoreV1Api): Pick<E2ECluster, "createNamespace" | "deleteNamespace"> {
  let counter = 0;
  return {
    createNamespace: async (prefix = "t") => {
      const ns = `${prefix}-${counter++}-${Math.random().toString(36).slice(2, 7)}`;
      await core.createNamespace({ body: { metadata: { name: ns } } });
      await waitFor(
        `default ServiceAccount in ${ns}`,
        async () => {
          await core.readNamespacedServiceAccount({ name: "default", namespace: ns });
          return true;
        },
        { timeout_ms: 30_000, interval_ms: 100 },
      );
      return ns;
    },
    deleteNamespace: async (ns) => {
      await core.deleteNamespace({ name: ns });
    },
  };
}

/** Pod IPs are routable from the host (localkube): reach a pod port directly, nothing to close. */
export function reachByPodIp(core: CoreV1Api): E2ECluster["reach"] {
  return async (namespace, pod, port) => {
    const p = await core.readNamespacedPod({ name: pod, namespace });
    const host = p.status?.podIP;
    if (host === undefined || host === "") throw new Error(`pod ${namespace}/${pod} has no IP yet`);
    return { host, port, close: async () => {} };
  };
}
