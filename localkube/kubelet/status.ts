/**
 * Pure pod-status computation (phase, conditions, containerStatuses) from the runtime's view of
 * the containers, the way the kubelet's status manager reports them. No clock: `now` is passed in.
 */
import type { V1ContainerState, V1ContainerStatus, V1PodCondition, V1PodStatus, V1Pod } from "@kubernetes/client-node";
import type { State } from "./container.js";

export interface ContainerView {
  name: string;
  image: string;
  state: State;
  lastState: State | undefined;
  restartCount: number;
  ready: boolean;
  started: boolean;
  pid: number | undefined;
  everStarted: boolean;
  /** Would the runtime start it again after it stopped? */
  willRestart: boolean;
}

export interface PodView {
  pod: V1Pod;
  init: ContainerView[];
  containers: ContainerView[];
  sandboxReady: boolean;
  initialized: boolean;
  initFailed: boolean;
  podIp: string | undefined;
  hostIp: string;
  startTime: string;
  /** Previous conditions, to keep lastTransitionTime stable. */
  previous: V1PodCondition[];
  now: string;
}

export type Phase = "Pending" | "Running" | "Succeeded" | "Failed";

export function podPhase(v: Pick<PodView, "containers" | "initialized" | "initFailed">): Phase {
  if (v.initFailed) return "Failed";
  if (!v.initialized) return "Pending";
  let running = 0;
  let restarting = 0;
  let failed = 0;
  let succeeded = 0;
  for (const c of v.containers) {
    if ("running" in c.state) running++;
    else if ("waiting" in c.state) {
      if (!c.everStarted) return "Pending";
      restarting++;
    } else if (c.willRestart) restarting++;
    else if (c.state.terminated.exitCode === 0) succeeded++;
    else failed++;
  }
  if (running > 0 || restarting > 0) return "Running";
  if (failed > 0) return "Failed";
  if (succeeded > 0) return "Succeeded";
  return "Pending";
}

function toApiState(s: State | undefined): V1ContainerState {
  if (s === undefined) return {};
  if ("waiting" in s) return { waiting: { reason: s.waiting.reason, ...(s.waiting.message !== undefined ? { message: s.waiting.message } : {}) } };
  if ("running" in s) return { running: { startedAt: new Date(s.running.startedAt) } };
  const t = s.terminated;
  return {
    terminated: {
      exitCode: t.exitCode,
      reason: t.reason,
      startedAt: new Date(t.startedAt),
      finishedAt: new Date(t.finishedAt),
      ...(t.signal !== undefined ? { signal: t.signal } : {}),
      ...(t.message !== undefined ? { message: t.message } : {}),
      ...(t.containerID !== "" ? { containerID: t.containerID } : {}),
    },
  };
}

export function containerStatus(c: ContainerView): V1ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: `localkube://${c.image}`,
    ...(c.pid !== undefined && c.everStarted ? { containerID: `process://${c.pid}` } : {}),
    ready: c.ready,
    started: c.started && "running" in c.state,
    restartCount: c.restartCount,
    state: toApiState(c.state),
    lastState: toApiState(c.lastState),
  };
}

function condition(prev: V1PodCondition[], now: string, type: string, ok: boolean, reason?: string, message?: string): V1PodCondition {
  const status = ok ? "True" : "False";
  const before = prev.find((c) => c.type === type);
  const since = before !== undefined && before.status === status && before.lastTransitionTime !== undefined ? before.lastTransitionTime : new Date(now);
  return {
    type,
    status,
    lastTransitionTime: since,
    ...(ok || reason === undefined ? {} : { reason }),
    ...(ok || message === undefined ? {} : { message }),
  };
}

export function podStatus(v: PodView): V1PodStatus {
  const phase = podPhase(v);
  const unready = v.containers.filter((c) => !c.ready).map((c) => c.name);
  const terminal = phase === "Succeeded" || phase === "Failed";
  const containersReady = unready.length === 0 && !terminal;
  const gates = (v.pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const gatesOk = gates.every((g) => v.pod.status?.conditions?.some((c) => c.type === g && c.status === "True"));
  const unreadyMsg = `containers with unready status: [${unready.join(" ")}]`;
  const pendingInit = v.init.filter((c) => !("terminated" in c.state && c.state.terminated.exitCode === 0)).map((c) => c.name);
  const conditions: V1PodCondition[] = [
    condition(v.previous, v.now, "PodReadyToStartContainers", v.sandboxReady && !terminal),
    condition(v.previous, v.now, "Initialized", v.initialized, "ContainersNotInitialized", `containers with incomplete status: [${pendingInit.join(" ")}]`),
    condition(v.previous, v.now, "Ready", containersReady && gatesOk, terminal ? "PodCompleted" : "ContainersNotReady", terminal ? undefined : unreadyMsg),
    condition(v.previous, v.now, "ContainersReady", containersReady, terminal ? "PodCompleted" : "ContainersNotReady", terminal ? undefined : unreadyMsg),
  ];
  return {
    phase,
    conditions,
    hostIP: v.hostIp,
    hostIPs: [{ ip: v.hostIp }],
    ...(v.podIp !== undefined ? { podIP: v.podIp, podIPs: [{ ip: v.podIp }] } : {}),
    startTime: new Date(v.startTime),
    ...(v.init.length > 0 ? { initContainerStatuses: v.init.map(containerStatus) } : {}),
    containerStatuses: v.containers.map(containerStatus),
  };
}
