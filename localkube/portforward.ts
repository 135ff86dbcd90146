/**
 * Host access to pods and Services: pods live in namespaces on the cluster bridge, so the host
 * reaches them directly by pod IP. `forward` listens on 127.0.0.1:<local> and pipes each
 * connection to a pod (or to a ready endpoint of a Service, chosen per connection).
 */
import { connect, createServer, type Server } from "node:net";
import { CoreV1Api, DiscoveryV1Api } from "@kubernetes/client-node";
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
  const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: t.namespace, labelSelector: `kubernetes.io/service-name=${t.name}` });
  const ready: { ip: string; port: number }[] = [];
  for (const s of slices.items) {
    const port = s.ports?.find((p) => (p.name ?? "") === (sp?.name ?? ""))?.port ?? t.port;
    for (const ep of s.endpoints ?? []) if (ep.conditions?.ready !== false) for (const ip of ep.addresses) ready.push({ ip, port });
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
