/**
 * localkube end to end: a real control plane (etcd, kube-apiserver, KCM, scheduler built from the
 * Kubernetes module) with the process kubelet, DNS and local-path volumes, started once for this
 * file. Every wait has a deadline; nothing sleeps.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1Pod } from "@kubernetes/client-node";
import { DiscoveryV1Api } from "@kubernetes/client-node";
import { waitFor } from "../../common/wait.js";
import { listSandboxes, ip as ipCmd } from "../../localkube/net/network.js";
import { processesOf, readPid, isAlive, pidFile } from "../../localkube/procs.js";
import { localkubeOnlySkipReason, startLocalkube, type Localkube } from "./cluster.js";

const skip = localkubeOnlySkipReason();
if (skip !== undefined) process.stderr.write(`skipping localkube e2e: ${skip}\n`);

const STS = (ns: string): string => `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ name: http, port: 8080 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web, namespace: ${ns} }
spec:
  serviceName: web
  replicas: 3
  podManagementPolicy: Parallel
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: echo
          image: localkube/http-echo:1
          env:
            - { name: PORT, value: "8080" }
            - { name: DATA_DIR, value: /var/lib/localkube-e2e/web }
            - name: POD_NAME
              valueFrom: { fieldRef: { fieldPath: metadata.name } }
          ports: [{ name: http, containerPort: 8080 }]
          # The startup probe gates liveness: a slow start on a loaded machine must not be killed.
          startupProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 1, failureThreshold: 120 }
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1, failureThreshold: 1 }
          livenessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1, failureThreshold: 2 }
          volumeMounts: [{ name: data, mountPath: /var/lib/localkube-e2e/web }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 10Mi } } }
`;

describe.skipIf(skip !== undefined)("localkube", () => {
  let lk: Localkube | undefined;
  let ns = "";
  const cluster = (): Localkube => {
    if (!lk) throw new Error("cluster not started");
    return lk;
  };
  const pod = (name: string): Promise<V1Pod> => cluster().core.readNamespacedPod({ name, namespace: ns });
  const podUrl = async (name: string, path: string): Promise<string> => `http://${(await pod(name)).status?.podIP}:8080${path}`;
  const ready = (p: V1Pod): boolean => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;

  beforeAll(async () => {
    lk = await startLocalkube({ name: "lk", nodes: 3, nodeMonitorGracePeriod_s: 20 });
    process.stderr.write(`localkube ${lk.name} started in ${(lk.startup_ms / 1000).toFixed(1)} s\n`);
    ns = await lk.createNamespace("sts");
  });

  afterAll(async () => {
    await lk?.stop();
  });

  it("registers 3 Ready nodes that kubectl lists", async () => {
    const r = await cluster().kubectl(["get", "nodes", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] };
    const lines = list.items.map((n) => `${n.metadata.name}=${n.status.conditions.find((c) => c.type === "Ready")?.status}`).sort();
    expect(lines).toEqual(cluster().record.nodes.map((n) => `${n}=True`).sort());
  });

  it("runs a 3-replica StatefulSet with a headless Service and volumeClaimTemplate to Ready", async () => {
    const r = await cluster().kubectl(["apply", "-f", "-"], { input: STS(ns) });
    expect(r.code, r.stderr).toBe(0);
    await waitFor("statefulset web 3/3 ready", async () => (await cluster().apps.readNamespacedStatefulSet({ name: "web", namespace: ns })).status?.readyReplicas === 3, { timeout_ms: 180_000, interval_ms: 250 });
    const pods = (await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: "app=web" })).items;
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual(["web-0", "web-1", "web-2"]);
    const ips = new Set(pods.map((p) => p.status?.podIP));
    expect(ips.size).toBe(3);
    for (const p of pods) {
      expect(p.status?.phase).toBe("Running");
      expect(p.status?.podIP?.startsWith(cluster().record.slot.prefix)).toBe(true);
      const cs = p.status?.containerStatuses?.[0];
      expect(cs?.ready).toBe(true);
      expect(cs?.started).toBe(true);
      expect(cs?.state?.running?.startedAt).toBeDefined();
      expect(cs?.containerID).toMatch(/^process:\/\/\d+$/);
    }
    const claims = (await cluster().core.listNamespacedPersistentVolumeClaim({ namespace: ns })).items;
    expect(claims.map((c) => `${c.metadata?.name}:${c.status?.phase}:${c.spec?.storageClassName}`).sort()).toEqual(["data-web-0:Bound:localkube", "data-web-1:Bound:localkube", "data-web-2:Bound:localkube"]);
    // Downward API env reached the process: the server reports its own hostname = pod name.
    const res = (await (await fetch(await podUrl("web-1", "/"))).json()) as { hostname: string; ip: string };
    expect(res.hostname).toBe("web-1");
    expect(res.ip).toBe((await pod("web-1")).status?.podIP);
  });

  it("lets pods resolve each other by DNS name and talk", async () => {
    // Cluster DNS is built from EndpointSlices, which the real EndpointSlice controller publishes
    // shortly after pods turn Ready (as with CoreDNS): wait for each name to converge.
    const fetchVia = async (from: string, url: string): Promise<{ status: number; text: string }> => {
      const r = await fetch(`${await podUrl(from, "/fetch")}?url=${encodeURIComponent(url)}`);
      return { status: r.status, text: await r.text() };
    };
    const hostnameVia = (from: string, url: string): Promise<string> =>
      waitFor(`${from} fetches ${url}`, async () => {
        const r = await fetchVia(from, url);
        if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
        return (JSON.parse(r.text) as { hostname: string }).hostname;
      }, { timeout_ms: 60_000, interval_ms: 200 });
    expect(await hostnameVia("web-0", `http://web-1.web.${ns}.svc.cluster.local:8080/`)).toBe("web-1");
    expect(await hostnameVia("web-1", "http://web-2.web:8080/")).toBe("web-2");
    expect(["web-0", "web-1", "web-2"]).toContain(await hostnameVia("web-2", `http://web.${ns}.svc:8080/`));
    const ips = (await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: "app=web" })).items.map((p) => p.status?.podIP ?? "").sort();
    const resolveUrl = `${await podUrl("web-0", "/resolve")}?name=web.${ns}.svc.cluster.local`;
    const resolved = await waitFor("headless service resolves to all 3 pod IPs", async () => {
      const got = ((await (await fetch(resolveUrl)).json()) as string[]).sort();
      return got.length === ips.length ? got : undefined;
    }, { timeout_ms: 60_000, interval_ms: 200 });
    expect(resolved).toEqual(ips);
    const missing = await fetch(`${await podUrl("web-0", "/resolve")}?name=nope.${ns}.svc.cluster.local`);
    expect(missing.status).toBe(502);
  });

  it("serves a ClusterIP Service (port 80 -> targetPort 8080) to pods by name and to the host by ClusterIP", async () => {
    const svc = await cluster().core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: "front" }, spec: { selector: { app: "web" }, ports: [{ name: "web", port: 80, targetPort: "http" }] } },
    });
    const cip = svc.spec?.clusterIP ?? "";
    expect(cip.startsWith(cluster().record.slot.serviceCidr.replace(/0\/24$/, ""))).toBe(true);
    const fromPod = await waitFor("front reachable from a pod", async () => {
      const r = await fetch(`${await podUrl("web-0", "/fetch")}?url=${encodeURIComponent("http://front/")}`);
      return r.status === 200 ? ((await r.json()) as { hostname: string }) : undefined;
    }, { timeout_ms: 30_000, interval_ms: 200 });
    expect(["web-0", "web-1", "web-2"]).toContain(fromPod.hostname);
    const fromHost = (await (await fetch(`http://${cip}:80/`)).json()) as { hostname: string };
    expect(["web-0", "web-1", "web-2"]).toContain(fromHost.hostname);
  });

  it("keeps volume data across a pod delete (pod recreated by the StatefulSet controller)", async () => {
    const put = await fetch(await podUrl("web-1", "/data/greeting"), { method: "PUT", body: "hello from web-1" });
    expect(put.status).toBe(200);
    const before = await pod("web-1");
    await cluster().core.deleteNamespacedPod({ name: "web-1", namespace: ns });
    await waitFor("web-1 recreated and Ready", async () => {
      const p = await pod("web-1").catch(() => undefined);
      return p !== undefined && p.metadata?.uid !== before.metadata?.uid && ready(p);
    }, { timeout_ms: 120_000, interval_ms: 250 });
    const got = await fetch(await podUrl("web-1", "/data/greeting"));
    expect(await got.text()).toBe("hello from web-1");
  }, 180_000);

  it("removes a pod whose readiness probe fails from the EndpointSlices, and adds it back", async () => {
    const discovery = cluster().kubeconfig.makeApiClient(DiscoveryV1Api);
    const endpointReady = async (name: string): Promise<boolean | undefined> => {
      const slices = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: "kubernetes.io/service-name=web" });
      for (const s of slices.items) for (const e of s.endpoints ?? []) if (e.targetRef?.name === name) return e.conditions?.ready === true;
      return undefined;
    };
    expect(await endpointReady("web-2")).toBe(true);
    await fetch(await podUrl("web-2", "/fail/readiness"), { method: "POST" });
    await waitFor("web-2 not ready in EndpointSlice", async () => (await endpointReady("web-2")) === false, { timeout_ms: 30_000, interval_ms: 200 });
    expect(ready(await pod("web-2"))).toBe(false);
    expect((await pod("web-2")).status?.containerStatuses?.[0]?.restartCount).toBe(0);
    await fetch(await podUrl("web-2", "/heal"), { method: "POST" });
    await waitFor("web-2 ready again in EndpointSlice", async () => (await endpointReady("web-2")) === true, { timeout_ms: 30_000, interval_ms: 200 });
  });

  it("restarts a container whose liveness probe fails (restartCount increments)", async () => {
    const before = (await pod("web-0")).status?.containerStatuses?.[0]?.restartCount ?? 0;
    await fetch(await podUrl("web-0", "/fail/liveness"), { method: "POST" });
    const after = await waitFor("web-0 restarted", async () => {
      const p = await pod("web-0");
      const cs = p.status?.containerStatuses?.[0];
      return cs !== undefined && cs.restartCount > before && ready(p) ? p : undefined;
    }, { timeout_ms: 60_000, interval_ms: 200 });
    const cs = after.status?.containerStatuses?.[0];
    expect(cs?.restartCount).toBe(before + 1);
    expect(cs?.lastState?.terminated?.exitCode).toBeDefined();
    expect(cs?.lastState?.terminated?.finishedAt).toBeDefined();
  });

  it("restarts a killed process, backing off on repeated crashes", async () => {
    await cluster().kubectl(["apply", "-n", ns, "-f", "-"], {
      input: `apiVersion: v1\nkind: Pod\nmetadata: { name: crashy }\nspec:\n  containers: [{ name: c, image: localkube/http-echo, env: [{ name: DATA_DIR, value: /tmp/crashy }] }]\n`,
    });
    const running = async (n: number): Promise<boolean> => {
      const cs = (await pod("crashy")).status?.containerStatuses?.[0];
      return cs?.restartCount === n && cs.state?.running !== undefined;
    };
    await waitFor("crashy running", () => running(0), { timeout_ms: 60_000, interval_ms: 100 });
    await cluster().faults.killContainer(ns, "crashy");
    await waitFor("crashy restarted once", () => running(1), { timeout_ms: 30_000, interval_ms: 100 });
    await cluster().faults.killContainer(ns, "crashy");
    const waiting = await waitFor("crashy in CrashLoopBackOff", async () => {
      const cs = (await pod("crashy")).status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === "CrashLoopBackOff" ? cs : undefined;
    }, { timeout_ms: 30_000, interval_ms: 50 });
    expect(waiting.lastState?.terminated?.exitCode).toBe(137);
    expect(waiting.lastState?.terminated?.signal).toBe(9);
    await waitFor("crashy restarted after back-off", () => running(2), { timeout_ms: 60_000, interval_ms: 200 });
  });

  it("serves container logs to kubectl logs", async () => {
    const r = await cluster().kubectl(["logs", "-n", ns, "web-2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("http-echo web-2 listening on :8080");
    const prev = await cluster().kubectl(["logs", "-n", ns, "web-0", "--previous"]);
    expect(prev.code, prev.stderr).toBe(0);
    expect(prev.stdout).toContain("GET /healthz");
  });

  it("fails a pod with an unknown image with ErrImagePull", async () => {
    await cluster().core.createNamespacedPod({ namespace: ns, body: { metadata: { name: "noimage" }, spec: { containers: [{ name: "c", image: "example.invalid/nothing:1" }] } } });
    const cs = await waitFor("ErrImagePull", async () => {
      const s = (await pod("noimage")).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === "ErrImagePull" ? s : undefined;
    }, { timeout_ms: 30_000, interval_ms: 100 });
    expect(cs.state?.waiting?.message).toContain("example.invalid/nothing:1");
    expect((await pod("noimage")).status?.phase).toBe("Pending");
  });

  it("rejects kubectl apply of an invalid object in the API server", async () => {
    const r = await cluster().kubectl(["apply", "-n", ns, "-f", "-"], {
      input: `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: Bad_Name }\nspec:\n  replicas: -1\n  serviceName: x\n  selector: { matchLabels: { a: b } }\n  template: { metadata: { labels: { a: c } }, spec: { containers: [] } }\n`,
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/is invalid/);
    expect(r.stderr).toContain("spec.replicas");
  });

  it("cuts and restores a pod's network (readiness follows)", async () => {
    await cluster().faults.cutNetwork(ns, "web-1", true);
    await waitFor("web-1 unready while cut", async () => !ready(await pod("web-1")), { timeout_ms: 30_000, interval_ms: 200 });
    await cluster().faults.cutNetwork(ns, "web-1", false);
    await waitFor("web-1 ready after restore", async () => ready(await pod("web-1")), { timeout_ms: 30_000, interval_ms: 200 });
  });

  it("marks a node whose heartbeats stop NotReady (real node-lifecycle controller) and recovers it", async () => {
    const node = (await pod("web-2")).spec?.nodeName ?? "";
    const nodeReady = async (): Promise<string | undefined> => (await cluster().core.readNode({ name: node })).status?.conditions?.find((c) => c.type === "Ready")?.status;
    await cluster().faults.stopNode(node);
    await waitFor(`${node} Ready=Unknown`, async () => (await nodeReady()) === "Unknown", { timeout_ms: 90_000, interval_ms: 500 });
    await waitFor("web-2 marked not ready by the controller", async () => !ready(await pod("web-2")), { timeout_ms: 30_000, interval_ms: 250 });
    await cluster().faults.startNode(node);
    await waitFor(`${node} Ready=True`, async () => (await nodeReady()) === "True", { timeout_ms: 60_000, interval_ms: 500 });
    await waitFor("web-2 ready again", async () => ready(await pod("web-2")), { timeout_ms: 30_000, interval_ms: 250 });
  });

  it("down stops every process, namespace and the bridge", async () => {
    const rec = cluster().record;
    const pids = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "agent"].map((n) => readPid(pidFile(rec.stateDir, n)));
    expect(pids.every((p) => p !== undefined && isAlive(p))).toBe(true);
    expect(processesOf(rec.stateDir).length).toBeGreaterThan(pids.length); // pods too
    await cluster().stop();
    lk = undefined;
    expect(processesOf(rec.stateDir)).toEqual([]);
    for (const p of pids) expect(isAlive(p ?? 0)).toBe(false);
    expect(listSandboxes(rec.slot)).toEqual([]);
    expect(ipCmd(["-o", "link", "show"]).includes(` ${rec.slot.bridge}:`)).toBe(false);
    expect(existsSync(rec.stateDir)).toBe(false);
  });
});
