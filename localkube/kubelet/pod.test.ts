/**
 * The pod runtime without an API server: a real pod (localkube/http-echo) in a real network
 * namespace on a real bridge, with volumes bind-mounted at absolute paths, probes, a kill with
 * restart and graceful termination. Status updates are captured instead of sent. Needs root.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1Pod, V1PodStatus } from "@kubernetes/client-node";
import { waitFor } from "../../common/wait.js";
import { claimSlot, createBridge, createSandbox, deleteBridge, deleteSandbox, listSandboxes, releaseSlot, type Slot } from "../net/network.js";
import { repoRoot } from "../paths.js";
import { PodWorker, type PodRuntime } from "./pod.js";

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("process pod runtime (root)", () => {
  let slot: Slot;
  let stateDir: string;
  const statuses: V1PodStatus[] = [];
  let deleted = 0;
  const last = (): V1PodStatus | undefined => statuses[statuses.length - 1];

  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), "lk-pod-"));
    slot = claimSlot(stateDir);
    createBridge(slot);
  });

  afterAll(() => {
    for (const ns of listSandboxes(slot)) deleteSandbox(ns);
    deleteBridge(slot);
    releaseSlot(slot, stateDir);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("runs, probes, restarts and terminates a pod in its own namespaces", async () => {
    const rt: PodRuntime = {
      stateDir,
      repoRoot: repoRoot(),
      ipPath: existsSync("/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip",
      network: "netns",
      hostIp: slot.gateway,
      kubernetesServicePort: 6443,
      lookups: {
        configMap: (_ns, name) => (name === "cfg" ? { data: { "app.conf": "level=debug\n" } } : undefined),
        secret: () => undefined,
        pvc: () => undefined,
        pv: () => undefined,
        token: () => Promise.resolve("token"),
      },
      createSandbox: (pod) => createSandbox(slot, pod.metadata?.uid ?? "", `${slot.prefix}10`, { hostname: "echo-0", fqdn: "echo-0.echo.t.svc.cluster.local", namespace: "t" }),
      destroySandbox: (_pod, sb) => deleteSandbox(sb.netns),
      patchStatus: (_pod, status) => {
        statuses.push(structuredClone(status));
        return Promise.resolve();
      },
      deletePod: () => {
        deleted++;
        return Promise.resolve();
      },
      nodeActive: () => true,
      log: () => undefined,
    };
    const pod: V1Pod = {
      metadata: { name: "echo-0", namespace: "t", uid: "0badcafe-0000-4000-8000-000000000001" },
      spec: {
        nodeName: "n1",
        hostname: "echo-0",
        subdomain: "echo",
        terminationGracePeriodSeconds: 5,
        volumes: [
          { name: "data", emptyDir: {} },
          { name: "cfg", configMap: { name: "cfg" } },
        ],
        containers: [
          {
            name: "echo",
            image: "localkube/http-echo",
            env: [{ name: "DATA_DIR", value: "/var/lib/localkube-unit/data" }],
            ports: [{ name: "http", containerPort: 8080 }],
            readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 1, failureThreshold: 1 },
            livenessProbe: { exec: { command: ["cat", "/etc/localkube-unit/app.conf"] }, periodSeconds: 1 },
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/localkube-unit/data" },
              { name: "cfg", mountPath: "/etc/localkube-unit", readOnly: true },
            ],
          },
        ],
      },
    };
    const w = new PodWorker(pod, rt);
    await w.run();
    const url = `http://${slot.prefix}10:8080`;
    await waitFor("pod Ready", () => last()?.conditions?.some((c) => c.type === "Ready" && c.status === "True"), { timeout_ms: 30_000 });
    expect(last()?.phase).toBe("Running");
    expect(last()?.podIP).toBe(`${slot.prefix}10`);
    const who = (await (await fetch(`${url}/`)).json()) as { hostname: string; ip: string };
    expect(who).toEqual({ hostname: "echo-0", ip: `${slot.prefix}10` });
    expect((await fetch(`${url}/data/k`, { method: "PUT", body: "v1" })).status).toBe(200);
    // The emptyDir at an absolute mountPath is the pod directory on the host, not the host path.
    expect(readFileSync(join(w.podDir, "volumes", "data", "k"), "utf8")).toBe("v1");
    expect(existsSync("/var/lib/localkube-unit/data/k")).toBe(false);
    // A kill restarts the container at once (first restart has no back-off) and keeps the data.
    expect(w.container("echo")?.killHard()).toBe(true);
    await waitFor("restarted and Ready", () => {
      const cs = last()?.containerStatuses?.[0];
      return cs?.restartCount === 1 && cs.ready && cs.lastState?.terminated?.exitCode === 137;
    }, { timeout_ms: 30_000 });
    expect(await (await fetch(`${url}/data/k`)).text()).toBe("v1");
    await w.terminate(5, true);
    const cs = last()?.containerStatuses?.[0];
    expect(cs?.state?.terminated?.reason).toBe("Completed"); // http-echo exits 0 on SIGTERM
    expect(last()?.phase).toBe("Succeeded");
    expect(deleted).toBe(1);
    expect(listSandboxes(slot)).toEqual([]);
    expect(readFileSync(w.logPath("echo", true) ?? "", "utf8")).toContain("listening on :8080");
  });
});
