/**
 * MessageQueue status from what was observed (pods, broker monitoring endpoints, the last
 * apply), never from what was intended. Pure: the caller passes the time.
 */
import type { Condition, ConditionStatus, ConditionType, MessageQueue, MessageQueueStatus } from "../api/types.js";
import { names, selectorString } from "../builders/meta.js";
import { clientUrl, monitoringUrl } from "../builders/secrets.js";
import type { RolloutStep } from "../rollout/plan.js";

export interface BrokerObservation {
  pod: string;
  /** GET /healthz answered 200. */
  healthy: boolean;
  healthError?: string;
  /** Image tag the pod runs. */
  version: string;
  /** /jsz meta_cluster.leader, when the broker reports one. */
  metaLeader?: string;
  /** /varz cluster routes or /jsz meta_cluster size: does the broker see its peers? */
  clusterSize?: number;
}

export interface StatusInput {
  mq: MessageQueue;
  nowIso: string;
  podCount: number;
  readyPods: number;
  brokers: BrokerObservation[];
  rollout: RolloutStep;
  /** Set when applying owned objects failed this round. */
  applyError?: string;
}

function cond(type: ConditionType, status: ConditionStatus, reason: string, message: string, mq: MessageQueue, nowIso: string): Condition {
  const previous = mq.status?.conditions?.find((c) => c.type === type);
  const unchanged = previous !== undefined && previous.status === status;
  return {
    type,
    status,
    reason,
    message,
    observedGeneration: mq.metadata.generation ?? 0,
    lastTransitionTime: unchanged ? previous.lastTransitionTime : nowIso,
  };
}

export function commonVersion(brokers: BrokerObservation[]): string | undefined {
  const versions = new Set(brokers.map((b) => b.version));
  return versions.size === 1 ? [...versions][0] : undefined;
}

export function computeStatus(input: StatusInput): MessageQueueStatus {
  const { mq, nowIso, brokers } = input;
  const want = mq.spec.replicas;
  const unhealthy = brokers.filter((b) => !b.healthy);
  const leaders = new Set(brokers.map((b) => b.metaLeader).filter((l): l is string => l !== undefined && l !== ""));

  let ready: Condition;
  if (input.readyPods < want || input.podCount !== want) {
    ready = cond("Ready", "False", "BrokersNotReady", `${input.readyPods} of ${want} brokers ready`, mq, nowIso);
  } else if (unhealthy.length > 0) {
    const detail = unhealthy.map((b) => `${b.pod}: ${b.healthError ?? "unhealthy"}`).join("; ");
    ready = cond("Ready", "False", "HealthCheckFailing", `/healthz failing on ${detail}`, mq, nowIso);
  } else {
    ready = cond("Ready", "True", "AllBrokersReady", `${want} of ${want} brokers ready and healthy`, mq, nowIso);
  }

  let progressing: Condition;
  if (mq.spec.paused) {
    progressing = cond("Progressing", "False", "Paused", "spec.paused is true: owned objects are not changed", mq, nowIso);
  } else if (input.rollout.kind === "restart") {
    progressing = cond("Progressing", "True", "RollingRestart", input.rollout.message, mq, nowIso);
  } else if (input.rollout.kind === "wait") {
    progressing = cond("Progressing", "True", input.rollout.reason, input.rollout.message, mq, nowIso);
  } else if (input.podCount !== want) {
    progressing = cond("Progressing", "True", "Scaling", `${input.podCount} brokers, scaling to ${want}`, mq, nowIso);
  } else {
    progressing = cond("Progressing", "False", "Stable", "every broker runs the current configuration", mq, nowIso);
  }

  let degraded: Condition;
  if (input.applyError !== undefined) {
    degraded = cond("Degraded", "True", "ApplyFailed", input.applyError, mq, nowIso);
  } else if (want > 1 && brokers.length > 0 && leaders.size === 0) {
    degraded = cond(
      "Degraded",
      "True",
      "ClusteringUnavailable",
      "brokers run as independent servers: none reports a JetStream meta leader, so streams are not replicated across brokers",
      mq,
      nowIso,
    );
  } else if (leaders.size > 1) {
    degraded = cond("Degraded", "True", "SplitMetaLeadership", `brokers disagree on the meta leader: ${[...leaders].sort().join(", ")}`, mq, nowIso);
  } else {
    degraded = cond("Degraded", "False", "AsExpected", "no problems observed", mq, nowIso);
  }

  const version = commonVersion(brokers);
  return {
    conditions: [ready, progressing, degraded],
    observedGeneration: mq.metadata.generation ?? 0,
    replicas: input.podCount,
    readyReplicas: input.readyPods,
    ...(version !== undefined ? { currentVersion: version } : {}),
    endpoints: { client: clientUrl(mq), monitoring: monitoringUrl(mq) },
    secretName: names.clientSecret(mq),
    selector: selectorString(mq),
  };
}

/** Status for a spec the operator refuses to act on. */
export function invalidSpecStatus(mq: MessageQueue, errors: string[], nowIso: string): MessageQueueStatus {
  const message = errors.join("; ");
  return {
    ...(mq.status ?? {}),
    observedGeneration: mq.metadata.generation ?? 0,
    conditions: [
      cond("Ready", mq.status?.conditions?.find((c) => c.type === "Ready")?.status ?? "False", "InvalidSpec", message, mq, nowIso),
      cond("Progressing", "False", "InvalidSpec", message, mq, nowIso),
      cond("Degraded", "True", "InvalidSpec", message, mq, nowIso),
    ],
  };
}

/** Equal ignoring lastTransitionTime noise: decides whether a status write is needed. */
export function statusEqual(a: MessageQueueStatus | undefined, b: MessageQueueStatus): boolean {
  return JSON.stringify(normalize(a ?? {})) === JSON.stringify(normalize(b));
}

function normalize(s: MessageQueueStatus): unknown {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return sortKeys(s);
}
