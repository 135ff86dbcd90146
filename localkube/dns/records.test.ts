import { describe, expect, it } from "vitest";
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import * as dnsPacket from "dns-packet";
import { buildZone, lookup } from "./records.js";
import { respond } from "./server.js";

const svc = (name: string, clusterIP: string): V1Service => ({ metadata: { name, namespace: "ns" }, spec: { clusterIP } });
const slice = (svcName: string, eps: { ip: string; hostname?: string; ready: boolean }[]): V1EndpointSlice => ({
  metadata: { name: `${svcName}-x`, namespace: "ns", labels: { "kubernetes.io/service-name": svcName } },
  addressType: "IPv4",
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  endpoints: eps.map((e) => ({ addresses: [e.ip], ...(e.hostname ? { hostname: e.hostname } : {}), conditions: { ready: e.ready } })),
});

describe("cluster DNS records", () => {
  const zone = buildZone(
    [svc("web", "None"), svc("api", "10.96.1.20")],
    [
      slice("web", [
        { ip: "10.244.1.10", hostname: "web-0", ready: true },
        { ip: "10.244.1.11", hostname: "web-1", ready: false },
      ]),
      slice("api", [{ ip: "10.244.1.12", ready: true }]),
    ],
    () => undefined,
  );

  it("serves headless services, StatefulSet pod names and only ready endpoints", () => {
    expect(lookup(zone, "web.ns.svc.cluster.local", "A")).toEqual({ rcode: "NOERROR", a: ["10.244.1.10"], srv: [] });
    expect(lookup(zone, "WEB-0.web.ns.svc.cluster.local.", "A")).toEqual({ rcode: "NOERROR", a: ["10.244.1.10"], srv: [] });
    expect(lookup(zone, "web-1.web.ns.svc.cluster.local", "A")).toEqual({ rcode: "NXDOMAIN" });
    expect(lookup(zone, "_http._tcp.web.ns.svc.cluster.local", "SRV")).toEqual({ rcode: "NOERROR", a: [], srv: [{ port: 8080, target: "web-0.web.ns.svc.cluster.local" }] });
  });

  it("answers ClusterIP services with endpoints when no proxy serves the ClusterIP", () => {
    expect(lookup(zone, "api.ns.svc.cluster.local", "A")).toEqual({ rcode: "NOERROR", a: ["10.244.1.12"], srv: [] });
    const proxied = buildZone([svc("api", "10.96.1.20")], [], (s) => s.spec?.clusterIP);
    expect(lookup(proxied, "api.ns.svc.cluster.local", "A")).toEqual({ rcode: "NOERROR", a: ["10.96.1.20"], srv: [] });
  });

  it("refuses names outside the cluster domain and says NOERROR for intermediate names", () => {
    expect(lookup(zone, "example.com", "A")).toEqual({ rcode: "REFUSED" });
    expect(lookup(zone, "ns.svc.cluster.local", "A")).toEqual({ rcode: "NOERROR", a: [], srv: [] });
  });

  it("encodes wire-format answers and survives garbage", () => {
    const q = dnsPacket.encode({ type: "query", id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name: "web-0.web.ns.svc.cluster.local" }] });
    const r = dnsPacket.decode(respond(q, zone));
    expect(r.id).toBe(7);
    expect(r.answers?.map((a) => (a as { data: string }).data)).toEqual(["10.244.1.10"]);
    const nx = dnsPacket.decode(respond(dnsPacket.encode({ type: "query", id: 8, questions: [{ type: "A", name: "x.ns.svc.cluster.local" }] }), zone));
    expect((nx as unknown as { rcode: string }).rcode).toBe("NXDOMAIN");
    expect(respond(Buffer.from([1, 2, 3]), zone).length).toBe(0);
  });
});
