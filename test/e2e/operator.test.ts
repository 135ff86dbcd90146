/**
 * Operator end to end on a real cluster: localkube (real apiserver, KCM, scheduler, process
 * kubelet), or kind with E2E_KIND=1. A real `helm install` of charts/sluice runs `sluice operator`
 * as a pod; MessageQueues become broker pods that a nats.js client uses. Written against
 * E2ECluster only, so it runs on both backends. Every wait has a deadline; nothing sleeps.
 */
import { execFile } from "node:child_process";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../common/wait.js";
import { Kube } from "../../operator/reconcile/kube.js";
import { LeaderElector } from "../../operator/reconcile/leader.js";
import { jsonLogger } from "../../operator/reconcile/log.js";
import { Reconciler } from "../../operator/reconcile/reconciler.js";
import type { E2ECluster, PodEndpoint } from "./backend.js";
import { clusterSkipReason, startCluster } from "./cluster.js";

const skip = clusterSkipReason();
if (skip !== undefined) process.stderr.write(`skipping operator e2e: ${skip}\n`);

const root = join(import.meta.dirname, "..", "..");
const helm = join(process.env["SLUICE_CACHE"] ?? join(homedir(), ".cache", "sluice"), "bin", "helm");
const opNs = "sluice-system";

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface MqObject {
  metadata: { name: string; generation: number };
  status?: { conditions?: Condition[]; readyReplicas?: number; replicas?: number; observedGeneration?: number; secretName?: string; endpoints?: { client: string } };
}
interface PodObject {
  metadata: { name: string; uid: string; creationTimestamp: string; labels?: Record<string, string> };
  status?: { podIP?: string; conditions?: { type: string; status: string; lastTransitionTime: string }[] };
}

const mqYaml = (name: string, ns: string, spec: string) => `apiVersion: sluice.dev/v1alpha1
kind: MessageQueue
metadata:
  name: ${name}
  namespace: ${ns}
spec:
${spec}`;

describe.skipIf(skip !== undefined)("operator on a real cluster", () => {
  let lk: E2ECluster | undefined;
  let ns = "";
  const cluster = (): E2ECluster => {
    if (lk === undefined) throw new Error("cluster not started");
    return lk;
  };
  const kubectl = async (args: string[], input?: string) => {
    const r = await cluster().kubectl(args, input !== undefined ? { input } : {});
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async <T>(args: string[]): Promise<T> => JSON.parse(await kubectl([...args, "-o", "json"])) as T;
  const getMq = (name: string) => getJson<MqObject>(["get", "mq", name, "-n", ns]);
  const pods = async (mq: string) =>
    (await getJson<{ items: PodObject[] }>(["get", "pods", "-n", ns, "-l", `app.kubernetes.io/instance=${mq},app.kubernetes.io/name=sluice-broker`])).items;
  const isReady = (p: PodObject) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  const cond = (mq: MqObject, type: string) => mq.status?.conditions?.find((c) => c.type === type);
  const waitReady = (name: string, replicas: number, timeout_ms = 240_000) =>
    waitFor(
      `MessageQueue ${name} Ready with ${replicas} brokers`,
      async () => {
        const mq = await getMq(name);
        return cond(mq, "Ready")?.status === "True" && mq.status?.readyReplicas === replicas && mq.status.observedGeneration === mq.metadata.generation ? mq : undefined;
      },
      { timeout_ms, interval_ms: 500 },
    );
  const secretValue = async (name: string, key: string) => {
    const s = await getJson<{ data: Record<string, string> }>(["get", "secret", name, "-n", ns]);
    return Buffer.from(s.data[key] ?? "", "base64").toString("utf8");
  };
  const helmRun = (args: string[]) =>
    promisify(execFile)(helm, [...args, "--kubeconfig", cluster().kubeconfigPath], { timeout: 120_000, encoding: "utf8" });
  /** Run `use` against host:port of a pod's port (pod IP on localkube, a port-forward on kind). */
  const viaPod = async <T>(namespace: string, pod: string, port: number, use: (at: PodEndpoint) => Promise<T>): Promise<T> => {
    const at = await cluster().reach(namespace, pod, port);
    try {
      return await use(at);
    } finally {
      await at.close();
    }
  };
  const scaleOperator = async (replicas: number) => {
    await kubectl(["scale", "deployment", "sluice-operator", "-n", opNs, `--replicas=${replicas}`]);
    await waitFor(
      `operator at ${replicas} ready replicas`,
      async () => {
        const list = await getJson<{ items: PodObject[] }>(["get", "pods", "-n", opNs, "-l", "app.kubernetes.io/name=sluice-operator"]);
        return list.items.length === replicas && list.items.every(isReady);
      },
      { timeout_ms: 120_000, interval_ms: 500 },
    );
  };

  beforeAll(async () => {
    lk = await startCluster({ name: "op", nodes: 3 });
    await helmRun(["install", "sluice", join(root, "charts", "sluice"), "--namespace", opNs, "--create-namespace"]);
    await waitFor(
      "operator Deployment available",
      async () => {
        const d = await getJson<{ status?: { availableReplicas?: number } }>(["get", "deployment", "sluice-operator", "-n", opNs]);
        return (d.status?.availableReplicas ?? 0) >= 1;
      },
      { timeout_ms: 120_000, interval_ms: 500 },
    );
    ns = await cluster().createNamespace("mq");
  });

  afterAll(async () => {
    await lk?.stop();
  });

  it("installs with helm: the operator pod holds the leader Lease and serves /metrics", async () => {
    // A Ready operator pod may still be acquiring the Lease: wait for it, then check both sides agree.
    const lease = await waitFor(
      "operator holds the leader Lease",
      async () => {
        const l = await getJson<{ spec: { holderIdentity?: string } }>(["get", "lease", "sluice-operator-leader", "-n", opNs]);
        return l.spec.holderIdentity ? l : undefined;
      },
      { timeout_ms: 60_000, interval_ms: 250 },
    );
    expect(lease.spec.holderIdentity).toMatch(/^sluice-operator-/);
    const op = (await getJson<{ items: PodObject[] }>(["get", "pods", "-n", opNs, "-l", "app.kubernetes.io/name=sluice-operator"])).items[0]!;
    const text = await waitFor(
      "operator /metrics reports leadership",
      async () => {
        const t = await viaPod(opNs, op.metadata.name, 8080, async (at) => (await fetch(`http://${at.host}:${at.port}/metrics`)).text());
        return t.includes("sluice_operator_leader 1") ? t : undefined;
      },
      { timeout_ms: 60_000, interval_ms: 250 },
    );
    expect(text).toContain("sluice_operator_reconcile_total");
  });

  it("elects one leader per Lease and hands over on release", async () => {
    const kube = Kube.load(cluster().kubeconfigPath);
    const opts = { namespace: ns, name: "e2e-leader", leaseDurationS: 15, renewDeadlineMs: 10_000, retryPeriodMs: 500 };
    const a = new LeaderElector(kube, { ...opts, identity: "a" }, jsonLogger("error"));
    const b = new LeaderElector(kube, { ...opts, identity: "b" }, jsonLogger("error"));
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(await a.tryAcquireOrRenew()).toBe(true); // renew
    await a.release();
    expect(await b.tryAcquireOrRenew(new Date(Date.now() + 2_000))).toBe(true);
    const lease = await getJson<{ spec: { holderIdentity: string; leaseTransitions: number } }>(["get", "lease", "e2e-leader", "-n", ns]);
    expect(lease.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("rejects invalid specs at admission with the CEL message", async () => {
    const cases: [string, RegExp][] = [
      ["  replicas: 4\n", /replicas must be 1 or an odd number/],
      ["  config:\n    port: \"1\"\n", /config keys must be among/],
      ["  tls:\n    mode: certManager\n", /tls.issuerRef is required when tls.mode is certManager/],
    ];
    for (const [spec, message] of cases) {
      const r = await cluster().kubectl(["apply", "-f", "-"], { input: mqYaml("bad", ns, spec) });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
  });

  it("turns a 3-replica MessageQueue into 3 ready brokers with honest status", async () => {
    await kubectl(["apply", "-f", "-"], mqYaml("demo", ns, "  replicas: 3\n  storage:\n    size: 64Mi\n    retainPolicy: Retain\n"));
    const mq = await waitReady("demo", 3);
    expect((await pods("demo")).filter(isReady)).toHaveLength(3);
    expect(mq.status?.secretName).toBe("demo-client");
    expect(mq.status?.endpoints?.client).toBe(`nats://demo.${ns}.svc.cluster.local:4222`);
    // Brokers do not route to each other yet: status says so instead of inventing a meta leader.
    expect(cond(mq, "Degraded")).toMatchObject({ status: "True", reason: "ClusteringUnavailable" });
    const printed = await kubectl(["get", "mq", "demo", "-n", ns]);
    expect(printed.split("\n")[0]).toMatch(/NAME\s+READY\s+REPLICAS\s+VERSION\s+AGE/);
  }, 300_000);

  it("lets a nats.js client connect with the credentials Secret and read back a stored message", async () => {
    const user = await secretValue("demo-client", "username");
    const pass = await secretValue("demo-client", "password");
    await viaPod(ns, "demo-0", 4222, async (at) => {
      const servers = `nats://${at.host}:${at.port}`;
      const nc = await connect({ servers, user, pass, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: "E2E", subjects: ["e2e.>"], num_replicas: 1 });
        const ack = await jetstream(nc).publish("e2e.hello", "hi");
        expect((await jsm.streams.getMessage("E2E", { seq: ack.seq }))?.string()).toBe("hi");
      } finally {
        await nc.close();
      }
      await expect(connect({ servers, user, pass: "nope", reconnect: false })).rejects.toThrow(/Authorization/i);
    });
  });

  it("restarts pods one at a time when config changes, each with the new config, clients told by lame duck", async () => {
    const before = new Map((await pods("demo")).map((p) => [p.metadata.name, p.metadata.uid]));
    // A client on demo-0 hears INFO ldm:true before its broker goes: the StatefulSet's preStop hook
    // (`sluice broker --signal ldm=...`) runs before the kubelet's SIGTERM.
    const at = await cluster().reach(ns, "demo-0", 4222);
    const nc = await connect({ servers: `nats://${at.host}:${at.port}`, user: await secretValue("demo-client", "username"), pass: await secretValue("demo-client", "password"), reconnect: false });
    const heardLameDuck = (async () => {
      for await (const s of nc.status()) if (s.type === "ldm") return true;
      return false;
    })();
    try {
      await kubectl(["patch", "mq", "demo", "-n", ns, "--type", "merge", "-p", '{"spec":{"config":{"max_payload":"2MB"}}}']);
      await waitFor(
        "every demo pod replaced and ready",
        async () => {
          const now = await pods("demo");
          return now.length === 3 && now.every((p) => before.get(p.metadata.name) !== p.metadata.uid && isReady(p));
        },
        { timeout_ms: 300_000, interval_ms: 500 },
      );
      await nc.closed();
      expect(await heardLameDuck).toBe(true);
    } finally {
      if (!nc.isClosed()) await nc.close();
      await at.close();
    }
    await waitReady("demo", 3);
    // One at a time: each replacement pod was created only after the previous one became Ready.
    const replaced = (await pods("demo")).sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp));
    for (let i = 1; i < replaced.length; i++) {
      const prevReady = replaced[i - 1]!.status!.conditions!.find((c) => c.type === "Ready")!.lastTransitionTime;
      expect(replaced[i]!.metadata.creationTimestamp >= prevReady).toBe(true);
    }
    for (const p of replaced) {
      const varz = (await viaPod(ns, p.metadata.name, 8222, async (at) => (await fetch(`http://${at.host}:${at.port}/varz`)).json())) as { max_payload: number };
      expect(varz.max_payload).toBe(2 * 1024 * 1024);
    }
    const events = await getJson<{ items: { reason: string }[] }>(["get", "events", "-n", ns, "--field-selector", "involvedObject.name=demo"]);
    expect(events.items.filter((e) => e.reason === "RestartingBroker")).toHaveLength(3);
  }, 420_000);

  it("scales with kubectl scale and refuses an even count", async () => {
    await kubectl(["scale", "mq", "demo", "-n", ns, "--replicas=5"]);
    await waitReady("demo", 5);
    const r = await cluster().kubectl(["scale", "mq", "demo", "-n", ns, "--replicas=2"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/replicas must be 1 or an odd number/);
    await kubectl(["scale", "mq", "demo", "-n", ns, "--replicas=3"]);
    await waitReady("demo", 3);
    const shrink = await cluster().kubectl(["patch", "mq", "demo", "-n", ns, "--type", "merge", "-p", '{"spec":{"storage":{"size":"32Mi"}}}']);
    expect(shrink.stderr).toMatch(/storage.size cannot shrink/);
  }, 420_000);

  it("reconciles idempotently: a converged MessageQueue needs no API writes, drift is repaired", async () => {
    await scaleOperator(0); // this test's Reconciler is the only writer now
    try {
      const kube = Kube.load(cluster().kubeconfigPath);
      const reconciler = new Reconciler({ kube, log: jsonLogger("warn"), now: () => new Date() });
      // Let anything still in flight (a pod becoming ready) settle: some pass writes nothing...
      await waitFor(
        "a reconcile that writes nothing",
        async () => {
          const before = kube.writeCount();
          await reconciler.reconcile({ namespace: ns, name: "demo" });
          return kube.writeCount() === before;
        },
        { timeout_ms: 120_000, interval_ms: 1_000 },
      );
      // ...and then every further pass writes nothing either.
      for (let i = 0; i < 3; i++) {
        const settled = kube.writeCount();
        const again = await reconciler.reconcile({ namespace: ns, name: "demo" });
        expect(again.actions).toEqual([]);
        expect(kube.writeCount() - settled).toBe(0);
      }

      await kubectl(["delete", "configmap", "demo-config", "-n", ns]);
      const out = await reconciler.reconcile({ namespace: ns, name: "demo" });
      expect(out.actions).toContain("created ConfigMap/demo-config");
      const after = kube.writeCount();
      const next = await reconciler.reconcile({ namespace: ns, name: "demo" });
      expect(next.actions).toEqual([]);
      expect(kube.writeCount() - after).toBe(0);
    } finally {
      await scaleOperator(1);
    }
  }, 300_000);

  it("resumes after the operator is killed mid-reconcile without duplicate resources", async () => {
    await kubectl(["apply", "-f", "-"], mqYaml("second", ns, "  replicas: 1\n  storage:\n    size: 32Mi\n    retainPolicy: Delete\n"));
    await waitFor("operator started on second", async () => (await getJson<{ items: unknown[] }>(["get", "statefulsets,configmaps", "-n", ns, "-l", "sluice.dev/messagequeue=second"])).items.length > 0, {
      timeout_ms: 60_000,
      interval_ms: 100,
    });
    await kubectl(["delete", "pod", "-n", opNs, "-l", "app.kubernetes.io/name=sluice-operator", "--grace-period=0", "--force"]);
    await waitReady("second", 1);
    for (const kind of ["statefulsets", "services", "configmaps", "secrets", "poddisruptionbudgets", "networkpolicies", "serviceaccounts"]) {
      const items = (await getJson<{ items: { metadata: { name: string } }[] }>(["get", kind, "-n", ns, "-l", "sluice.dev/messagequeue=second"])).items;
      const names = items.map((i) => i.metadata.name);
      expect(new Set(names).size, kind).toBe(names.length);
      expect(names.length, kind).toBeGreaterThan(0);
    }
  }, 300_000);

  it("garbage-collects owned objects on delete and keeps or deletes PVCs per policy", async () => {
    const pvcs = async (mq: string) => (await getJson<{ items: unknown[] }>(["get", "pvc", "-n", ns, "-l", `app.kubernetes.io/instance=${mq}`])).items.length;
    expect(await pvcs("demo")).toBe(5);
    expect(await pvcs("second")).toBe(1);
    await kubectl(["delete", "mq", "demo", "second", "-n", ns]);
    await waitFor(
      "owned objects garbage collected",
      async () => (await getJson<{ items: unknown[] }>(["get", "statefulsets,services,configmaps,secrets,pods", "-n", ns, "-l", "app.kubernetes.io/part-of=sluice"])).items.length === 0,
      { timeout_ms: 180_000, interval_ms: 500 },
    );
    await waitFor("second's PVC deleted", async () => (await pvcs("second")) === 0, { timeout_ms: 120_000, interval_ms: 500 });
    expect(await pvcs("demo")).toBe(5);
  }, 300_000);
});
