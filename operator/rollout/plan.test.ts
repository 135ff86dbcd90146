import { describe, expect, it } from "vitest";
import { nextRolloutStep, type ObservedPod, type RolloutInput } from "./plan.js";

const pod = (ordinal: number, revision: string, ready = true, terminating = false): ObservedPod => ({
  name: `mq-${ordinal}`,
  uid: `u${ordinal}`,
  ordinal,
  revision,
  ready,
  terminating,
});
const input = (pods: ObservedPod[], over: Partial<RolloutInput> = {}): RolloutInput => ({
  statefulSetGeneration: 2,
  statefulSetObservedGeneration: 2,
  updateRevision: "new",
  desiredReplicas: 3,
  pods,
  ...over,
});

describe("nextRolloutStep", () => {
  it("does nothing when every pod is current and ready", () => {
    expect(nextRolloutStep(input([pod(0, "new"), pod(1, "new"), pod(2, "new")]))).toEqual({ kind: "none" });
  });

  it("restarts the highest outdated ordinal first", () => {
    const step = nextRolloutStep(input([pod(0, "old"), pod(1, "old"), pod(2, "new")]));
    expect(step.kind === "restart" && step.pod.name).toBe("mq-1");
  });

  it("waits for the controller to observe the new generation", () => {
    expect(nextRolloutStep(input([pod(0, "old")], { statefulSetObservedGeneration: 1 })).kind).toBe("wait");
  });

  it("never restarts a second pod while one is terminating or not ready", () => {
    expect(nextRolloutStep(input([pod(0, "old"), pod(1, "old"), pod(2, "new", true, true)]))).toMatchObject({ kind: "wait", reason: "PodTerminating" });
    expect(nextRolloutStep(input([pod(0, "old"), pod(1, "old"), pod(2, "new", false)]))).toMatchObject({ kind: "wait", reason: "PodsNotReady" });
  });

  it("restarts an outdated pod that is not ready before anything else", () => {
    const step = nextRolloutStep(input([pod(0, "old", false), pod(1, "old"), pod(2, "old")]));
    expect(step).toMatchObject({ kind: "restart", reason: "OutdatedAndNotReady" });
    expect(step.kind === "restart" && step.pod.name).toBe("mq-0");
  });

  it("waits for missing pods before restarting", () => {
    expect(nextRolloutStep(input([pod(0, "old"), pod(1, "new")]))).toMatchObject({ kind: "wait", reason: "PodsMissing" });
  });

  it("restarts each pod exactly once over a full roll", () => {
    let pods = [pod(0, "old"), pod(1, "old"), pod(2, "old")];
    const restarted: string[] = [];
    for (let i = 0; i < 10; i++) {
      const step = nextRolloutStep(input(pods));
      if (step.kind !== "restart") break;
      restarted.push(step.pod.name);
      pods = pods.map((p) => (p.name === step.pod.name ? pod(p.ordinal, "new") : p));
    }
    expect(restarted).toEqual(["mq-2", "mq-1", "mq-0"]);
  });
});
