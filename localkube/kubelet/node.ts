/**
 * A Node of the process kubelet: registration, status (conditions, addresses, capacity, nodeInfo,
 * kubelet endpoint) and the Lease heartbeat in kube-node-lease. `pause()` stops every heartbeat so
 * the real node-lifecycle controller sees the node go silent (fault injection).
 */
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { PatchStrategy, setHeaderOptions, type CoordinationV1Api, type CoreV1Api, type V1Node } from "@kubernetes/client-node";
import { isNotFound } from "../kube.js";

export const LEASE_DURATION_S = 40;
export const HEARTBEAT_MS = 10_000;

export interface NodeOptions {
  name: string;
  internalIp: string;
  kubeletPort: number;
  kubeVersion: string;
  zone: string;
  log: (msg: string) => void;
}

const smp = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Kubernetes MicroTime wants exactly six fractional digits. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function machineId(): string {
  try {
    return readFileSync("/etc/machine-id", "utf8").trim();
  } catch {
    return "00000000000000000000000000000000";
  }
}

export class NodeAgent {
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private uid = "";
  private readonly bootId = (() => {
    try {
      return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      return "unknown";
    }
  })();

  constructor(
    private readonly o: NodeOptions,
    private readonly core: CoreV1Api,
    private readonly coord: CoordinationV1Api,
  ) {}

  get name(): string {
    return this.o.name;
  }

  isActive(): boolean {
    return !this.paused;
  }

  async register(): Promise<void> {
    const body: V1Node = {
      metadata: {
        name: this.o.name,
        labels: {
          "kubernetes.io/hostname": this.o.name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "topology.kubernetes.io/zone": this.o.zone,
          "node.localkube.dev/process-kubelet": "true",
        },
      },
      spec: {},
    };
    try {
      const n = await this.core.createNode({ body });
      this.uid = n.metadata?.uid ?? "";
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      const n = await this.core.readNode({ name: this.o.name });
      this.uid = n.metadata?.uid ?? "";
    }
    await this.beat();
  }

  start(): void {
    this.timer = setInterval(() => void this.beat().catch((err: unknown) => this.o.log(`node ${this.o.name}: heartbeat failed: ${String(err)}`)), HEARTBEAT_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    void this.beat().catch(() => undefined);
  }

  async beat(): Promise<void> {
    if (this.paused) return;
    await this.renewLease();
    await this.postStatus();
  }

  private async renewLease(): Promise<void> {
    const now = microTime(new Date());
    try {
      await this.coord.patchNamespacedLease(
        { name: this.o.name, namespace: "kube-node-lease", body: { spec: { holderIdentity: this.o.name, leaseDurationSeconds: LEASE_DURATION_S, renewTime: now } } },
        merge,
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.coord.createNamespacedLease({
        namespace: "kube-node-lease",
        body: {
          metadata: { name: this.o.name, ownerReferences: [{ apiVersion: "v1", kind: "Node", name: this.o.name, uid: this.uid }] },
          spec: { holderIdentity: this.o.name, leaseDurationSeconds: LEASE_DURATION_S, renewTime: now as unknown as Date },
        },
      });
    }
  }

  private async postStatus(): Promise<void> {
    const now = new Date().toISOString();
    const cond = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: now,
    });
    const capacity = { cpu: "8", memory: "16Gi", pods: "110", "ephemeral-storage": "100Gi" };
    const body = {
      status: {
        conditions: [
          cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
          cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
          cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
          cond("Ready", "True", "KubeletReady", "process kubelet is posting ready status"),
        ],
        addresses: [
          { type: "InternalIP", address: this.o.internalIp },
          { type: "Hostname", address: this.o.name },
        ],
        capacity,
        allocatable: capacity,
        daemonEndpoints: { kubeletEndpoint: { Port: this.o.kubeletPort } },
        nodeInfo: {
          machineID: machineId(),
          systemUUID: machineId(),
          bootID: this.bootId,
          kernelVersion: release(),
          osImage: "localkube process runtime",
          containerRuntimeVersion: "process://0.1",
          kubeletVersion: this.o.kubeVersion,
          kubeProxyVersion: "",
          operatingSystem: "linux",
          architecture: "amd64",
        },
      },
    };
    // lastTransitionTime only when the condition is new or changes: fetch once to compare.
    const current = await this.core.readNodeStatus({ name: this.o.name });
    for (const c of body.status.conditions) {
      const before = current.status?.conditions?.find((x) => x.type === c["type"]);
      c["lastTransitionTime"] = before && before.status === c["status"] && before.lastTransitionTime ? new Date(before.lastTransitionTime).toISOString() : now;
    }
    await this.core.patchNodeStatus({ name: this.o.name, body }, smp);
  }
}
