import { describe, expect, it } from "vitest";
import type { V1Pod } from "@kubernetes/client-node";
import { buildEnv, EnvError, expandVars } from "./env.js";
import { containerArgv, imageRepository, resolveImage } from "./images.js";
import { podPhase, podStatus, type ContainerView } from "./status.js";

const view = (over: Partial<ContainerView>): ContainerView => ({
  name: "c",
  image: "i",
  state: { running: { startedAt: "2026-01-01T00:00:00.000Z" } },
  lastState: undefined,
  restartCount: 0,
  ready: true,
  started: true,
  pid: 42,
  everStarted: true,
  willRestart: false,
  ...over,
});
const term = (exitCode: number) => ({ terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", startedAt: "2026-01-01T00:00:00.000Z", finishedAt: "2026-01-01T00:00:01.000Z", containerID: "process://1" } });

describe("pod phase and status", () => {
  it("follows the kubelet's phase rules", () => {
    expect(podPhase({ initialized: false, initFailed: false, containers: [view({})] })).toBe("Pending");
    expect(podPhase({ initialized: true, initFailed: false, containers: [view({ state: { waiting: { reason: "ErrImagePull" } }, everStarted: false })] })).toBe("Pending");
    expect(podPhase({ initialized: true, initFailed: false, containers: [view({ state: { waiting: { reason: "CrashLoopBackOff" } } })] })).toBe("Running");
    expect(podPhase({ initialized: true, initFailed: false, containers: [view({ state: term(0) }), view({ state: term(0) })] })).toBe("Succeeded");
    expect(podPhase({ initialized: true, initFailed: false, containers: [view({ state: term(0) }), view({ state: term(1) })] })).toBe("Failed");
    expect(podPhase({ initialized: true, initFailed: false, containers: [view({ state: term(1), willRestart: true })] })).toBe("Running");
    expect(podPhase({ initialized: false, initFailed: true, containers: [view({})] })).toBe("Failed");
  });

  it("reports conditions with stable transition times and container states", () => {
    const pod: V1Pod = { metadata: { name: "p" }, spec: { containers: [] } };
    const s1 = podStatus({ pod, init: [], containers: [view({ ready: false })], sandboxReady: true, initialized: true, initFailed: false, podIp: "10.244.1.10", hostIp: "10.244.1.1", startTime: "2026-01-01T00:00:00.000Z", previous: [], now: "2026-01-01T00:00:05.000Z" });
    const readyCond = s1.conditions?.find((c) => c.type === "Ready");
    expect(readyCond?.status).toBe("False");
    expect(readyCond?.message).toBe("containers with unready status: [c]");
    expect(s1.podIPs).toEqual([{ ip: "10.244.1.10" }]);
    expect(s1.containerStatuses?.[0]?.containerID).toBe("process://42");
    const s2 = podStatus({ pod, init: [], containers: [view({ ready: true })], sandboxReady: true, initialized: true, initFailed: false, podIp: "10.244.1.10", hostIp: "10.244.1.1", startTime: "2026-01-01T00:00:00.000Z", previous: s1.conditions ?? [], now: "2026-01-01T00:00:09.000Z" });
    expect(s2.conditions?.find((c) => c.type === "Ready")?.lastTransitionTime).toEqual(new Date("2026-01-01T00:00:09.000Z"));
    expect(s2.conditions?.find((c) => c.type === "Initialized")?.lastTransitionTime).toEqual(new Date("2026-01-01T00:00:05.000Z"));
  });
});

describe("environment", () => {
  const pod: V1Pod = { metadata: { name: "web-0", namespace: "ns", uid: "u1", labels: { app: "web" } }, spec: { nodeName: "n1", containers: [] } };
  const lk = {
    configMap: (_ns: string, name: string) => (name === "cm" ? { data: { LEVEL: "debug" } } : undefined),
    secret: (_ns: string, name: string) => (name === "s" ? { data: { PASS: Buffer.from("hunter2").toString("base64") } } : undefined),
    podIp: "10.244.1.10",
    hostIp: "10.244.1.1",
    kubernetesServiceHost: "10.244.1.1",
    kubernetesServicePort: 6443,
  };

  it("resolves downward API, ConfigMap/Secret refs, envFrom and $(VAR) expansion", () => {
    const env = buildEnv(
      pod,
      {
        name: "c",
        envFrom: [{ configMapRef: { name: "cm" }, prefix: "CM_" }],
        env: [
          { name: "NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "PASS", valueFrom: { secretKeyRef: { name: "s", key: "PASS" } } },
          { name: "URL", value: "nats://$(NAME).x:4222 $$(NAME) $(UNKNOWN)" },
          { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
        ],
        resources: { limits: { memory: "256Mi" } },
      },
      {},
      lk,
    );
    expect(env).toMatchObject({ NAME: "web-0", APP: "web", IP: "10.244.1.10", PASS: "hunter2", CM_LEVEL: "debug", URL: "nats://web-0.x:4222 $(NAME) $(UNKNOWN)", MEM: "256", HOSTNAME: "web-0", KUBERNETES_SERVICE_PORT: "6443" });
  });

  it("rejects missing non-optional refs with a clear error", () => {
    expect(() => buildEnv(pod, { name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } }] }, {}, lk)).toThrow(EnvError);
    expect(buildEnv(pod, { name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k", optional: true } } }] }, {}, lk)["X"]).toBeUndefined();
    expect(expandVars("$(A)-$(B)", { A: "1" })).toBe("1-$(B)");
  });
});

describe("image map", () => {
  it("maps sluice images to this checkout's CLI and passes args through", () => {
    expect(imageRepository("ghcr.io/sluice/broker:0.1@sha256:abc")).toBe("ghcr.io/sluice/broker");
    const r = resolveImage("ghcr.io/acme/sluice-broker:dev", "/repo", "/usr/bin/node");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(containerArgv(r.image, undefined, ["broker", "-c", "/etc/sluice/sluice.conf"])).toEqual(["/usr/bin/node", "--enable-source-maps", "/repo/dist/cli/main.js", "broker", "-c", "/etc/sluice/sluice.conf"]);
    expect(containerArgv(r.image, ["sluice", "operator"], ["--x"])).toEqual(["/usr/bin/node", "--enable-source-maps", "/repo/dist/cli/main.js", "operator", "--x"]);
    expect(containerArgv(r.image, ["/bin/sh", "-c"], ["echo hi"])).toEqual(["/bin/sh", "-c", "echo hi"]);
  });

  it("fails unknown images like a failed pull", () => {
    const r = resolveImage("nginx:1.27", "/repo", "/usr/bin/node");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe("ErrImagePull");
    expect(r.message).toContain("nginx:1.27");
  });
});
