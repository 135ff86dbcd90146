/**
 * One pod on a process-kubelet node: sandbox (network namespace, hostname, /etc files), volumes,
 * init containers in order, then the containers; status reporting; graceful termination followed
 * by the final DELETE (uid precondition) like the kubelet's status manager.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { V1Container, V1Pod, V1PodCondition, V1PodStatus } from "@kubernetes/client-node";
import { ContainerRun, type ContainerHost } from "./container.js";
import { buildEnv, EnvError, expandVars, type EnvLookups } from "./env.js";
import { containerArgv, resolveImage, type ImageCommand } from "./images.js";
import { waitFor } from "../../common/wait.js";
import { leftLauncher, runLifecycleHandler } from "./hooks.js";
import { execWithTimeout, type ProbeTarget } from "./probes.js";
import { podStatus, type ContainerView } from "./status.js";
import { prepareVolumes, refreshVolumes, VolumeNotReady, type VolumeLookups } from "./volumes.js";
import type { NetworkMode } from "../net/addressing.js";
import type { Sandbox } from "../net/network.js";
import { STATE_ENV } from "../procs.js";
import { planRootless, rootlessScript, shq, type FsProbe } from "./rootless.js";

export interface PodRuntime {
  stateDir: string;
  repoRoot: string;
  ipPath: string;
  /** netns: `ip netns exec` per pod (root). loopback: host network, see kubelet/rootless.ts. */
  network: NetworkMode;
  /** Loopback mode: why unprivileged user namespaces are unusable (pods with volume mounts then fail), or undefined. */
  usernsUnavailable?: string | undefined;
  /** Loopback mode: file URL of net/preload.js, loaded into every Node process of a pod. */
  preloadUrl?: string | undefined;
  hostIp: string;
  kubernetesServicePort: number;
  lookups: Omit<EnvLookups, "podIp" | "hostIp" | "kubernetesServiceHost" | "kubernetesServicePort"> & Omit<VolumeLookups, "podIp" | "hostIp">;
  createSandbox: (pod: V1Pod) => Sandbox;
  destroySandbox: (pod: V1Pod, sb: Sandbox) => void;
  patchStatus: (pod: V1Pod, status: V1PodStatus) => Promise<void>;
  deletePod: (pod: V1Pod) => Promise<void>;
  /** False while the node is "stopped" by fault injection: no status leaves it. */
  nodeActive: (nodeName: string) => boolean;
  log: (msg: string) => void;
}

/** Absolute, so a container env whose PATH lacks the system directories still starts. */
/** How long a hook waits for the container process to leave the sandbox launch chain. */
const COMMAND_START_TIMEOUT_MS = 10_000;
const UNSHARE = ["/usr/bin/unshare", "/bin/unshare"].find((p) => existsSync(p)) ?? "unshare";

const hostFs: FsProbe = {
  exists: (p) => existsSync(p),
  realpath: (p) => realpathSync(p),
  isDirectory: (p) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
};

export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
}

export class PodWorker {
  private init: ContainerRun[] = [];
  private containers: ContainerRun[] = [];
  private images = new Map<string, ImageCommand>();
  private sandbox: Sandbox | undefined;
  private initialized = false;
  private initFailed = false;
  private terminating: Promise<void> | undefined;
  private startTime = new Date().toISOString();
  private conditions: V1PodCondition[] = [];
  private syncTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastSent = "";
  private syncing: Promise<void> = Promise.resolve();
  private everStarted = new Set<string>();
  private volumes = new Map<string, string>();
  readonly podDir: string;
  readonly logDir: string;

  constructor(
    public pod: V1Pod,
    private readonly rt: PodRuntime,
  ) {
    const uid = pod.metadata?.uid ?? "";
    const base = `${pod.metadata?.namespace}_${pod.metadata?.name}_${uid}`;
    this.podDir = join(rt.stateDir, "pods", base);
    this.logDir = join(rt.stateDir, "logs", "pods", base);
    const host = (c: V1Container): ContainerHost => {
      const probeTarget = (pid: number): ProbeTarget => ({
        podIp: this.sandbox?.ip ?? "127.0.0.1",
        ports: c.ports ?? [],
        exec: (argv, timeout_ms) => this.probeExec(pid, this.inImage(c.name, argv), timeout_ms),
      });
      return {
        restartPolicy: (pod.spec?.restartPolicy as "Always" | "OnFailure" | "Never" | undefined) ?? "Always",
        launch: (spec, attempt) => this.launch(spec, attempt),
        probeTarget,
        changed: () => this.scheduleSync(),
        podGrace_s: pod.spec?.terminationGracePeriodSeconds ?? 30,
        log: (m) => rt.log(`${podKey(this.pod)}: ${m}`),
        runHook: async (pid, handler, timeout_ms) => {
          if (!(await this.commandStarted(pid, Math.min(timeout_ms, COMMAND_START_TIMEOUT_MS)))) return `process ${pid} never started the container's command`;
          return runLifecycleHandler(handler, probeTarget(pid), timeout_ms);
        },
      };
    };
    for (const c of pod.spec?.initContainers ?? []) this.init.push(new ContainerRun(c, host(c), "init"));
    for (const c of pod.spec?.containers ?? []) this.containers.push(new ContainerRun(c, host(c), "regular"));
    this.initialized = this.init.length === 0;
  }

  get uid(): string {
    return this.pod.metadata?.uid ?? "";
  }

  get podIp(): string | undefined {
    return this.sandbox?.ip;
  }

  get hostVeth(): string | undefined {
    return this.sandbox?.hostVeth === "" ? undefined : this.sandbox?.hostVeth;
  }

  /** Wait (bounded) until `pid` has left the sandbox launch chain; false if it exited or took too long. */
  private async commandStarted(pid: number, timeout_ms: number): Promise<boolean> {
    const cmdline = (): string[] | undefined => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").slice(0, -1);
      } catch {
        return undefined; // gone
      }
    };
    try {
      return await waitFor(`pod process ${pid} running its command`, () => {
        const c = cmdline();
        return c === undefined ? "gone" : leftLauncher(c) ? "started" : undefined;
      }, { timeout_ms, interval_ms: 10 }) === "started";
    } catch {
      return false;
    }
  }

  /** An exec command as the container's image would run it: the image's own binary by its in-image names. */
  private inImage(container: string, argv: string[]): string[] {
    const image = this.images.get(container);
    const [first, ...rest] = argv;
    if (image === undefined || first === undefined || !image.entrypointNames.includes(first)) return argv;
    return [...image.entrypoint, ...rest];
  }

  /** An exec probe or hook inside the container's namespaces (or plainly, for an unsandboxed process). */
  private probeExec(pid: number, argv: string[], timeout_ms: number): Promise<number> {
    if (this.rt.network === "netns") return execWithTimeout("nsenter", ["-t", String(pid), "-n", "-m", "-u", "--", ...argv], this.baseEnv(), timeout_ms);
    // --preserve-credentials: setgroups is denied in the sandbox's user namespace; our uid is its root anyway.
    if (this.rt.usernsUnavailable === undefined) return execWithTimeout("nsenter", ["-t", String(pid), "-U", "--preserve-credentials", "-m", "-u", "-r", "-w", "--", ...argv], this.baseEnv(), timeout_ms);
    const [cmd, ...rest] = argv;
    return cmd === undefined ? Promise.resolve(-1) : execWithTimeout(cmd, rest, this.baseEnv(), timeout_ms);
  }

  isTerminating(): boolean {
    return this.terminating !== undefined;
  }

  container(name: string | undefined): ContainerRun | undefined {
    return name === undefined ? this.containers[0] : this.containers.find((c) => c.name === name);
  }

  logPath(container: string, previous: boolean): string | undefined {
    const run = this.containers.find((c) => c.name === container) ?? this.init.find((c) => c.name === container);
    if (!run) return undefined;
    const attempt = run.restartCount - (previous ? 1 : 0);
    return attempt < 0 ? undefined : join(this.logDir, container, `${attempt}.log`);
  }

  /** The latest object from the watch; re-sends status if the API's view drifted (e.g. NLC). */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (!this.rt.nodeActive(pod.spec?.nodeName ?? "")) return;
    const ours = this.conditions.find((c) => c.type === "Ready")?.status;
    const theirs = pod.status?.conditions?.find((c) => c.type === "Ready")?.status;
    if (ours !== undefined && ours !== theirs) {
      this.lastSent = "";
      this.scheduleSync();
    }
  }

  private baseEnv(): NodeJS.ProcessEnv {
    return { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", [STATE_ENV]: this.rt.stateDir };
  }

  private wait(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  async run(): Promise<void> {
    // Images first: an unknown image fails like a pull would.
    let imageOk = true;
    for (const run of [...this.init, ...this.containers]) {
      const res = resolveImage(run.spec.image ?? "", this.rt.repoRoot, process.execPath);
      if (res.ok) this.images.set(run.name, res.image);
      else {
        imageOk = false;
        run.setWaiting(res.reason, res.message);
      }
    }
    if (!imageOk) return;
    this.sandbox = this.rt.createSandbox(this.pod);
    this.scheduleSync();
    // Volumes: wait (bounded by pod deletion) for claims to bind, configmaps to appear.
    let volumes: Map<string, string> | undefined;
    while (!this.terminating) {
      try {
        volumes = await prepareVolumes(this.pod, this.podDir, { ...this.rt.lookups, podIp: this.sandbox.ip, hostIp: this.rt.hostIp });
        break;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (!(err instanceof VolumeNotReady)) {
          for (const c of [...this.init, ...this.containers]) c.setWaiting("CreateContainerConfigError", msg);
        }
        await this.wait(500);
      }
    }
    if (this.terminating || !volumes) return;
    this.volumes = volumes;
    this.refreshTimer = setInterval(() => void refreshVolumes(this.pod, this.podDir, { ...this.rt.lookups, podIp: this.sandbox?.ip ?? "", hostIp: this.rt.hostIp }).catch(() => undefined), 30_000);
    for (const run of this.init) {
      const ok = await new Promise<boolean>((resolve) => {
        run.onDone = resolve;
        this.startWithConfig(run);
      });
      if (this.terminating) return;
      if (!ok) {
        this.initFailed = true;
        this.scheduleSync();
        return;
      }
    }
    this.initialized = true;
    for (const run of this.containers) this.startWithConfig(run);
    this.scheduleSync();
  }

  /** Start, retrying while env references (configmap/secret keys) are missing. */
  private startWithConfig(run: ContainerRun): void {
    const attempt = (): void => {
      if (this.terminating) return;
      try {
        this.envFor(run.spec);
      } catch (err) {
        if (err instanceof EnvError) {
          run.setWaiting("CreateContainerConfigError", err.message);
          setTimeout(attempt, 1000);
          return;
        }
        throw err;
      }
      this.everStarted.add(run.name);
      run.start();
    };
    attempt();
  }

  private envFor(spec: V1Container): Record<string, string> {
    const img = this.images.get(spec.name);
    const env = buildEnv(this.pod, spec, img?.env ?? {}, {
      ...this.rt.lookups,
      podIp: this.sandbox?.ip ?? "",
      hostIp: this.rt.hostIp,
      kubernetesServiceHost: this.rt.hostIp,
      kubernetesServicePort: this.rt.kubernetesServicePort,
    });
    if (this.rt.network === "loopback" && this.rt.preloadUrl !== undefined) {
      // Node programs bind the pod IP for wildcard listens (net/preload.ts).
      env["LOCALKUBE_POD_IP"] = this.sandbox?.ip ?? "";
      env["NODE_OPTIONS"] = [env["NODE_OPTIONS"], `--import=${this.rt.preloadUrl}`].filter((x) => x !== undefined && x !== "").join(" ");
    }
    return env;
  }

  private launch(spec: V1Container, attempt: number): ChildProcess {
    const img = this.images.get(spec.name);
    const sb = this.sandbox;
    if (!img || !sb) throw new Error("container started before its image and sandbox");
    const env = this.envFor(spec);
    const argv = containerArgv(img, spec.command, spec.args).map((a) => expandVars(a, env));
    if (argv.length === 0) throw new Error(`container ${spec.name}: no command`);
    const logDir = join(this.logDir, spec.name);
    mkdirSync(logDir, { recursive: true });
    const [cmd, args] = this.rt.network === "netns" ? this.netnsCommand(spec, sb, argv) : this.loopbackCommand(spec, argv);
    const fd = openSync(join(logDir, `${attempt}.log`), "a");
    try {
      return spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd], env: { ...env, [STATE_ENV]: this.rt.stateDir } });
    } finally {
      closeSync(fd);
    }
  }

  private hostname(): string {
    return this.pod.spec?.hostname ?? this.pod.metadata?.name ?? "pod";
  }

  private mountRequests(spec: V1Container): { source: string; target: string; isFile: boolean; readOnly: boolean }[] {
    return (spec.volumeMounts ?? []).map((m) => {
      const base = this.volumes.get(m.name);
      if (base === undefined) throw new Error(`volumeMount ${m.name}: no such volume`);
      const source = m.subPath ? join(base, m.subPath) : base;
      if (m.subPath && !existsSync(source)) mkdirSync(source, { recursive: true });
      return { source, target: m.mountPath, isFile: statSync(source).isFile(), readOnly: m.readOnly === true };
    });
  }

  /** netns mode: `ip netns exec` (own mount namespace) + `unshare --uts`, volumes bound at their mountPath. */
  private netnsCommand(spec: V1Container, sb: Sandbox, argv: string[]): [string, string[]] {
    const lines = ["set -e", `hostname ${shq(this.hostname())}`];
    for (const m of this.mountRequests(spec)) {
      const target = m.target;
      // Mount points are created on the host filesystem (empty, like a runtime creates them in
      // the image rootfs); what is mounted on them is visible only inside this pod.
      lines.push(m.isFile ? `mkdir -p "$(dirname ${shq(target)})"; [ -e ${shq(target)} ] || : > ${shq(target)}` : `mkdir -p ${shq(target)}`);
      lines.push(`mount --bind ${shq(m.source)} ${shq(target)}`);
      if (m.readOnly) lines.push(`mount -o remount,bind,ro ${shq(target)}`);
    }
    lines.push(spec.workingDir ? `cd ${shq(spec.workingDir)}` : "cd /", 'exec "$@"');
    return [this.rt.ipPath, ["netns", "exec", sb.netns, "unshare", "--uts", "--", "/bin/sh", "-c", lines.join("\n"), "lk-init", ...argv]];
  }

  /** loopback mode: host network; an unprivileged user+mount+UTS namespace sandbox (rootless.ts). */
  private loopbackCommand(spec: V1Container, argv: string[]): [string, string[]] {
    const mounts = this.mountRequests(spec);
    if (this.rt.usernsUnavailable !== undefined) {
      if (mounts.length > 0) throw new Error(`volume mounts need unprivileged user namespaces in loopback mode, which are unavailable here: ${this.rt.usernsUnavailable}`);
      const [cmd, ...rest] = argv;
      return [cmd ?? "/bin/false", rest];
    }
    const plan = planRootless(mounts, hostFs);
    const script = rootlessScript({ rootDir: join(this.podDir, "sandbox", spec.name), hostname: this.hostname(), workingDir: spec.workingDir ?? "/", plan });
    return [UNSHARE, ["--user", "--map-root-user", "--mount", "--uts", "--", "/bin/sh", "-c", script, "lk-init", ...argv]];
  }

  private views(runs: ContainerRun[]): ContainerView[] {
    const policy = this.pod.spec?.restartPolicy ?? "Always";
    return runs.map((r) => ({
      name: r.name,
      image: r.spec.image ?? "",
      state: r.state,
      lastState: r.lastState,
      restartCount: r.restartCount,
      ready: r.ready,
      started: r.started,
      pid: r.pid,
      everStarted: this.everStarted.has(r.name),
      willRestart:
        !this.terminating &&
        "terminated" in r.state &&
        (policy === "Always" || (policy === "OnFailure" && r.state.terminated.exitCode !== 0)),
    }));
  }

  currentStatus(): V1PodStatus {
    const status = podStatus({
      pod: this.pod,
      init: this.views(this.init),
      containers: this.views(this.containers),
      sandboxReady: this.sandbox !== undefined,
      initialized: this.initialized,
      initFailed: this.initFailed,
      podIp: this.sandbox?.ip,
      hostIp: this.rt.hostIp,
      startTime: this.startTime,
      previous: this.conditions,
      now: new Date().toISOString(),
    });
    this.conditions = status.conditions ?? [];
    return status;
  }

  scheduleSync(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncing = this.syncing.then(() => this.sync());
    }, 20);
  }

  /** Force the next sync to send even if unchanged (periodic re-assert). */
  resync(): void {
    this.lastSent = "";
    this.scheduleSync();
  }

  private async sync(): Promise<void> {
    if (!this.rt.nodeActive(this.pod.spec?.nodeName ?? "")) return;
    const status = this.currentStatus();
    const json = JSON.stringify(status);
    if (json === this.lastSent) return;
    try {
      await this.rt.patchStatus(this.pod, status);
      this.lastSent = json;
    } catch (err) {
      this.rt.log(`${podKey(this.pod)}: status update failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async flush(): Promise<void> {
    if (this.syncTimer) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
    this.syncing = this.syncing.then(() => this.sync());
    await this.syncing;
  }

  /** Stop all containers (grace), report, tear down; then DELETE the object if asked. */
  terminate(grace_s: number, deleteObject: boolean): Promise<void> {
    this.terminating ??= (async () => {
      if (this.refreshTimer) clearInterval(this.refreshTimer);
      const grace_ms = Math.max(0, grace_s) * 1000;
      await Promise.all([...this.containers, ...this.init].map((c) => c.stop(grace_ms)));
      if (deleteObject) await this.flush();
      if (this.sandbox) this.rt.destroySandbox(this.pod, this.sandbox);
      rmSync(this.podDir, { recursive: true, force: true });
      if (deleteObject) await this.rt.deletePod(this.pod);
      mkdirSync(this.logDir, { recursive: true });
      writeFileSync(join(this.logDir, "TERMINATED"), new Date().toISOString() + "\n", { flag: "w" });
    })();
    return this.terminating;
  }
}
