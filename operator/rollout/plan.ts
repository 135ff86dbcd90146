/**
 * Which broker to restart next, from observed state only (level-triggered, so a restarted
 * operator picks up where the last one stopped). Simple version for Operator v1: one pod at a
 * time, only while every other pod is Ready; the replication-aware gates of
 * operator-lifecycle.md §7a come with clustering.
 */

export interface ObservedPod {
  name: string;
  uid: string;
  ordinal: number;
  /** Pod label `controller-revision-hash`. */
  revision: string;
  ready: boolean;
  terminating: boolean;
}

export interface RolloutInput {
  /** StatefulSet metadata.generation vs status.observedGeneration: has the controller caught up? */
  statefulSetGeneration: number;
  statefulSetObservedGeneration: number;
  updateRevision: string;
  desiredReplicas: number;
  pods: ObservedPod[];
}

export type RolloutStep =
  | { kind: "none" }
  | { kind: "wait"; reason: "StatefulSetNotObserved" | "PodTerminating" | "PodsNotReady" | "PodsMissing"; message: string }
  | { kind: "restart"; pod: ObservedPod; reason: "OutdatedRevision" | "OutdatedAndNotReady"; message: string };

export function outdatedPods(input: RolloutInput): ObservedPod[] {
  return input.pods.filter((p) => input.updateRevision !== "" && p.revision !== input.updateRevision);
}

export function nextRolloutStep(input: RolloutInput): RolloutStep {
  if (input.statefulSetObservedGeneration < input.statefulSetGeneration || input.updateRevision === "") {
    return { kind: "wait", reason: "StatefulSetNotObserved", message: "waiting for the StatefulSet controller to observe the new spec" };
  }
  const terminating = input.pods.filter((p) => p.terminating);
  if (terminating.length > 0) {
    return { kind: "wait", reason: "PodTerminating", message: `waiting for ${terminating.map((p) => p.name).join(", ")} to terminate` };
  }
  const outdated = outdatedPods(input).sort((a, b) => b.ordinal - a.ordinal);
  // A pod that is both outdated and not Ready may be fixed by the new revision; restarting it
  // cannot make availability worse (Strimzi's rule), so it goes first.
  const stuck = outdated.find((p) => !p.ready);
  if (stuck !== undefined) {
    return { kind: "restart", pod: stuck, reason: "OutdatedAndNotReady", message: `restarting ${stuck.name}: not Ready and on an old revision` };
  }
  const notReady = input.pods.filter((p) => !p.ready);
  if (notReady.length > 0) {
    return { kind: "wait", reason: "PodsNotReady", message: `waiting for ${notReady.map((p) => p.name).join(", ")} to become Ready` };
  }
  if (input.pods.length < input.desiredReplicas) {
    return { kind: "wait", reason: "PodsMissing", message: `${input.pods.length} of ${input.desiredReplicas} pods exist` };
  }
  const next = outdated[0];
  if (next !== undefined) {
    return {
      kind: "restart",
      pod: next,
      reason: "OutdatedRevision",
      message: `restarting ${next.name} (${outdated.length} of ${input.pods.length} brokers on an old revision)`,
    };
  }
  return { kind: "none" };
}
