/** cluster.json: everything about a running cluster that `down`, `status`, the agent and tests need. */
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Ports } from "./controlplane.js";
import type { NetworkMode, Slot } from "./net/addressing.js";

export interface ClusterRecord {
  name: string;
  stateDir: string;
  kubeVersion: string;
  /** netns (root: per-pod namespaces, DNS, ClusterIPs) or loopback (any user: 127.77.<slot>.x pod IPs). */
  network: NetworkMode;
  slot: Slot;
  ports: Ports;
  /** One kubelet log/exec endpoint per node, all on the gateway address. */
  kubeletPorts: number[];
  nodes: string[];
  kubeconfigPath: string;
  /** Same credentials, server on the bridge address: what pods use (in-cluster clients). */
  apiserverUrl: string;
  agentSocket: string;
  createdAt: string;
}

export function recordPath(stateDir: string): string {
  return join(stateDir, "cluster.json");
}

export function writeRecord(rec: ClusterRecord): void {
  const tmp = recordPath(rec.stateDir) + ".tmp";
  writeFileSync(tmp, JSON.stringify(rec, null, 2) + "\n");
  renameSync(tmp, recordPath(rec.stateDir));
}

export function readRecord(stateDir: string): ClusterRecord {
  let text: string;
  try {
    text = readFileSync(recordPath(stateDir), "utf8");
  } catch {
    throw new Error(`localkube: no cluster at ${stateDir} (cluster.json missing)`);
  }
  const rec = JSON.parse(text) as Omit<ClusterRecord, "network"> & { network?: NetworkMode };
  // Records written before loopback mode existed are netns clusters.
  return { ...rec, network: rec.network ?? "netns" };
}
