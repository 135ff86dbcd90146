import { describe, expect, it } from "vitest";
import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { parseTarget, selectorBackends } from "./portforward.js";

const pod = (name: string, over: { ip?: string; ready?: boolean; labels?: Record<string, string>; deleting?: boolean } = {}): V1Pod => ({
  metadata: { name, labels: over.labels ?? { app: "web" }, ...(over.deleting === true ? { deletionTimestamp: new Date(0) } : {}) },
  spec: { containers: [{ name: "c", ports: [{ name: "http", containerPort: 8080 }] }] },
  status: { ...(over.ip !== undefined ? { podIP: over.ip } : {}), conditions: [{ type: "Ready", status: over.ready === false ? "False" : "True" }] },
});

describe("port-forward targets", () => {
  it("parses pod and service targets", () => {
    expect(parseTarget("ns/svc/web", 80)).toEqual({ namespace: "ns", kind: "service", name: "web", port: 80 });
    expect(parseTarget("web-0", 8080)).toEqual({ namespace: "default", kind: "pod", name: "web-0", port: 8080 });
    expect(() => parseTarget("a/b/c/d", 1)).toThrow();
  });

  it("computes a Service's backends from its selector when EndpointSlices cannot exist (loopback pod IPs)", () => {
    const svc: V1Service = { spec: { selector: { app: "web" }, ports: [{ name: "web", port: 80, targetPort: "http" }, { name: "raw", port: 9000, targetPort: 9001 }] } };
    const pods = [
      pod("web-0", { ip: "127.77.1.10" }),
      pod("web-1", { ip: "127.77.1.11", ready: false }),
      pod("web-2", { ip: "127.77.1.12", deleting: true }),
      pod("web-3"),
      pod("other", { ip: "127.77.1.13", labels: { app: "other" } }),
      pod("web-4", { ip: "127.77.1.14" }),
    ];
    expect(selectorBackends(svc, pods, 80)).toEqual([{ ip: "127.77.1.10", port: 8080 }, { ip: "127.77.1.14", port: 8080 }]);
    expect(selectorBackends(svc, pods, 9000)).toEqual([{ ip: "127.77.1.10", port: 9001 }, { ip: "127.77.1.14", port: 9001 }]);
    expect(selectorBackends({ spec: { ports: [{ port: 80 }] } }, pods, 80)).toEqual([]);
  });
});
