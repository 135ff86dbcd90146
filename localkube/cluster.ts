/**
 * `up` and `down` for one named cluster. `up` starts etcd, the apiserver (waits for /readyz), the
 * controller manager, the scheduler and the localkube agent (process kubelet for N nodes, DNS,
 * volume provisioner) as detached processes with pid files, then waits until every node is Ready
 * and untainted. `down` stops them by PID, sweeps pods and network namespaces, and removes the
 * state directory unless asked to keep it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { waitFor } from "../common/wait.js";
import { componentSpecs, type Ports } from "./controlplane.js";
import { freePort, httpGet } from "./http.js";
import { capEffFromStatus, defaultNetworkMode, loopbackAdvertiseAddress, netnsUnavailableReason, type NetworkMode } from "./net/addressing.js";
import { claimSlot, createBridge, deleteBridge, deleteSandbox, listSandboxes, releaseSlot } from "./net/network.js";
import { clusterDir, CLUSTER_NAME_RE, missingBinaries, repoRoot, versions, binDir } from "./paths.js";
import { createPki, kubeconfigYaml } from "./pki.js";
import { pidFile, processesOf, spawnDetached, STATE_ENV, stopPidFile, stopProcess, isAlive, readPid } from "./procs.js";
import { readRecord, recordPath, writeRecord, type ClusterRecord } from "./record.js";

export interface UpOptions {
  name: string;
  nodes?: number;
  /** Shorter values make node-failure tests fast; upstream default is 50. */
  nodeMonitorGracePeriod_s?: number;
  progress?: (msg: string) => void;
  timeout_ms?: number;
  /** Pod network; default: netns when this process can (root with the capabilities), else loopback. */
  network?: NetworkMode;
}

export const NODES_MAX = 20;

function capEff(): bigint | undefined {
  try {
    return capEffFromStatus(readFileSync("/proc/self/status", "utf8"));
  } catch {
    return undefined;
  }
}

/** The mode `up` picks without --network, and why netns is out when it is. */
export function detectNetworkMode(): { mode: NetworkMode; netnsUnavailable: string | undefined } {
  const uid = process.getuid?.();
  const caps = capEff();
  return { mode: defaultNetworkMode(uid, caps), netnsUnavailable: netnsUnavailableReason(uid, caps) };
}

function env(stateDir: string): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin", HOME: process.env["HOME"] ?? "/root", [STATE_ENV]: stateDir };
}

export function isRunning(stateDir: string): boolean {
  if (!existsSync(recordPath(stateDir))) return false;
  const pid = readPid(pidFile(stateDir, "kube-apiserver"));
  return pid !== undefined && isAlive(pid);
}

export async function up(opts: UpOptions): Promise<ClusterRecord> {
  const say = opts.progress ?? (() => undefined);
  const t0 = performance.now();
  const deadline_ms = opts.timeout_ms ?? 180_000;
  if (!CLUSTER_NAME_RE.test(opts.name)) throw new Error(`localkube: invalid cluster name "${opts.name}" (lowercase letters, digits, '-', at most 40)`);
  const nodes = opts.nodes ?? 3;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > NODES_MAX) throw new Error(`localkube: nodes must be 1..${NODES_MAX}, got ${nodes}`);
  const detected = detectNetworkMode();
  const network = opts.network ?? detected.mode;
  if (network === "netns" && detected.netnsUnavailable !== undefined) {
    throw new Error(`localkube: network mode netns needs root with CAP_NET_ADMIN and CAP_SYS_ADMIN (${detected.netnsUnavailable}); use --network loopback (see localkube/README.md)`);
  }
  const missing = missingBinaries();
  if (missing.length > 0) throw new Error(`localkube: binaries missing in ${binDir()}: ${missing.join(", ")}; build them with localkube/build/build.sh (or scripts/setup.d/50-localkube.sh)`);
  const root = repoRoot();
  const cliJs = join(root, "dist", "cli", "main.js");
  if (!existsSync(cliJs)) throw new Error(`localkube: ${cliJs} missing: build with \`npx tsc -p .\``);

  const stateDir = clusterDir(opts.name);
  if (isRunning(stateDir)) throw new Error(`localkube: cluster "${opts.name}" is already running (state ${stateDir}); run down first`);
  if (existsSync(stateDir)) await down({ name: opts.name });
  for (const d of ["run", "logs", "pki", "etcd", "pods", "volumes"]) mkdirSync(join(stateDir, d), { recursive: true });

  const slot = claimSlot(stateDir, network);
  try {
    if (network === "netns") {
      createBridge(slot);
      say(`network: bridge ${slot.bridge} ${slot.gateway}/24, services ${slot.serviceCidr}`);
    } else {
      say(`network: loopback, pods get ${slot.podCidr} addresses on the host network (no cluster DNS, ClusterIPs or network faults: those need root)`);
    }
    const pki = createPki(join(stateDir, "pki"), { gateway: slot.gateway, serviceIp: slot.firstServiceIp });
    const ports: Ports = {
      etcdClient: await freePort(),
      etcdPeer: await freePort(),
      apiserver: await freePort("0.0.0.0"),
      controllerManager: await freePort(),
      scheduler: await freePort(),
    };
    const kubeletPorts: number[] = [];
    for (let i = 0; i < nodes; i++) kubeletPorts.push(await freePort("0.0.0.0"));
    const kubeconfigPath = join(stateDir, "kubeconfig");
    writeFileSync(kubeconfigPath, kubeconfigYaml({ name: `localkube-${opts.name}`, server: `https://127.0.0.1:${ports.apiserver}`, caCert: pki.caCert, token: pki.adminToken }), { mode: 0o600 });
    const rec: ClusterRecord = {
      name: opts.name,
      stateDir,
      kubeVersion: versions().kube,
      network,
      slot,
      ports,
      kubeletPorts,
      nodes: Array.from({ length: nodes }, (_, i) => `${opts.name}-node-${i + 1}`),
      kubeconfigPath,
      apiserverUrl: `https://${slot.gateway}:${ports.apiserver}`,
      agentSocket: join(stateDir, "run", "agent.sock"),
      createdAt: new Date().toISOString(),
    };
    writeRecord(rec);
    const ca = readFileSync(pki.caCert);
    const specs = componentSpecs({
      stateDir,
      pki,
      ports,
      advertiseAddress: network === "netns" ? slot.gateway : loopbackAdvertiseAddress(networkInterfaces()),
      serviceCidr: slot.serviceCidr,
      kubeconfigPath,
      nodeMonitorGracePeriod_s: opts.nodeMonitorGracePeriod_s ?? 50,
    });
    const start = (name: string, cmd: string, args: string[]): number =>
      spawnDetached(cmd, args, { logPath: join(stateDir, "logs", `${name}.log`), pidPath: pidFile(stateDir, name), env: env(stateDir), cwd: stateDir }).pid;
    const waitUp = async (what: string, pid: number, check: () => Promise<boolean>): Promise<void> => {
      const left = Math.max(5_000, deadline_ms - (performance.now() - t0));
      await waitFor(what, async () => {
        if (!isAlive(pid)) throw new Error(`${what}: process exited; see ${join(stateDir, "logs")}`);
        return check();
      }, { timeout_ms: left, interval_ms: 200 });
    };
    for (const spec of specs) {
      const pid = start(spec.name, spec.cmd, spec.args);
      const s = performance.now();
      if (spec.name === "etcd") {
        await waitUp("etcd /health", pid, async () => (await fetch(`http://127.0.0.1:${ports.etcdClient}/health`).catch(() => undefined))?.ok === true);
      } else if (spec.name === "kube-apiserver") {
        await waitUp("kube-apiserver /readyz", pid, async () => (await httpGet(`https://127.0.0.1:${ports.apiserver}/readyz`, { ca }).catch(() => undefined))?.status === 200);
      } else {
        const port = spec.name === "kube-scheduler" ? ports.scheduler : ports.controllerManager;
        await waitUp(`${spec.name} /healthz`, pid, async () => (await httpGet(`https://127.0.0.1:${port}/healthz`, { insecure: true }).catch(() => undefined))?.status === 200);
      }
      say(`${spec.name} ready (pid ${pid}, ${Math.round(performance.now() - s)} ms)`);
    }
    const agentPid = start("agent", process.execPath, ["--enable-source-maps", cliJs, "localkube", "agent", "--state", stateDir]);
    const { waitClusterReady } = await import("./ready.js");
    await waitClusterReady(rec, {
      timeout_ms: Math.max(10_000, deadline_ms - (performance.now() - t0)),
      alive: () => {
        if (!isAlive(agentPid)) throw new Error(`localkube agent exited; see ${join(stateDir, "logs", "agent.log")}`);
      },
      progress: say,
    });
    say(`cluster "${opts.name}" ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return rec;
  } catch (err) {
    await down({ name: opts.name, keep: true }).catch(() => undefined);
    throw err;
  }
}

export interface DownOptions {
  name: string;
  keep?: boolean;
  progress?: (msg: string) => void;
}

/** Stop everything of cluster `name`; safe to call on a half-started or already stopped cluster. */
export async function down(opts: DownOptions): Promise<void> {
  const say = opts.progress ?? (() => undefined);
  const stateDir = clusterDir(opts.name);
  if (!existsSync(stateDir)) return;
  let rec: ClusterRecord | undefined;
  try {
    rec = readRecord(stateDir);
  } catch {
    rec = undefined;
  }
  // The agent first: it stops pods (SIGTERM, short grace) and tears down their namespaces.
  await stopPidFile(pidFile(stateDir, "agent"), stateDir, 20_000);
  for (const name of ["kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"]) {
    await stopPidFile(pidFile(stateDir, name), stateDir, 10_000);
  }
  // Sweep: pods orphaned by a killed agent, anything else carrying our marker.
  for (const pid of processesOf(stateDir)) await stopProcess(pid, 2_000);
  if (rec !== undefined) {
    for (const ns of listSandboxes(rec.slot)) deleteSandbox(ns);
    deleteBridge(rec.slot);
    releaseSlot(rec.slot, stateDir);
  }
  say(`cluster "${opts.name}" stopped`);
  if (opts.keep !== true) {
    rmSync(stateDir, { recursive: true, force: true });
  } else if (rec !== undefined) {
    rmSync(recordPath(stateDir), { force: true });
    writeFileSync(join(stateDir, "STOPPED"), new Date().toISOString() + "\n");
  }
}
