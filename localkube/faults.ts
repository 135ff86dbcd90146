/**
 * Client of the agent's control socket: fault injection for tests (kill a container's process,
 * silence a node, cut a pod's network) plus deleting a claim's volume directory.
 */
import { request } from "node:http";
import { rmSync } from "node:fs";
import { CoreV1Api } from "@kubernetes/client-node";
import { loadKubeConfig } from "./kube.js";
import type { ClusterRecord } from "./record.js";

export interface AgentPod {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  ip: string | undefined;
  containers: { name: string; pid: number | undefined; restartCount: number }[];
}

export function agentCall<T>(socketPath: string, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? "" : JSON.stringify(body);
    const req = request({ socketPath, method, path, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) }, timeout: 10_000 }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString("utf8")));
      res.on("end", () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = { error: text };
        }
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`localkube agent ${method} ${path}: ${(parsed as { error?: string }).error ?? res.statusCode}`));
        else resolve(parsed as T);
      });
    });
    req.on("timeout", () => req.destroy(new Error(`localkube agent ${path}: timeout`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** A fault that needs per-pod network namespaces (netns mode, root) was asked of a loopback cluster. */
export class NetnsRequiredError extends Error {
  constructor(what: string) {
    super(`localkube: ${what} needs network mode netns (root); this cluster runs in loopback mode, where pods share the host network namespace`);
    this.name = "NetnsRequiredError";
  }
}

export class Faults {
  constructor(private readonly rec: ClusterRecord) {}

  pods(): Promise<AgentPod[]> {
    return agentCall(this.rec.agentSocket, "GET", "/pods");
  }

  /** SIGKILL the container's process group; the kubelet restarts it per restartPolicy. Returns the killed pid. */
  async killContainer(namespace: string, name: string, container?: string): Promise<number> {
    const r = await agentCall<{ pid: number }>(this.rec.agentSocket, "POST", "/pods/kill", { namespace, name, ...(container !== undefined ? { container } : {}) });
    return r.pid;
  }

  /** Stop a node's heartbeats (lease, node status, its pods' status): the node-lifecycle controller takes over. */
  async stopNode(node: string): Promise<void> {
    await agentCall(this.rec.agentSocket, "POST", "/nodes/stop", { node });
  }

  async startNode(node: string): Promise<void> {
    await agentCall(this.rec.agentSocket, "POST", "/nodes/start", { node });
  }

  /** Take the pod's veth down (cut) or up (restore): the pod keeps running, unreachable. */
  async cutNetwork(namespace: string, name: string, cut = true): Promise<void> {
    if (this.rec.network !== "netns") throw new NetnsRequiredError(cut ? "cutting a pod's network" : "restoring a pod's network");
    await agentCall(this.rec.agentSocket, "POST", "/pods/network", { namespace, name, cut });
  }

  /** Delete the directory backing a claim's volume (simulated disk loss). Returns the path. */
  async deleteClaimData(namespace: string, claim: string): Promise<string> {
    const core = loadKubeConfig(this.rec.kubeconfigPath).makeApiClient(CoreV1Api);
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace });
    const pvName = pvc.spec?.volumeName;
    if (!pvName) throw new Error(`claim ${namespace}/${claim} is not bound`);
    const pv = await core.readPersistentVolume({ name: pvName });
    const path = pv.spec?.hostPath?.path;
    if (path === undefined || !path.startsWith(this.rec.stateDir + "/")) throw new Error(`volume ${pvName} is not a localkube directory`);
    rmSync(path, { recursive: true, force: true });
    return path;
  }
}
