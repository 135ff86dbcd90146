/**
 * Host access to pods and Services: pod IPs are local addresses in both network modes (bridge
 * addresses in netns mode, 127.77.<slot>.x in loopback mode), so the host reaches pods directly.
 * `forward` listens on 127.0.0.1:<local> and pipes each connection to a pod (or to a ready
 * endpoint of a Service, chosen per connection).
 */
import { connect, createServer, type Server } from "node:net";
import { CoreV1Api, DiscoveryV1Api, type V1Pod, type V1Service } from "@kubernetes/client-node";
import { loadKubeConfig } from "./kube.js";
import type { ClusterRecord } from "./record.js";

export const FORWARD_CONNECTIONS_MAX = 256;

export interface ForwardTarget {
  namespace: string;
  kind: "pod" | "service";
  name: string;
  port: number;
}

/** Parse `[ns/]pod/name`, `[ns/]svc/name` or `[ns/]name` (a pod). */
export function parseTarget(spec: string, port: number): ForwardTarget {
  const parts = spec.split("/");
  let namespace = "default";
  if (parts.length === 3 || (parts.length === 2 && !["pod", "pods", "svc", "service", "services"].includes(parts[0] ?? ""))) namespace = parts.shift() ?? "default";
  const [a, b] = parts;
  if (b === undefined) return { namespace, kind: "pod", name: a ?? "", port };
  if (a === "svc" || a === "service" || a === "services") return { namespace, kind: "service", name: b, port };
  if (a === "pod" || a === "pods") return { namespace, kind: "pod", name: b, port };
  throw new Error(`cannot parse target "${spec}" (use [ns/]pod/NAME or [ns/]svc/NAME)`);
}

/**
 * A Service's ready backends computed from its selector, the way the EndpointSlice controller
 * would: Ready, not terminating pods with an IP; targetPort by number or by container port name.
 * Used in loopback mode, where the API server refuses loopback addresses in EndpointSlices
 * ("may not be in the loopback range"), so Services there have no endpoints.
 */
export function selectorBackends(svc: V1Service, pods: V1Pod[], port: number): { ip: string; port: number }[] {
  const selector = svc.spec?.selector;
  if (selector === undefined || Object.keys(selector).length === 0) return [];
  const sp = svc.spec?.ports?.find((p) => p.port === port) ?? svc.spec?.ports?.[0];
  const target = sp?.targetPort ?? sp?.port ?? port;
  const out: { ip: string; port: number }[] = [];
  for (const pod of pods) {
    const labels = pod.metadata?.labels ?? {};
    if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
    const ip = pod.status?.podIP;
    const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
    if (ip === undefined || !ready || pod.metadata?.deletionTimestamp !== undefined) continue;
    let p: number | undefined;
    if (typeof target === "number") p = target;
    else if (/^\d+$/.test(target)) p = Number(target);
    else for (const c of pod.spec?.containers ?? []) p ??= c.ports?.find((cp) => cp.name === target)?.containerPort;
    if (p !== undefined) out.push({ ip, port: p });
  }
  return out;
}

export async function resolveTarget(rec: ClusterRecord, t: ForwardTarget): Promise<{ ip: string; port: number }> {
  const kc = loadKubeConfig(rec.kubeconfigPath);
  if (t.kind === "pod") {
    const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: t.name, namespace: t.namespace });
    const ip = pod.status?.podIP;
    if (!ip) throw new Error(`pod ${t.namespace}/${t.name} has no IP yet`);
    return { ip, port: t.port };
  }
  const svc = await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: t.name, namespace: t.namespace });
  const sp = svc.spec?.ports?.find((p) => p.port === t.port) ?? svc.spec?.ports?.[0];
  let ready: { ip: string; port: number }[] = [];
  if (rec.network === "loopback") {
    ready = selectorBackends(svc, (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: t.namespace })).items, sp?.port ?? t.port);
  } else {
    const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: t.namespace, labelSelector: `kubernetes.io/service-name=${t.name}` });
    for (const s of slices.items) {
      const port = s.ports?.find((p) => (p.name ?? "") === (sp?.name ?? ""))?.port ?? t.port;
      for (const ep of s.endpoints ?? []) if (ep.conditions?.ready !== false) for (const ip of ep.addresses) ready.push({ ip, port });
    }
  }
  const pick = ready[Math.floor(Math.random() * ready.length)];
  if (!pick) throw new Error(`service ${t.namespace}/${t.name} has no ready endpoints`);
  return pick;
}

export function forward(rec: ClusterRecord, target: ForwardTarget, localPort: number, log: (m: string) => void): Promise<Server> {
  const server = createServer((client) => {
    client.pause();
    resolveTarget(rec, target).then(
      (dest) => {
        const up = connect(dest.port, dest.ip);
        up.on("error", () => client.destroy());
        client.on("error", () => up.destroy());
        up.on("connect", () => {
          client.pipe(up).pipe(client);
          client.resume();
        });
      },
      (err: unknown) => {
        log(`forward: ${err instanceof Error ? err.message : String(err)}`);
        client.destroy();
      },
    );
  });
  server.maxConnections = FORWARD_CONNECTIONS_MAX;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(localPort, "127.0.0.1", () => resolve(server));
  });
}
