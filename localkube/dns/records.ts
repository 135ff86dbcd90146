/**
 * Cluster DNS records (CoreDNS `kubernetes` plugin semantics, A records only) computed from
 * Services and EndpointSlices. Pure: no I/O.
 *  - <svc>.<ns>.svc.cluster.local: the ClusterIP when the service proxy serves it, else (headless,
 *    or no proxy for it) the ready endpoint addresses.
 *  - <hostname>.<svc>.<ns>.svc.cluster.local: the endpoint with that hostname (StatefulSet pods).
 *  - SRV _<port>._<proto>.<svc>.<ns>.svc.cluster.local for named ports.
 */
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";

export const CLUSTER_DOMAIN = "cluster.local";

export interface Srv {
  port: number;
  target: string;
}

export interface Zone {
  a: Map<string, string[]>;
  srv: Map<string, Srv[]>;
}

function add<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) {
    if (!list.includes(v)) list.push(v);
  } else m.set(k, [v]);
}

export function buildZone(services: V1Service[], slices: V1EndpointSlice[], proxiedClusterIp: (svc: V1Service) => string | undefined): Zone {
  const zone: Zone = { a: new Map(), srv: new Map() };
  const byService = new Map<string, V1EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.["kubernetes.io/service-name"];
    if (svc === undefined || s.addressType !== "IPv4") continue;
    const key = `${s.metadata?.namespace}/${svc}`;
    byService.set(key, [...(byService.get(key) ?? []), s]);
  }
  for (const svc of services) {
    const ns = svc.metadata?.namespace ?? "default";
    const name = svc.metadata?.name ?? "";
    const fqdn = `${name}.${ns}.svc.${CLUSTER_DOMAIN}`;
    if (svc.spec?.type === "ExternalName") continue;
    const clusterIp = proxiedClusterIp(svc);
    const ready: { ip: string; hostname: string | undefined }[] = [];
    for (const slice of byService.get(`${ns}/${name}`) ?? []) {
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        for (const ip of ep.addresses) ready.push({ ip, hostname: ep.hostname });
      }
      for (const p of slice.ports ?? []) {
        if (!p.name || p.port === undefined) continue;
        const srvName = `_${p.name}._${(p.protocol ?? "TCP").toLowerCase()}.${fqdn}`;
        for (const ep of slice.endpoints ?? []) {
          if (ep.conditions?.ready === false) continue;
          add(zone.srv, srvName, { port: p.port, target: ep.hostname ? `${ep.hostname}.${fqdn}` : fqdn });
        }
      }
    }
    if (clusterIp !== undefined) add(zone.a, fqdn, clusterIp);
    else for (const e of ready) add(zone.a, fqdn, e.ip);
    for (const e of ready) if (e.hostname) add(zone.a, `${e.hostname}.${fqdn}`, e.ip);
    if (!zone.a.has(fqdn)) zone.a.set(fqdn, []); // the name exists (NOERROR, no data)
  }
  return zone;
}

export type Answer = { rcode: "NOERROR"; a: string[]; srv: Srv[] } | { rcode: "NXDOMAIN" } | { rcode: "REFUSED" };

/** Answer a question about `name` (case-insensitive, trailing dot ignored). */
export function lookup(zone: Zone, qname: string, qtype: string): Answer {
  const name = qname.toLowerCase().replace(/\.$/, "");
  if (!name.endsWith(`.${CLUSTER_DOMAIN}`) && name !== CLUSTER_DOMAIN) return { rcode: "REFUSED" };
  const a = zone.a.get(name);
  const srv = zone.srv.get(name);
  if (a === undefined && srv === undefined) {
    // Intermediate names (e.g. ns.svc.cluster.local) exist but have no data.
    const parent = [...zone.a.keys()].some((k) => k.endsWith(`.${name}`));
    return parent ? { rcode: "NOERROR", a: [], srv: [] } : { rcode: "NXDOMAIN" };
  }
  return { rcode: "NOERROR", a: qtype === "A" ? (a ?? []) : [], srv: qtype === "SRV" ? (srv ?? []) : [] };
}
