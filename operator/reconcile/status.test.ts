import { describe, expect, it } from "vitest";
import { fixtureMq } from "../builders/testFixture.js";
import { computeStatus, invalidSpecStatus, statusEqual, type BrokerObservation, type StatusInput } from "./status.js";

const healthy = (pod: string, extra: Partial<BrokerObservation> = {}): BrokerObservation => ({ pod, healthy: true, version: "0.1.0", ...extra });
const base = (over: Partial<StatusInput> = {}): StatusInput => ({
  mq: fixtureMq(),
  nowIso: "2026-01-01T00:00:00.000Z",
  podCount: 3,
  readyPods: 3,
  brokers: [healthy("orders-0", { metaLeader: "orders-0" }), healthy("orders-1", { metaLeader: "orders-0" }), healthy("orders-2", { metaLeader: "orders-0" })],
  rollout: { kind: "none" },
  ...over,
});
const byType = (s: ReturnType<typeof computeStatus>, t: string) => s.conditions!.find((c) => c.type === t)!;

describe("computeStatus", () => {
  it("is Ready, stable and not degraded when every broker is ready, healthy and agrees on a meta leader", () => {
    const s = computeStatus(base());
    expect([byType(s, "Ready").status, byType(s, "Progressing").status, byType(s, "Degraded").status]).toEqual(["True", "False", "False"]);
    expect(s).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      currentVersion: "0.1.0",
      observedGeneration: 1,
      secretName: "orders-client",
      endpoints: { client: "nats://orders.prod.svc.cluster.local:4222", monitoring: "http://orders.prod.svc.cluster.local:8222" },
      selector: "app.kubernetes.io/name=sluice-broker,app.kubernetes.io/instance=orders",
    });
  });

  it("says clustering is unavailable when no broker reports a meta leader", () => {
    const s = computeStatus(base({ brokers: [healthy("orders-0"), healthy("orders-1"), healthy("orders-2")] }));
    expect(byType(s, "Ready").status).toBe("True");
    expect(byType(s, "Degraded")).toMatchObject({ status: "True", reason: "ClusteringUnavailable" });
    expect(byType(computeStatus(base({ mq: fixtureMq({ replicas: 1 }), podCount: 1, readyPods: 1, brokers: [healthy("orders-0")] })), "Degraded").status).toBe("False");
  });

  it("is not Ready while pods are missing or /healthz fails", () => {
    expect(byType(computeStatus(base({ readyPods: 2 })), "Ready")).toMatchObject({ status: "False", reason: "BrokersNotReady", message: "2 of 3 brokers ready" });
    const failing = base({ brokers: [healthy("orders-0", { metaLeader: "orders-0" }), { pod: "orders-1", healthy: false, version: "0.1.0", healthError: "JetStream not current" }] });
    expect(byType(computeStatus(failing), "Ready")).toMatchObject({ status: "False", reason: "HealthCheckFailing", message: "/healthz failing on orders-1: JetStream not current" });
  });

  it("reports rollout progress, pause, and apply failures", () => {
    const pod = { name: "orders-2", uid: "u", ordinal: 2, revision: "old", ready: true, terminating: false };
    expect(byType(computeStatus(base({ rollout: { kind: "restart", pod, reason: "OutdatedRevision", message: "restarting orders-2" } })), "Progressing")).toMatchObject({ status: "True", reason: "RollingRestart" });
    expect(byType(computeStatus(base({ mq: fixtureMq({ paused: true }) })), "Progressing")).toMatchObject({ status: "False", reason: "Paused" });
    expect(byType(computeStatus(base({ applyError: "boom" })), "Degraded")).toMatchObject({ status: "True", reason: "ApplyFailed", message: "boom" });
  });

  it("keeps lastTransitionTime while a condition's status is unchanged", () => {
    const first = computeStatus(base());
    const later = computeStatus(base({ mq: { ...fixtureMq(), status: first }, nowIso: "2026-01-02T00:00:00.000Z" }));
    expect(byType(later, "Ready").lastTransitionTime).toBe("2026-01-01T00:00:00.000Z");
    expect(statusEqual(first, later)).toBe(true);
    const flipped = computeStatus(base({ mq: { ...fixtureMq(), status: first }, readyPods: 1, nowIso: "2026-01-02T00:00:00.000Z" }));
    expect(byType(flipped, "Ready").lastTransitionTime).toBe("2026-01-02T00:00:00.000Z");
    expect(statusEqual(first, flipped)).toBe(false);
  });

  it("marks invalid specs Degraded with the validation message", () => {
    const s = invalidSpecStatus(fixtureMq(), ["spec.replicas: bad"], "2026-01-01T00:00:00.000Z");
    expect(byType(s, "Degraded")).toMatchObject({ status: "True", reason: "InvalidSpec", message: "spec.replicas: bad" });
  });
});
