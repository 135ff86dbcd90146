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
import {
  claimSlot,
  createBridge,
  createSandbox,
  deleteBridge,
  deleteSandbox,
  listSandboxes,
  releaseSlot,
  type Slot,
} from "../net/network.js";
import { repoRoot } from "../paths.js";
import { PodWorker, type PodRuntime } from "./pod.js";

const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("process pod runtime (root)", () => {
  let slot: Slot;
  let stateDir: string;
  const statuses: V1PodStatus[] = [];
  const statusesOf = new Map<string, V1PodStatus[]>();
  /** Every worker started, so a failed test still stops its processes (else they hold the netns). */
  const workers: PodWorker[] = [];
  const worker = (pod: V1Pod, rt: PodRuntime): PodWorker => {
    const w = new PodWorker(pod, rt);
    workers.push(w);
    return w;
  };
  let deleted = 0;
  const last = (): V1PodStatus | undefined => statuses[statuses.length - 1];

  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), "lk-pod-"));
    slot = claimSlot(stateDir);
    createBridge(slot);
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.terminate(0, false)));
    for (const ns of listSandboxes(slot)) deleteSandbox(ns);
    deleteBridge(slot);
    releaseSlot(slot, stateDir);
    rmSync(stateDir, { recursive: true, force: true });
  });

  const runtime = (ip: string, hostname: string): PodRuntime => ({
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
    createSandbox: (pod) =>
      createSandbox(slot, pod.metadata?.uid ?? "", ip, {
        hostname,
        fqdn: `${hostname}.echo.t.svc.cluster.local`,
        namespace: "t",
      }),
    destroySandbox: (_pod, sb) => deleteSandbox(sb.netns),
    patchStatus: (pod, status) => {
      const copy = structuredClone(status);
      statuses.push(copy);
      const name = pod.metadata?.name ?? "";
      statusesOf.set(name, [...(statusesOf.get(name) ?? []), copy]);
      return Promise.resolve();
    },
    deletePod: () => {
      deleted++;
      return Promise.resolve();
    },
    nodeActive: () => true,
    log: () => undefined,
  });

  it("runs, probes, restarts and terminates a pod in its own namespaces", async () => {
    const rt = runtime(`${slot.prefix}10`, "echo-0");
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
            readinessProbe: {
              httpGet: { path: "/readyz", port: "http" },
              periodSeconds: 1,
              failureThreshold: 1,
            },
            livenessProbe: { exec: { command: ["cat", "/etc/localkube-unit/app.conf"] }, periodSeconds: 1 },
            volumeMounts: [
              { name: "data", mountPath: "/var/lib/localkube-unit/data" },
              { name: "cfg", mountPath: "/etc/localkube-unit", readOnly: true },
            ],
          },
        ],
      },
    };
    const w = worker(pod, rt);
    await w.run();
    const url = `http://${slot.prefix}10:8080`;
    await waitFor(
      "pod Ready",
      () => last()?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      { timeout_ms: 30_000 },
    );
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
    await waitFor(
      "restarted and Ready",
      () => {
        const cs = last()?.containerStatuses?.[0];
        return cs?.restartCount === 1 && cs.ready && cs.lastState?.terminated?.exitCode === 137;
      },
      { timeout_ms: 30_000 },
    );
    expect(await (await fetch(`${url}/data/k`)).text()).toBe("v1");
    await w.terminate(5, true);
    const cs = last()?.containerStatuses?.[0];
    expect(cs?.state?.terminated?.reason).toBe("Completed"); // http-echo exits 0 on SIGTERM
    expect(last()?.phase).toBe("Succeeded");
    expect(deleted).toBe(1);
    expect(listSandboxes(slot)).toEqual([]);
    expect(readFileSync(w.logPath("echo", true) ?? "", "utf8")).toContain("listening on :8080");
  });

  it("runs preStop hooks before SIGTERM, and the Sluice broker's own hook puts it in lame duck", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "lk-hook-"));
    const rt = runtime(`${slot.prefix}11`, "hooked-0");
    const pod: V1Pod = {
      metadata: { name: "hooked-0", namespace: "t", uid: "0badcaf2-0000-4000-8000-000000000002" },
      spec: {
        nodeName: "n1",
        terminationGracePeriodSeconds: 20,
        volumes: [
          { name: "out", hostPath: { path: outDir } },
          { name: "run", emptyDir: {} },
        ],
        containers: [
          {
            name: "shell",
            image: "localkube/shell",
            command: [
              "/bin/sh",
              "-c",
              'echo started >> /lk-out/log; trap "echo term >> /lk-out/log; exit 0" TERM; while :; do sleep 0.1; done',
            ],
            // Probes wait for postStart, so readiness may depend on what the hook wrote.
            readinessProbe: {
              exec: { command: ["/bin/sh", "-c", "grep -q started /lk-out/log && test -f /lk-out/poststart"] },
              periodSeconds: 1,
            },
            lifecycle: {
              postStart: { exec: { command: ["/bin/sh", "-c", "touch /lk-out/poststart"] } },
              preStop: { exec: { command: ["/bin/sh", "-c", "echo prestop >> /lk-out/log"] } },
            },
            volumeMounts: [{ name: "out", mountPath: "/lk-out" }],
          },
          {
            // The operator's StatefulSet hook, resolved through the image map like the container's own command.
            name: "broker",
            image: "sluice/broker:0.1.0",
            args: ["broker", "-p", "4222", "-m", "8222", "-P", "/run/lk-sluice/broker.pid"],
            ports: [{ name: "client", containerPort: 4222 }],
            readinessProbe: { tcpSocket: { port: "client" }, periodSeconds: 1 },
            lifecycle: {
              preStop: {
                exec: { command: ["sluice", "broker", "--signal", "ldm=/run/lk-sluice/broker.pid"] },
              },
            },
            volumeMounts: [{ name: "run", mountPath: "/run/lk-sluice" }],
          },
        ],
      },
    };
    const w = worker(pod, rt);
    try {
      await w.run();
      const own = (): V1PodStatus | undefined => statusesOf.get("hooked-0")?.at(-1);
      await waitFor("hooked pod Ready", () => own()?.conditions?.some((c) => c.type === "Ready" && c.status === "True"), {
        timeout_ms: 30_000,
      }).catch((err: unknown) => {
        throw new Error(`${String(err)}; last status ${JSON.stringify(own())}`);
      });
      await w.terminate(20, true);
      // Order: the hook ran (and finished) before the container got its SIGTERM.
      expect(readFileSync(join(outDir, "log"), "utf8").split("\n").filter(Boolean)).toEqual([
        "started",
        "prestop",
        "term",
      ]);
      const broker = readFileSync(w.logPath("broker", false) ?? "", "utf8");
      expect(broker).toContain("Entering lame duck mode");
      expect(broker).toContain("Server Exiting");
      const bs = statusesOf.get("hooked-0")?.at(-1)?.containerStatuses?.find((c) => c.name === "broker");
      // Lame duck with no clients ends at once, so the kubelet's SIGTERM may land while node is
      // already exiting (0) or tearing down (143); either way it left on its own, not by SIGKILL.
      expect([0, 143]).toContain(bs?.state?.terminated?.exitCode);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it("kills a container whose postStart hook fails (restartPolicy Never: the pod fails)", async () => {
    const rt = runtime(`${slot.prefix}12`, "badhook-0");
    const pod: V1Pod = {
      metadata: { name: "badhook-0", namespace: "t", uid: "0badcaf3-0000-4000-8000-000000000003" },
      spec: {
        nodeName: "n1",
        restartPolicy: "Never",
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            name: "shell",
            image: "localkube/shell",
            command: ["/bin/sh", "-c", "while :; do sleep 0.1; done"],
            readinessProbe: { exec: { command: ["true"] }, periodSeconds: 1 },
            lifecycle: { postStart: { exec: { command: ["/bin/sh", "-c", "exit 7"] } } },
          },
        ],
      },
    };
    const w = worker(pod, rt);
    await w.run();
    const own = (): V1PodStatus[] => statusesOf.get("badhook-0") ?? [];
    const failed = await waitFor("pod Failed after its postStart hook failed", () => own().find((st) => st.phase === "Failed"), {
      timeout_ms: 30_000,
    });
    const cs = failed.containerStatuses?.[0];
    expect(cs?.state?.terminated?.exitCode).toBe(143); // SIGTERM from the kill
    expect(cs?.restartCount).toBe(0);
    expect(own().some((st) => st.containerStatuses?.some((c) => c.ready))).toBe(false); // probes never started
    await w.terminate(5, true);
  });
});
