/**
 * One container of a pod as a host process: start, exit tracking, probes (startup gates
 * liveness/readiness), restart per restartPolicy with the kubelet's back-off (first restart at
 * once, then 10 s doubling to 5 min, reset after 10 min of clean running), and graceful kill
 * (preStop hook, SIGTERM, SIGKILL when the grace period runs out). postStart runs before probes.
 */
import type { ChildProcess } from "node:child_process";
import type { V1Container, V1LifecycleHandler } from "@kubernetes/client-node";
import { graceAfterPreStop } from "./hooks.js";
import { ProbeRunner, type ProbeTarget } from "./probes.js";

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
export const BACKOFF_RESET_MS = 600_000;
/** The kubelet sets no deadline on postStart; we bound it so a hung hook cannot wedge a container. */
export const POSTSTART_TIMEOUT_MS = 120_000;

export interface Terminated {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

export type State = { waiting: { reason: string; message?: string } } | { running: { startedAt: string } } | { terminated: Terminated };

export interface ContainerHost {
  restartPolicy: "Always" | "OnFailure" | "Never";
  /** Start the process for this attempt (stdout/stderr wired to the log file). */
  launch: (spec: V1Container, attempt: number) => ChildProcess;
  probeTarget: (pid: number) => ProbeTarget;
  changed: () => void;
  /** Grace for liveness kills: probe's terminationGracePeriodSeconds or the pod's. */
  podGrace_s: number;
  log: (msg: string) => void;
  /** Run a lifecycle handler (preStop) against the container's process; undefined on success, else why not. */
  runHook: (pid: number, handler: V1LifecycleHandler, timeout_ms: number) => Promise<string | undefined>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

export class ContainerRun {
  state: State = { waiting: { reason: "ContainerCreating" } };
  lastState: State | undefined;
  restartCount = 0;
  ready = false;
  started = false;
  pid: number | undefined;
  private proc: ChildProcess | undefined;
  private startedAtMs = 0;
  private backoff_ms = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private probes: ProbeRunner[] = [];
  private stopping = false;
  private exitWaiters: (() => void)[] = [];
  /** The process whose preStop hook has run (once per process, as the kubelet). */
  private preStopPid: number | undefined;
  /** For init containers: resolves true on a successful completion, false when failed for good. */
  onDone: ((ok: boolean) => void) | undefined;

  constructor(
    readonly spec: V1Container,
    private readonly host: ContainerHost,
    readonly kind: "init" | "regular",
  ) {}

  get name(): string {
    return this.spec.name;
  }

  running(): boolean {
    return this.proc !== undefined;
  }

  /** Fail before any process exists (image or config problem). */
  setWaiting(reason: string, message: string): void {
    this.state = { waiting: { reason, message } };
    this.host.changed();
  }

  start(): void {
    if (this.stopping || this.proc) return;
    let proc: ChildProcess;
    try {
      proc = this.host.launch(this.spec, this.restartCount);
    } catch (err) {
      this.setWaiting("RunContainerError", err instanceof Error ? err.message : String(err));
      return;
    }
    this.proc = proc;
    this.pid = proc.pid;
    this.startedAtMs = Date.now();
    const startedAt = new Date(this.startedAtMs).toISOString();
    this.state = { running: { startedAt } };
    this.ready = false;
    this.started = this.spec.startupProbe === undefined;
    proc.on("exit", (code, signal) => this.exited(code, signal, startedAt));
    proc.on("error", (err) => this.host.log(`container ${this.name}: ${err.message}`));
    const pid = proc.pid;
    const postStart = this.spec.lifecycle?.postStart;
    if (pid !== undefined && postStart !== undefined) {
      // As the kubelet: probes wait for postStart; a failed hook kills the container (restart per policy).
      void this.host.runHook(pid, postStart, POSTSTART_TIMEOUT_MS).then((failure) => {
        if (this.proc?.pid !== pid || this.stopping) return;
        if (failure === undefined) {
          if (this.kind === "regular") this.startProbes(pid);
          return;
        }
        this.host.log(`container ${this.name}: FailedPostStartHook: ${failure}`);
        void this.kill(this.host.podGrace_s * 1000, "postStart");
      });
    } else if (this.kind === "regular" && pid !== undefined) this.startProbes(pid);
    this.host.changed();
  }

  private startProbes(pid: number): void {
    const target = this.host.probeTarget(pid);
    const readiness = (): void => {
      if (this.spec.readinessProbe) {
        this.addProbe(this.spec.readinessProbe, target, (r) => {
          this.ready = r === "success";
          this.host.changed();
        });
      } else {
        this.ready = true;
        this.host.changed();
      }
    };
    const liveness = (): void => {
      if (!this.spec.livenessProbe) return;
      const grace = this.spec.livenessProbe.terminationGracePeriodSeconds ?? this.host.podGrace_s;
      this.addProbe(this.spec.livenessProbe, target, (r) => {
        if (r !== "failure") return;
        this.host.log(`container ${this.name}: liveness probe failed, restarting`);
        void this.kill(grace * 1000, "liveness");
      });
    };
    if (this.spec.startupProbe) {
      const grace = this.spec.startupProbe.terminationGracePeriodSeconds ?? this.host.podGrace_s;
      const runner = this.addProbe(this.spec.startupProbe, target, (r) => {
        if (r === "success") {
          runner.stop();
          this.started = true;
          this.host.changed();
          readiness();
          liveness();
        } else {
          void this.kill(grace * 1000, "startup");
        }
      });
    } else {
      readiness();
      liveness();
    }
  }

  private addProbe(probe: NonNullable<V1Container["readinessProbe"]>, target: ProbeTarget, cb: (r: "success" | "failure") => void): ProbeRunner {
    const runner = new ProbeRunner(probe, target, cb);
    this.probes.push(runner);
    runner.start();
    return runner;
  }

  private stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  private exited(code: number | null, signal: NodeJS.Signals | null, startedAt: string): void {
    this.stopProbes();
    if (this.killTimer) clearTimeout(this.killTimer);
    const sig = signal !== null ? (SIGNALS[signal] ?? 0) : undefined;
    const exitCode = code ?? 128 + (sig ?? 0);
    const term: Terminated = {
      exitCode,
      reason: exitCode === 0 ? "Completed" : "Error",
      startedAt,
      finishedAt: new Date().toISOString(),
      containerID: `process://${this.pid ?? 0}`,
      ...(sig !== undefined ? { signal: sig } : {}),
    };
    this.proc = undefined;
    this.ready = false;
    this.state = { terminated: term };
    for (const w of this.exitWaiters.splice(0)) w();
    const ranFor = Date.now() - this.startedAtMs;
    if (ranFor > BACKOFF_RESET_MS) this.backoff_ms = 0;
    const restart =
      !this.stopping &&
      (this.kind === "init"
        ? exitCode !== 0 && this.host.restartPolicy !== "Never"
        : this.host.restartPolicy === "Always" || (this.host.restartPolicy === "OnFailure" && exitCode !== 0));
    if (this.kind === "init" && !this.stopping) {
      if (exitCode === 0) this.onDone?.(true);
      else if (!restart) this.onDone?.(false);
    }
    if (restart) this.scheduleRestart(term);
    this.host.changed();
  }

  private scheduleRestart(term: Terminated): void {
    const delay = this.backoff_ms === 0 ? 0 : Math.max(0, this.startedAtMs + this.backoff_ms - Date.now());
    this.backoff_ms = this.backoff_ms === 0 ? BACKOFF_INITIAL_MS : Math.min(this.backoff_ms * 2, BACKOFF_MAX_MS);
    const restart = (): void => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.lastState = { terminated: term };
      this.restartCount++;
      this.start();
    };
    if (delay === 0) {
      restart();
      return;
    }
    this.lastState = { terminated: term };
    this.state = { waiting: { reason: "CrashLoopBackOff", message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.name}` } };
    this.restartTimer = setTimeout(restart, delay);
  }

  /**
   * Run the preStop hook (once per process, within the grace period), then SIGTERM the process
   * group and SIGKILL when the rest of the grace period is up; resolves when the process has exited.
   */
  kill(grace_ms: number, why: "liveness" | "startup" | "postStart" | "stop"): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.pid === undefined) return Promise.resolve();
    const pid = proc.pid;
    const done = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.host.log(`container ${this.name}: stopping (${why}), grace ${grace_ms} ms`);
    const preStop = this.spec.lifecycle?.preStop;
    if (preStop === undefined || grace_ms <= 0 || this.preStopPid === pid) {
      this.signalTerm(pid, grace_ms);
      return done;
    }
    this.preStopPid = pid;
    const t0 = performance.now();
    void this.host.runHook(pid, preStop, grace_ms).then((failure) => {
      if (failure !== undefined) this.host.log(`container ${this.name}: FailedPreStopHook: ${failure}`);
      if (this.proc?.pid !== pid) return; // exited during the hook
      this.signalTerm(pid, graceAfterPreStop(grace_ms, performance.now() - t0));
    });
    return done;
  }

  private signalTerm(pid: number, grace_ms: number): void {
    const signal = (s: NodeJS.Signals): void => {
      try {
        process.kill(-pid, s);
      } catch {
        try {
          process.kill(pid, s);
        } catch {
          // gone
        }
      }
    };
    signal("SIGTERM");
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => signal("SIGKILL"), Math.max(0, grace_ms));
  }

  /** Stop for good (pod termination): no further restarts. */
  async stop(grace_ms: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      if (this.lastState !== undefined && "terminated" in this.lastState) this.state = this.lastState;
    }
    this.stopProbes();
    await this.kill(grace_ms, "stop");
    if ("waiting" in this.state) {
      // Never started: report as terminated the way the kubelet does for a killed pod.
      const now = new Date().toISOString();
      this.state = { terminated: { exitCode: 137, reason: "ContainerStatusUnknown", message: "The container could not be located when the pod was terminated", startedAt: now, finishedAt: now, containerID: "" } };
    }
    this.host.changed();
  }

  /** Fault injection: SIGKILL the process (it is restarted per restartPolicy, with back-off). */
  killHard(): boolean {
    const pid = this.proc?.pid;
    if (pid === undefined) return false;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      process.kill(pid, "SIGKILL");
    }
    return true;
  }
}
