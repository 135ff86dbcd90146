/**
 * One level-triggered reconcile of one MessageQueue: read, validate, build, server-side apply
 * what differs, take at most one disruptive step (a pod restart), observe, write status.
 * Holds no memory between calls; everything is recomputed from the cluster.
 */
import type { KubernetesObject, V1PersistentVolumeClaim, V1Pod, V1Secret, V1StatefulSet } from "@kubernetes/client-node";
import { apiVersion, kind, type MessageQueue, type MessageQueueInput, type MessageQueueStatus } from "../api/types.js";
import { defaultAndValidate } from "../api/validate.js";
import { parseQuantity } from "../api/quantity.js";
import { buildChildren } from "../builders/index.js";
import { systemUser } from "../builders/inputs.js";
import { names, ports, selectorString } from "../builders/meta.js";
import { authSecretKeys } from "../builders/secrets.js";
import { brokerContainerName, dataVolumeName } from "../builders/statefulset.js";
import { nextRolloutStep, type ObservedPod, type RolloutStep } from "../rollout/plan.js";
import { containsDesired, toSecretData } from "./contains.js";
import { recordEvent, type EventType } from "./events.js";
import { InputError, resolveInputs } from "./inputs.js";
import { KubeApiError, type Kube } from "./kube.js";
import { errorMessage, type Logger } from "./log.js";
import { probeBroker, probeClientPort, type BrokerHealth, type ClientProbe } from "./probe.js";
import { computeStatus, invalidSpecStatus, statusEqual, type BrokerObservation } from "./status.js";

export interface ObjectKey {
  namespace: string;
  name: string;
}

export interface ReconcileDeps {
  kube: Kube;
  log: Logger;
  now: () => Date;
  probe?: (podIp: string, port: number) => Promise<BrokerHealth>;
  probeClient?: (podIp: string, port: number, auth: ClientProbe) => Promise<string | undefined>;
}

export interface ReconcileOutcome {
  /** Come back after this long even without a watch event (health is polled, not watched). */
  requeueAfterMs?: number;
  /** What this round changed, for logs and tests. */
  actions: string[];
}

export const requeue = { progressingMs: 2_000, notReadyMs: 5_000, steadyMs: 60_000 } as const;

function ordinalOf(podName: string): number {
  const n = Number(podName.slice(podName.lastIndexOf("-") + 1));
  return Number.isInteger(n) ? n : -1;
}

function imageTag(image: string | undefined): string {
  if (image === undefined) return "";
  const at = image.lastIndexOf(":");
  return at > image.lastIndexOf("/") ? image.slice(at + 1) : "latest";
}

export function observePods(pods: V1Pod[]): ObservedPod[] {
  return pods.map((p) => ({
    name: p.metadata?.name ?? "",
    uid: p.metadata?.uid ?? "",
    ordinal: ordinalOf(p.metadata?.name ?? ""),
    revision: p.metadata?.labels?.["controller-revision-hash"] ?? "",
    ready: p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    terminating: p.metadata?.deletionTimestamp !== undefined,
  }));
}

export class Reconciler {
  constructor(private readonly deps: ReconcileDeps) {}

  private async event(mq: MessageQueue, type: EventType, reason: string, message: string): Promise<void> {
    try {
      await recordEvent(this.deps.kube, mq, type, reason, message, this.deps.now());
    } catch (err) {
      // Events are best effort: never fail a reconcile because one could not be recorded.
      this.deps.log.warn("event not recorded", { reason, error: errorMessage(err) });
    }
  }

  private async writeStatus(mq: MessageQueue | MessageQueueInput, status: MessageQueueStatus, actions: string[]): Promise<void> {
    if (statusEqual(mq.status, status)) return;
    await this.deps.kube.apply(
      { apiVersion, kind, metadata: { name: mq.metadata.name, namespace: mq.metadata.namespace }, status } as KubernetesObject,
      { force: true, subresource: "status" },
    );
    actions.push("status");
  }

  async reconcile(key: ObjectKey): Promise<ReconcileOutcome> {
    const { kube, log } = this.deps;
    const actions: string[] = [];
    const input = await kube.get<MessageQueueInput & KubernetesObject>({ apiVersion, kind, ...key });
    // Deleted: ownerReferences let the garbage collector remove the children.
    if (input === undefined || input.metadata.deletionTimestamp !== undefined) return { actions };

    const nowIso = this.deps.now().toISOString();
    const validated = defaultAndValidate(input);
    if (!validated.ok) {
      const mqLike = input as unknown as MessageQueue;
      const wasInvalid = input.status?.conditions?.some((c) => c.reason === "InvalidSpec") ?? false;
      await this.writeStatus(input, invalidSpecStatus(mqLike, validated.errors, nowIso), actions);
      if (!wasInvalid) await this.event(mqLike, "Warning", "InvalidSpec", validated.errors.join("; "));
      return { actions };
    }
    const mq = validated.mq;

    let applyError: string | undefined;
    if (!mq.spec.paused) {
      try {
        await this.applyChildren(mq, actions);
      } catch (err) {
        applyError = errorMessage(err);
        log.warn("apply failed", { mq: `${key.namespace}/${key.name}`, error: applyError });
        await this.event(mq, "Warning", err instanceof InputError ? "InvalidInput" : "ApplyFailed", applyError);
      }
    }

    const ns = mq.metadata.namespace;
    const sts = await kube.get<V1StatefulSet>({ apiVersion: "apps/v1", kind: "StatefulSet", namespace: ns, name: names.statefulSet(mq) });
    const pods = (await kube.list<V1Pod>("v1", "Pod", ns, selectorString(mq))).items.filter((p) =>
      p.metadata?.ownerReferences?.some((o) => o.kind === "StatefulSet" && o.name === names.statefulSet(mq)),
    );
    // Probe first: a pod counts as ready for rollout decisions only if the kubelet says Ready
    // *and* the operator itself reaches a healthy broker in it.
    const brokers = await this.observeBrokers(pods, await this.clientProbeAuth(mq));
    const unhealthy = new Set(brokers.filter((b) => !b.healthy).map((b) => b.pod));
    const observed = observePods(pods);
    const gated = observed.map((p) => ({ ...p, ready: p.ready && !unhealthy.has(p.name) }));
    let step: RolloutStep = { kind: "none" };
    if (sts !== undefined) {
      step = nextRolloutStep({
        statefulSetGeneration: sts.metadata?.generation ?? 0,
        statefulSetObservedGeneration: sts.status?.observedGeneration ?? 0,
        updateRevision: sts.status?.updateRevision ?? "",
        desiredReplicas: mq.spec.replicas,
        pods: gated,
      });
      if (step.kind === "restart" && !mq.spec.paused && applyError === undefined) {
        // Delete only this incarnation (uid precondition): after a crash, a recreated pod of the
        // same name is never deleted twice.
        const deleted = await kube.delete({ apiVersion: "v1", kind: "Pod", namespace: ns, name: step.pod.name }, step.pod.uid);
        if (deleted) {
          actions.push(`restart ${step.pod.name}`);
          await this.event(mq, "Normal", "RestartingBroker", step.message);
        }
      }
    }

    const status = computeStatus({
      mq,
      nowIso,
      podCount: observed.filter((p) => !p.terminating).length,
      readyPods: observed.filter((p) => p.ready && !p.terminating).length,
      brokers,
      rollout: step,
      ...(applyError !== undefined ? { applyError } : {}),
    });
    const wasReady = mq.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    const isReady = status.conditions?.find((c) => c.type === "Ready")?.status === "True";
    await this.writeStatus(mq, status, actions);
    if (isReady !== wasReady) {
      const ready = status.conditions?.find((c) => c.type === "Ready");
      await this.event(mq, isReady ? "Normal" : "Warning", isReady ? "Ready" : "NotReady", ready?.message ?? "");
    }
    if (applyError !== undefined) throw new Error(applyError);
    const requeueAfterMs = step.kind !== "none" ? requeue.progressingMs : isReady ? requeue.steadyMs : requeue.notReadyMs;
    return { actions, requeueAfterMs };
  }

  private async applyChildren(mq: MessageQueue, actions: string[]): Promise<void> {
    const { kube } = this.deps;
    const inputs = await resolveInputs(kube, mq);
    for (const desired of buildChildren(mq, inputs)) {
      const ref = { apiVersion: desired.apiVersion!, kind: desired.kind!, namespace: mq.metadata.namespace, name: desired.metadata!.name! };
      if (desired.kind === "Secret") toSecretData(desired as { stringData?: Record<string, string> });
      const live = await kube.get(ref);
      if (desired.kind === "StatefulSet" && live !== undefined) {
        await this.keepImmutableClaims(mq, desired as V1StatefulSet, live as V1StatefulSet, actions);
      }
      if (live !== undefined && containsDesired(live, desired)) continue;
      try {
        await kube.apply(desired, { force: true });
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) {
          throw new Error(`${ref.kind} (${ref.apiVersion}) is not served by this cluster: install its CRD (cert-manager, Prometheus Operator) or turn the feature off`);
        }
        throw err;
      }
      const verb = live === undefined ? "Created" : "Updated";
      actions.push(`${verb.toLowerCase()} ${ref.kind}/${ref.name}`);
      await this.event(mq, "Normal", verb, `${verb} ${ref.kind} ${ref.name}`);
    }
  }

  /**
   * volumeClaimTemplates are immutable in a StatefulSet: keep the live ones and grow the
   * existing PVCs instead (the StorageClass must allow expansion; shrinking is rejected at
   * admission by the CRD's CEL rule).
   */
  private async keepImmutableClaims(mq: MessageQueue, desired: V1StatefulSet, live: V1StatefulSet, actions: string[]): Promise<void> {
    const liveClaims = live.spec?.volumeClaimTemplates;
    if (desired.spec === undefined || liveClaims === undefined) return;
    desired.spec.volumeClaimTemplates = liveClaims;
    const want = parseQuantity(mq.spec.storage.size);
    if (want === undefined) return;
    const pvcs = await this.deps.kube.list<V1PersistentVolumeClaim>("v1", "PersistentVolumeClaim", mq.metadata.namespace, selectorString(mq));
    for (const pvc of pvcs.items) {
      const name = pvc.metadata?.name ?? "";
      if (!name.startsWith(`${dataVolumeName}-${names.statefulSet(mq)}-`)) continue;
      const have = parseQuantity(String(pvc.spec?.resources?.requests?.["storage"] ?? ""));
      if (have !== undefined && have < want) {
        await this.deps.kube.mergePatch(
          { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: mq.metadata.namespace, name },
          { spec: { resources: { requests: { storage: mq.spec.storage.size } } } },
        );
        actions.push(`expand PersistentVolumeClaim/${name}`);
        await this.event(mq, "Normal", "ExpandingVolume", `requested ${mq.spec.storage.size} for ${name}`);
      }
    }
  }

  /** Credentials and CA the operator uses to talk NATS to its brokers, read from the cluster. */
  private async clientProbeAuth(mq: MessageQueue): Promise<ClientProbe | undefined> {
    const read = async (name: string, key: string) => {
      const s = await this.deps.kube.get<V1Secret>({ apiVersion: "v1", kind: "Secret", namespace: mq.metadata.namespace, name });
      const v = s?.data?.[key];
      return v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");
    };
    const caPem = mq.spec.tls.mode === "disabled" ? undefined : await read(names.tlsSecret(mq), "ca.crt");
    if (mq.spec.tls.mode !== "disabled" && caPem === undefined) return undefined; // no CA yet: skip the NATS check
    const probe: ClientProbe = caPem !== undefined ? { caPem } : {};
    if (mq.spec.auth.mode === "none") return probe;
    const pass = await read(names.authSecret(mq), authSecretKeys.systemPassword);
    return pass === undefined ? undefined : { ...probe, user: systemUser, pass };
  }

  private async observeBrokers(pods: V1Pod[], clientAuth: ClientProbe | undefined): Promise<BrokerObservation[]> {
    const probe = this.deps.probe ?? probeBroker;
    const probeClient = this.deps.probeClient ?? probeClientPort;
    const running = pods.filter((p) => p.status?.podIP !== undefined && p.metadata?.deletionTimestamp === undefined);
    return Promise.all(
      running.map(async (p) => {
        const h = await probe(p.status!.podIP!, ports.monitor);
        if (h.healthy && clientAuth !== undefined) {
          const error = await probeClient(p.status!.podIP!, ports.client, clientAuth);
          if (error !== undefined) {
            h.healthy = false;
            h.error = error;
          }
        }
        const image = p.spec?.containers.find((c) => c.name === brokerContainerName)?.image;
        return {
          pod: p.metadata?.name ?? "",
          healthy: h.healthy,
          version: imageTag(image),
          ...(h.error !== undefined ? { healthError: h.error } : {}),
          ...(h.metaLeader !== undefined ? { metaLeader: h.metaLeader } : {}),
          ...(h.clusterSize !== undefined ? { clusterSize: h.clusterSize } : {}),
        };
      }),
    );
  }
}
