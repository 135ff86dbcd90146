/**
 * localkube's non-root basic path, end to end: the whole cluster (etcd, apiserver, KCM, scheduler,
 * process kubelet) runs as an unprivileged user (`setpriv` to nobody when this test runs as root,
 * as CI does; in-process when it already runs unprivileged) and picks loopback network mode by
 * itself. Pods get 127.77.<slot>.x addresses on the host network, volumes at their mountPath in a
 * rootless user-namespace sandbox. Every wait has a deadline; nothing sleeps.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { V1Pod } from "@kubernetes/client-node";
import { waitFor } from "../../common/wait.js";
import { NetnsRequiredError } from "../../localkube/faults.js";
import { freePort } from "../../localkube/http.js";
import { forward, parseTarget } from "../../localkube/portforward.js";
import { isAlive, pidFile, processesOf, readPid } from "../../localkube/procs.js";
import { localkubeOnlySkipReason, startLocalkube, type Localkube } from "./cluster.js";
import { NOBODY, unprivilegedSkipReason } from "./localkube-unprivileged.js";

const asRoot = process.getuid?.() === 0;
const skip = localkubeOnlySkipReason() ?? (asRoot ? unprivilegedSkipReason(NOBODY) : undefined);
if (skip !== undefined) process.stderr.write(`skipping localkube loopback e2e: ${skip}\n`);

const MOUNT = `/var/lib/localkube-loopback-e2e-${process.pid}/web`;
const REPLICAS = 3;

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
  replicas: ${REPLICAS}
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
            - { name: DATA_DIR, value: ${MOUNT} }
          ports: [{ name: http, containerPort: 8080 }]
          startupProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 1, failureThreshold: 120 }
          # Ready needs the exec probe to pass inside the pod's sandbox, where the volume is at its
          # mountPath (on the host that path does not exist).
          # Generous timeouts: on a loaded 2-core machine spawning nsenter can take seconds.
          readinessProbe: { exec: { command: [sh, -c, "test -d ${MOUNT}"] }, periodSeconds: 1, timeoutSeconds: 10, failureThreshold: 3 }
          livenessProbe: { httpGet: { path: /healthz, port: http }, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 5 }
          volumeMounts: [{ name: data, mountPath: ${MOUNT} }]
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 10Mi } } }
`;

// Two Sluice brokers as the operator runs them: config at /etc/sluice (ConfigMap), listening on
// the wildcard address (which each must turn into its own pod IP), server_name from the downward API.
const BROKERS = (ns: string): string => `
apiVersion: v1
kind: ConfigMap
metadata: { name: brk-config, namespace: ${ns} }
data:
  sluice.conf: |
    server_name: $POD_NAME
    listen: "0.0.0.0:4222"
    http_port: 8222
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: brk, namespace: ${ns} }
spec:
  serviceName: brk
  replicas: 2
  podManagementPolicy: Parallel
  selector: { matchLabels: { app: brk } }
  template:
    metadata: { labels: { app: brk } }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: broker
          image: sluice/broker:e2e
          args: [broker, -c, /etc/sluice/sluice.conf]
          env:
            - name: POD_NAME
              valueFrom: { fieldRef: { fieldPath: metadata.name } }
          ports: [{ name: client, containerPort: 4222 }, { name: monitor, containerPort: 8222 }]
          readinessProbe: { httpGet: { path: /healthz, port: monitor }, periodSeconds: 1, timeoutSeconds: 5 }
          volumeMounts: [{ name: config, mountPath: /etc/sluice, readOnly: true }]
      volumes: [{ name: config, configMap: { name: brk-config } }]
`;

/** The INFO line a NATS server sends on connect. */
function natsInfo(host: string, port: number): Promise<{ server_name?: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    let buf = "";
    const timer = setTimeout(() => sock.destroy(new Error(`no INFO from ${host}:${port}`)), 10_000);
    sock.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      const end = buf.indexOf("\r\n");
      if (end < 0) return;
      clearTimeout(timer);
      sock.destroy();
      try {
        resolve(JSON.parse(buf.slice(0, end).replace(/^INFO /, "")) as { server_name?: string });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Real uid and effective capabilities of a process, from /proc (undefined once it is gone). */
function creds(pid: number): { uid: number; capEff: bigint } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? "-1");
  const cap = /^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? "ffffffffffffffff";
  return { uid, capEff: BigInt(`0x${cap}`) };
}

describe.skipIf(skip !== undefined)("localkube without root (loopback network mode)", () => {
  let lk: Localkube | undefined;
  let ns = "";
  const cluster = (): Localkube => {
    if (!lk) throw new Error("cluster not started");
    return lk;
  };
  const pod = (name: string): Promise<V1Pod> => cluster().core.readNamespacedPod({ name, namespace: ns });
  const podUrl = async (name: string, path: string): Promise<string> => `http://${(await pod(name)).status?.podIP}:8080${path}`;
  const ready = (p: V1Pod): boolean => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
  const names = Array.from({ length: REPLICAS }, (_, i) => `web-${i}`);

  beforeAll(async () => {
    lk = await startLocalkube({ name: "lkl", nodes: 3, ...(asRoot ? { unprivileged: NOBODY } : {}) });
    process.stderr.write(`localkube ${lk.name} (${lk.record.network}) started in ${(lk.startup_ms / 1000).toFixed(1)} s\n`);
    ns = await lk.createNamespace("lb");
  });

  afterAll(async () => {
    await lk?.stop();
  });

  it("runs the control plane and the kubelet unprivileged, in loopback mode picked by itself", async () => {
    const rec = cluster().record;
    expect(rec.network).toBe("loopback");
    expect(rec.slot.bridge).toBe("");
    expect(rec.slot.prefix).toMatch(/^127\.77\.\d+\.$/);
    for (const name of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "agent"]) {
      const pid = readPid(pidFile(rec.stateDir, name));
      expect(pid, name).toBeDefined();
      const c = creds(pid ?? 0);
      expect(c, `${name} running`).toBeDefined();
      expect(c?.uid, `${name} uid`).not.toBe(0);
      if (asRoot) expect(c?.uid, `${name} uid`).toBe(NOBODY.uid);
      expect(c?.capEff, `${name} CapEff`).toBe(0n);
    }
    const r = await cluster().kubectl(["get", "nodes", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[] } }[] };
    expect(list.items.map((n) => `${n.metadata.name}=${n.status.conditions.find((c) => c.type === "Ready")?.status}`).sort()).toEqual(rec.nodes.map((n) => `${n}=True`).sort());
    for (const n of list.items) expect(n.status.addresses.find((a) => a.type === "InternalIP")?.address).toBe(rec.slot.gateway);
  });

  it("brings a StatefulSet with a volumeClaimTemplate to Ready, one distinct 127.77 address per pod", async () => {
    const r = await cluster().kubectl(["apply", "-f", "-"], { input: STS(ns) });
    expect(r.code, r.stderr).toBe(0);
    await waitFor(`statefulset web ${REPLICAS}/${REPLICAS} ready`, async () => (await cluster().apps.readNamespacedStatefulSet({ name: "web", namespace: ns })).status?.readyReplicas === REPLICAS, { timeout_ms: 180_000, interval_ms: 250 });
    const pods = (await cluster().core.listNamespacedPod({ namespace: ns, labelSelector: "app=web" })).items;
    expect(pods.map((p) => p.metadata?.name).sort()).toEqual(names);
    const ips = pods.map((p) => p.status?.podIP ?? "");
    expect(new Set(ips).size).toBe(REPLICAS);
    for (const p of pods) {
      expect(p.status?.podIP?.startsWith(cluster().record.slot.prefix)).toBe(true);
      expect(p.status?.podIPs).toEqual([{ ip: p.status?.podIP }]);
      const cs = p.status?.containerStatuses?.[0];
      expect(cs?.ready).toBe(true);
      expect(cs?.containerID).toMatch(/^process:\/\/\d+$/);
    }
    // Every process of the cluster, pods included (host view), runs as the unprivileged user.
    const procs = processesOf(cluster().record.stateDir).map(creds).filter((c) => c !== undefined);
    expect(procs.length).toBeGreaterThan(5 + REPLICAS - 1);
    expect(procs.filter((c) => c.uid === 0)).toEqual([]);
    const claims = (await cluster().core.listNamespacedPersistentVolumeClaim({ namespace: ns })).items;
    expect(claims.map((c) => `${c.metadata?.name}:${c.status?.phase}`).sort()).toEqual(names.map((n) => `data-${n}:Bound`));
  });

  it("lets the host reach every pod by its IP, each bound to its own address", async () => {
    for (const name of names) {
      const p = await pod(name);
      const res = (await (await fetch(`http://${p.status?.podIP}:8080/`)).json()) as { hostname: string; ip: string };
      expect(res).toEqual({ hostname: name, ip: p.status?.podIP });
    }
  });

  it("lets pods reach each other by IP", async () => {
    for (let i = 0; i < REPLICAS; i++) {
      const from = names[i] ?? "";
      const to = names[(i + 1) % REPLICAS] ?? "";
      const target = `http://${(await pod(to)).status?.podIP}:8080/`;
      const r = await fetch(`${await podUrl(from, "/fetch")}?url=${encodeURIComponent(target)}`);
      expect(r.status).toBe(200);
      expect(((await r.json()) as { hostname: string }).hostname).toBe(to);
    }
  });

  it("keeps volume data in the PV directory (not at the mountPath on the host) across a pod delete", async () => {
    const put = await fetch(await podUrl("web-1", "/data/greeting"), { method: "PUT", body: "hello without root" });
    expect(put.status).toBe(200);
    expect(existsSync(MOUNT)).toBe(false);
    const volumes = join(cluster().record.stateDir, "volumes");
    const stored = readdirSync(volumes).filter((d) => existsSync(join(volumes, d, "greeting")));
    expect(stored).toHaveLength(1);
    expect(readFileSync(join(volumes, stored[0] ?? "", "greeting"), "utf8")).toBe("hello without root");
    const before = await pod("web-1");
    await cluster().core.deleteNamespacedPod({ name: "web-1", namespace: ns });
    await waitFor("web-1 recreated and Ready", async () => {
      const p = await pod("web-1").catch(() => undefined);
      return p !== undefined && p.metadata?.uid !== before.metadata?.uid && ready(p);
    }, { timeout_ms: 120_000, interval_ms: 250 });
    expect(await (await fetch(await podUrl("web-1", "/data/greeting"))).text()).toBe("hello without root");
  }, 180_000);

  it("runs two Sluice brokers side by side, each on its own pod IP with its config at /etc/sluice", async () => {
    const r = await cluster().kubectl(["apply", "-f", "-"], { input: BROKERS(ns) });
    expect(r.code, r.stderr).toBe(0);
    await waitFor("statefulset brk 2/2 ready", async () => (await cluster().apps.readNamespacedStatefulSet({ name: "brk", namespace: ns })).status?.readyReplicas === 2, { timeout_ms: 120_000, interval_ms: 250 });
    for (const name of ["brk-0", "brk-1"]) {
      const p = await pod(name);
      expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
      expect((await natsInfo(p.status?.podIP ?? "", 4222)).server_name).toBe(name);
    }
  });

  it("forwards a host port to a Service's ready pods (no EndpointSlices for loopback addresses)", async () => {
    const local = await freePort();
    const srv = await forward(cluster().record, parseTarget(`${ns}/svc/web`, 8080), local, () => undefined);
    try {
      const res = (await (await fetch(`http://127.0.0.1:${local}/`)).json()) as { hostname: string };
      expect(names).toContain(res.hostname);
    } finally {
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });

  it("fails cluster DNS names at once instead of asking the host's resolver", async () => {
    const r = await fetch(`${await podUrl("web-0", "/resolve")}?name=web-1.web.${ns}.svc.cluster.local`);
    expect(r.status).toBe(502);
    expect(await r.text()).toContain("ENOTFOUND");
  });

  it("serves container logs to kubectl logs", async () => {
    const r = await cluster().kubectl(["logs", "-n", ns, "web-2"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("http-echo web-2 listening on :8080");
  });

  it("restarts a killed container (fault injection works without root)", async () => {
    const before = (await pod("web-2")).status?.containerStatuses?.[0]?.restartCount ?? 0;
    await cluster().faults.killContainer(ns, "web-2");
    await waitFor("web-2 restarted and Ready", async () => {
      const p = await pod("web-2");
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) > before && ready(p);
    }, { timeout_ms: 60_000, interval_ms: 200 });
    const res = (await (await fetch(await podUrl("web-2", "/"))).json()) as { hostname: string };
    expect(res.hostname).toBe("web-2");
  });

  it("refuses network-cut faults with a specific error", async () => {
    await expect(cluster().faults.cutNetwork(ns, "web-0", true)).rejects.toBeInstanceOf(NetnsRequiredError);
  });

  it("down stops every process it started", async () => {
    const rec = cluster().record;
    const pids = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "agent"].map((n) => readPid(pidFile(rec.stateDir, n)));
    expect(pids.every((p) => p !== undefined && isAlive(p))).toBe(true);
    expect(processesOf(rec.stateDir).length).toBeGreaterThan(pids.length); // pods too
    await cluster().stop();
    lk = undefined;
    expect(processesOf(rec.stateDir)).toEqual([]);
    for (const p of pids) expect(isAlive(p ?? 0)).toBe(false);
    expect(existsSync(rec.stateDir)).toBe(false);
  });
});
