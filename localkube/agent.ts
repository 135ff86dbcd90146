/**
 * The localkube agent (`sluice localkube agent --state <dir>`): one process that is the process
 * kubelet for every node of the cluster, the cluster DNS responder, the local-path provisioner,
 * the kubelet log endpoints and a control socket for fault injection.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  PatchStrategy,
  setHeaderOptions,
  StorageV1Api,
  type KubernetesObject,
  type V1ConfigMap,
  type V1EndpointSlice,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1Secret,
  type V1Service,
} from "@kubernetes/client-node";
import { buildZone, type Zone } from "./dns/records.js";
import { DnsServer } from "./dns/server.js";
import { apiStatus, ListWatch, loadKubeConfig, type ListResult, type WatchEvent } from "./kube.js";
import { startLogServer } from "./kubelet/logserver.js";
import { NodeAgent } from "./kubelet/node.js";
import { PodWorker, podKey } from "./kubelet/pod.js";
import { allocateHostPart, hostPartOf } from "./net/addressing.js";
import { createSandbox, deleteSandbox, listSandboxes, setPodLinkDown } from "./net/network.js";
import { ServiceProxy } from "./net/serviceproxy.js";
import { repoRoot } from "./paths.js";
import { loadPki } from "./pki.js";
import { ensureStorageClass, Provisioner } from "./provisioner.js";
import { readRecord } from "./record.js";

const smp = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
export const NETNS_ONLY_FAULT = "cutting a pod's network needs netns mode (root): in loopback mode pods share the host network namespace";
export const CONTROL_BODY_BYTES_MAX = 64 * 1024;

function log(msg: string): void {
  process.stdout.write(`${new Date().toISOString()} ${msg}\n`);
}

function which(cmd: string): string {
  for (const dir of ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]) {
    try {
      execFileSync("test", ["-x", join(dir, cmd)]);
      return join(dir, cmd);
    } catch {
      // next
    }
  }
  throw new Error(`localkube agent: ${cmd} not found`);
}

/** Loopback mode: can this user make the per-container user+mount+UTS namespaces? Reason if not. */
function usernsUnavailable(): string | undefined {
  try {
    execFileSync("unshare", ["--user", "--map-root-user", "--mount", "--uts", "--", "true"], { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000 });
    return undefined;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim() ?? "";
    return `unshare --user failed: ${stderr || String(err)}`;
  }
}

export async function runAgent(stateDir: string): Promise<number> {
  const rec = readRecord(stateDir);
  const kc = loadKubeConfig(rec.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const coord = kc.makeApiClient(CoordinationV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const pki = loadPki(join(stateDir, "pki"));
  const nodeSet = new Set(rec.nodes);
  const loopback = rec.network === "loopback";
  const ipPath = loopback ? "" : which("ip");
  const root = repoRoot();
  const userns = loopback ? usernsUnavailable() : undefined;
  if (userns !== undefined) log(`loopback mode without user namespaces (${userns}): pods with volume mounts will fail`);

  const nodes = new Map<string, NodeAgent>();
  rec.nodes.forEach((name, i) => {
    nodes.set(name, new NodeAgent({ name, internalIp: rec.slot.gateway, kubeletPort: rec.kubeletPorts[i] ?? 0, kubeVersion: rec.kubeVersion, zone: `zone-${(i % 3) + 1}`, log }, core, coord));
  });
  for (const n of nodes.values()) {
    await n.register();
    n.start();
  }
  await ensureStorageClass(storage);

  const watches: ListWatch<KubernetesObject>[] = [];
  const watch = <T extends KubernetesObject>(path: string, list: () => Promise<ListResult<T>>, onEvent: (t: WatchEvent, o: T) => void): ListWatch<T> => {
    const lw = new ListWatch<T>({ kc, path, list, onEvent, onError: (e) => log(`watch ${path}: ${String(e)}`) });
    watches.push(lw as unknown as ListWatch<KubernetesObject>);
    lw.start();
    return lw;
  };
  const configMaps = watch<V1ConfigMap>("/api/v1/configmaps", () => core.listConfigMapForAllNamespaces(), () => undefined);
  const secrets = watch<V1Secret>("/api/v1/secrets", () => core.listSecretForAllNamespaces(), () => undefined);
  const provisioner = new Provisioner(core, join(stateDir, "volumes"), nodeSet, log);
  const pvcs = watch<V1PersistentVolumeClaim>("/api/v1/persistentvolumeclaims", () => core.listPersistentVolumeClaimForAllNamespaces(), (t, o) => {
    if (t !== "DELETED") void provisioner.onClaim(o);
  });
  const pvs = watch<V1PersistentVolume>("/api/v1/persistentvolumes", () => core.listPersistentVolume(), (t, o) => {
    if (t !== "DELETED") void provisioner.onVolume(o);
  });
  let zone: Zone | undefined;
  // ClusterIPs and cluster DNS need the bridge (netns mode); loopback mode has neither.
  const proxy = loopback ? undefined : new ServiceProxy(rec.slot.bridge, rec.slot.serviceCidr.replace(/0\/24$/, ""), log);
  let proxyTimer: NodeJS.Timeout | undefined;
  const servicesChanged = (): void => {
    zone = undefined;
    if (!proxy) return;
    proxyTimer ??= setTimeout(() => {
      proxyTimer = undefined;
      proxy.update([...services.cache.values()], [...slices.cache.values()]);
      zone = undefined;
    }, 50);
  };
  const services = watch<V1Service>("/api/v1/services", () => core.listServiceForAllNamespaces(), servicesChanged);
  const slices = watch<V1EndpointSlice>("/apis/discovery.k8s.io/v1/endpointslices", () => discovery.listEndpointSliceForAllNamespaces(), servicesChanged);
  const currentZone = (): Zone => (zone ??= buildZone([...services.cache.values()], [...slices.cache.values()], (svc) => proxy?.served(svc)));

  // Pod IPs: host parts POD_IP_FIRST..POD_IP_LAST of the slot's /24.
  const usedIps = new Set<number>();
  const allocIp = (): string => {
    const h = allocateHostPart(usedIps);
    if (h === undefined) throw new Error(`localkube: pod IP range ${rec.slot.podCidr} exhausted`);
    usedIps.add(h);
    return `${rec.slot.prefix}${h}`;
  };
  const freeIp = (ip: string): void => {
    const h = hostPartOf(rec.slot, ip);
    if (h !== undefined) usedIps.delete(h);
  };

  const workers = new Map<string, PodWorker>();
  const get = <T extends KubernetesObject>(lw: ListWatch<T>, ns: string, name: string): T | undefined => lw.cache.get(`${ns}/${name}`);
  const runtime = {
    stateDir,
    repoRoot: root,
    ipPath,
    network: rec.network,
    usernsUnavailable: userns,
    preloadUrl: pathToFileURL(join(root, "dist", "localkube", "net", "preload.js")).href,
    hostIp: rec.slot.gateway,
    kubernetesServicePort: rec.ports.apiserver,
    lookups: {
      configMap: (ns: string, name: string) => get(configMaps, ns, name),
      secret: (ns: string, name: string) => get(secrets, ns, name),
      pvc: (ns: string, name: string) => get(pvcs, ns, name),
      pv: (name: string) => get(pvs, "", name),
      token: async (pod: V1Pod, audience: string | undefined, expirationSeconds: number): Promise<string> => {
        const res = await core.createNamespacedServiceAccountToken({
          name: pod.spec?.serviceAccountName ?? "default",
          namespace: pod.metadata?.namespace ?? "default",
          body: {
            spec: {
              audiences: audience !== undefined ? [audience] : [],
              expirationSeconds,
              boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name ?? "", uid: pod.metadata?.uid ?? "" },
            },
          },
        });
        return res.status?.token ?? "";
      },
    },
    createSandbox: (pod: V1Pod) => {
      const podIp = allocIp();
      if (loopback) return { netns: "", hostVeth: "", ip: podIp };
      const ns = pod.metadata?.namespace ?? "default";
      const hostname = pod.spec?.hostname ?? pod.metadata?.name ?? "pod";
      const fqdn = pod.spec?.subdomain ? `${hostname}.${pod.spec.subdomain}.${ns}.svc.cluster.local` : undefined;
      try {
        return createSandbox(rec.slot, pod.metadata?.uid ?? "", podIp, { hostname, fqdn, namespace: ns });
      } catch (err) {
        freeIp(podIp);
        throw err;
      }
    },
    destroySandbox: (_pod: V1Pod, sb: { netns: string; ip: string }) => {
      if (sb.netns !== "") deleteSandbox(sb.netns);
      freeIp(sb.ip);
    },
    patchStatus: async (pod: V1Pod, status: V1Pod["status"]) => {
      await core.patchNamespacedPodStatus(
        { name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "", body: { metadata: { uid: pod.metadata?.uid }, status } },
        smp,
      );
    },
    deletePod: async (pod: V1Pod) => {
      try {
        await core.deleteNamespacedPod({
          name: pod.metadata?.name ?? "",
          namespace: pod.metadata?.namespace ?? "",
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid ?? "" } },
        });
      } catch (err) {
        const code = apiStatus(err);
        if (code !== 404 && code !== 409) log(`${podKey(pod)}: final delete failed: ${String(err)}`);
      }
    },
    nodeActive: (node: string) => nodes.get(node)?.isActive() ?? false,
    log,
  };

  const onPod = (type: WatchEvent, pod: V1Pod): void => {
    const uid = pod.metadata?.uid ?? "";
    if (!nodeSet.has(pod.spec?.nodeName ?? "")) return;
    let w = workers.get(uid);
    if (type === "DELETED") {
      if (w) {
        workers.delete(uid);
        void w.terminate(0, false);
      }
      return;
    }
    if (!w) {
      const phase = pod.status?.phase;
      if (phase === "Succeeded" || phase === "Failed") return;
      if (pod.metadata?.deletionTimestamp) {
        void runtime.deletePod(pod); // nothing of it runs here (e.g. agent restarted)
        return;
      }
      w = new PodWorker(pod, runtime);
      workers.set(uid, w);
      const worker = w;
      void worker.run().catch((err: unknown) => log(`${podKey(pod)}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    }
    w.update(pod);
    if (pod.metadata?.deletionTimestamp && !w.isTerminating()) {
      const worker = w;
      void worker.terminate(pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30, true).finally(() => workers.delete(uid));
    }
  };
  watch<V1Pod>("/api/v1/pods", () => core.listPodForAllNamespaces(), onPod);
  const resync = setInterval(() => {
    for (const w of workers.values()) w.resync();
  }, 10_000);

  const dns = loopback ? undefined : new DnsServer(rec.slot.gateway, currentZone);
  await dns?.start();

  const cert = readFileSync(pki.kubeletCert);
  const key = readFileSync(pki.kubeletKey);
  // A recreated StatefulSet pod has the same name as its terminating predecessor: prefer the live one.
  const findWorker = (ns: string, name: string): PodWorker | undefined => {
    const matches = [...workers.values()].filter((w) => w.pod.metadata?.namespace === ns && w.pod.metadata?.name === name);
    return matches.find((w) => !w.isTerminating()) ?? matches[0];
  };
  const logServers = await Promise.all(
    rec.nodes.map((node, i) =>
      startLogServer({
        node,
        address: rec.slot.gateway,
        port: rec.kubeletPorts[i] ?? 0,
        cert,
        key,
        source: {
          logPath: (_node, ns, pod, container, previous) => findWorker(ns, pod)?.logPath(container, previous),
          running: (ns, pod, container) => findWorker(ns, pod)?.container(container)?.running() ?? false,
        },
      }),
    ),
  );

  const control = createServer((req, res) => void handleControl(req, res));
  const handleControl = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body) + "\n");
    };
    try {
      let raw = "";
      for await (const chunk of req) {
        raw += String(chunk);
        if (raw.length > CONTROL_BODY_BYTES_MAX) return reply(413, { error: "body too large" });
      }
      const body = (raw === "" ? {} : JSON.parse(raw)) as { namespace?: string; name?: string; container?: string; node?: string; cut?: boolean };
      const url = req.url ?? "/";
      if (req.method === "GET" && url === "/pods") {
        return reply(200, [...workers.values()].map((w) => ({
          namespace: w.pod.metadata?.namespace,
          name: w.pod.metadata?.name,
          uid: w.uid,
          node: w.pod.spec?.nodeName,
          ip: w.podIp,
          containers: (w.pod.spec?.containers ?? []).map((c) => ({ name: c.name, pid: w.container(c.name)?.pid, restartCount: w.container(c.name)?.restartCount })),
        })));
      }
      if (req.method !== "POST") return reply(405, { error: "method not allowed" });
      if (url === "/nodes/stop" || url === "/nodes/start") {
        const n = nodes.get(body.node ?? "");
        if (!n) return reply(404, { error: `no node "${body.node}"` });
        if (url === "/nodes/stop") n.pause();
        else n.resume();
        if (url === "/nodes/start") for (const w of workers.values()) if (w.pod.spec?.nodeName === n.name) w.resync();
        return reply(200, { node: n.name, active: n.isActive() });
      }
      const w = findWorker(body.namespace ?? "", body.name ?? "");
      if (!w) return reply(404, { error: `pod ${body.namespace}/${body.name} does not run here` });
      if (url === "/pods/kill") {
        const c = w.container(body.container);
        if (!c) return reply(404, { error: `no container "${body.container}"` });
        const pid = c.pid;
        return reply(c.killHard() ? 200 : 409, { pid });
      }
      if (url === "/pods/network") {
        if (loopback) return reply(409, { error: NETNS_ONLY_FAULT });
        if (!w.hostVeth) return reply(409, { error: "pod has no network yet" });
        setPodLinkDown(w.hostVeth, body.cut === true);
        return reply(200, { cut: body.cut === true });
      }
      return reply(404, { error: `unknown endpoint ${url}` });
    } catch (err) {
      reply(400, { error: err instanceof Error ? err.message : String(err) });
    }
  };
  rmSync(rec.agentSocket, { force: true });
  await new Promise<void>((resolve) => control.listen(rec.agentSocket, resolve));
  log(`agent ready (${rec.network} network): nodes ${rec.nodes.join(", ")}, ${dns ? `dns ${rec.slot.gateway}:53` : `pods in ${rec.slot.podCidr} on the host network, no cluster DNS or ClusterIPs`}`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      log(`agent: ${sig}, stopping pods`);
      clearInterval(resync);
      for (const n of nodes.values()) n.stop();
      for (const lw of watches) lw.stop();
      dns?.stop();
      proxy?.stop();
      control.close();
      for (const s of logServers) s.close();
      void Promise.all([...workers.values()].map((w) => w.terminate(2, false))).finally(() => {
        for (const ns of listSandboxes(rec.slot)) deleteSandbox(ns);
        resolve(0);
      });
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));
  });
}
