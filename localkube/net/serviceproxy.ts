/**
 * ClusterIP Services without kube-proxy: a userspace TCP proxy. Each ClusterIP is added as a /32
 * on the cluster bridge (so pods reach it through their default route to the gateway, and the host
 * reaches it directly), and every Service port gets a listener that pipes each connection to a
 * ready endpoint from the EndpointSlices (round robin). UDP ports are not proxied.
 */
import { connect, createServer, type Server } from "node:net";
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import { ip } from "./network.js";

export const PROXY_CONNECTIONS_MAX = 1024;

interface Listener {
  server: Server;
  svcKey: string;
  portName: string;
}

export class ServiceProxy {
  private listeners = new Map<string, Listener>(); // "ip:port"
  private addresses = new Set<string>();
  private rr = 0;
  private services: V1Service[] = [];
  private slices: V1EndpointSlice[] = [];

  constructor(
    private readonly bridge: string,
    private readonly serviceCidrPrefix: string,
    private readonly log: (m: string) => void,
  ) {}

  /** The ClusterIP this proxy serves for `svc`, if any (DNS answers it instead of endpoints). */
  served(svc: V1Service): string | undefined {
    const cip = svc.spec?.clusterIP;
    if (cip === undefined || cip === "None" || !this.addresses.has(cip)) return undefined;
    return cip;
  }

  private endpointsFor(svcKey: string, portName: string): { ip: string; port: number }[] {
    const out: { ip: string; port: number }[] = [];
    for (const s of this.slices) {
      if (`${s.metadata?.namespace}/${s.metadata?.labels?.["kubernetes.io/service-name"]}` !== svcKey || s.addressType !== "IPv4") continue;
      const port = s.ports?.find((p) => (p.name ?? "") === portName)?.port;
      if (port === undefined) continue;
      for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false) for (const a of e.addresses) out.push({ ip: a, port });
    }
    return out;
  }

  update(services: V1Service[], slices: V1EndpointSlice[]): void {
    this.services = services;
    this.slices = slices;
    const wanted = new Map<string, { svcKey: string; portName: string; ip: string; port: number }>();
    for (const svc of services) {
      const cip = svc.spec?.clusterIP;
      if (cip === undefined || cip === "None" || !cip.startsWith(this.serviceCidrPrefix)) continue;
      for (const p of svc.spec?.ports ?? []) {
        if ((p.protocol ?? "TCP") !== "TCP") continue;
        wanted.set(`${cip}:${p.port}`, { svcKey: `${svc.metadata?.namespace}/${svc.metadata?.name}`, portName: p.name ?? "", ip: cip, port: p.port });
      }
    }
    for (const [key, l] of this.listeners) {
      if (!wanted.has(key)) {
        l.server.close();
        this.listeners.delete(key);
      }
    }
    const ips = new Set([...wanted.values()].map((w) => w.ip));
    for (const a of this.addresses) {
      if (!ips.has(a)) {
        try {
          ip(["addr", "del", `${a}/32`, "dev", this.bridge]);
        } catch {
          // already gone
        }
        this.addresses.delete(a);
      }
    }
    for (const [key, w] of wanted) {
      if (this.listeners.has(key)) continue;
      if (!this.addresses.has(w.ip)) {
        try {
          ip(["addr", "add", `${w.ip}/32`, "dev", this.bridge]);
        } catch (err) {
          if (!String(err).includes("File exists")) {
            this.log(`service proxy: ${String(err)}`);
            continue;
          }
        }
        this.addresses.add(w.ip);
      }
      const server = createServer((client) => {
        const eps = this.endpointsFor(w.svcKey, w.portName);
        const ep = eps[this.rr++ % Math.max(1, eps.length)];
        if (!ep) {
          client.destroy();
          return;
        }
        const up = connect(ep.port, ep.ip);
        up.on("error", () => client.destroy());
        client.on("error", () => up.destroy());
        client.pipe(up).pipe(client);
      });
      server.maxConnections = PROXY_CONNECTIONS_MAX;
      server.on("error", (err) => this.log(`service proxy ${key}: ${err.message}`));
      server.listen(w.port, w.ip);
      this.listeners.set(key, { server, svcKey: w.svcKey, portName: w.portName });
    }
  }

  stop(): void {
    for (const l of this.listeners.values()) l.server.close();
    this.listeners.clear();
    this.update([], []);
    void this.services;
  }
}
