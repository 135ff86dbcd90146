/**
 * Container lifecycle hooks as the kubelet runs them. preStop runs before SIGTERM and spends the
 * grace period: what is left after it (never under 2 s) is the SIGTERM → SIGKILL window. A failed
 * hook is reported (FailedPreStopHook) and termination goes on. postStart runs right after the
 * process starts; probes wait for it, and a failed one kills the container (container.ts).
 */
import { basename } from "node:path";
import type { V1LifecycleHandler } from "@kubernetes/client-node";
import { httpGet, type ProbeTarget } from "./probes.js";

/** kubelet's minimumGracePeriodInSeconds: SIGTERM always gets at least this long after preStop. */
export const GRACE_AFTER_PRESTOP_MS_MIN = 2_000;
export const HOOK_SLEEP_MS_MAX = 24 * 3600 * 1000;

/** The SIGTERM → SIGKILL window once a preStop hook has used `elapsed_ms` of `grace_ms`. */
export function graceAfterPreStop(grace_ms: number, elapsed_ms: number): number {
  return Math.max(grace_ms - Math.max(0, elapsed_ms), GRACE_AFTER_PRESTOP_MS_MIN);
}

/** Run one handler with a deadline; undefined on success, else why it failed. */
export async function runLifecycleHandler(h: V1LifecycleHandler, t: ProbeTarget, timeout_ms: number): Promise<string | undefined> {
  if (h.exec) {
    const argv = h.exec.command ?? [];
    if (argv.length === 0) return "exec: empty command";
    const code = await t.exec(argv, timeout_ms);
    return code === 0 ? undefined : `exec ${JSON.stringify(argv)}: ${code === -1 ? `did not finish within ${timeout_ms} ms or could not start` : `exit code ${code}`}`;
  }
  if (h.httpGet) {
    // As the kubelet: any HTTP response counts; only a transport failure fails the hook.
    const r = await httpGet(h.httpGet, t, timeout_ms, "kube-lifecycle/1.34");
    return r instanceof Error ? `httpGet ${h.httpGet.path ?? "/"}: ${r.message}` : undefined;
  }
  if (h.sleep) {
    const ms = Math.min(Math.max(0, h.sleep.seconds) * 1000, timeout_ms, HOOK_SLEEP_MS_MAX);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return undefined;
  }
  if (h.tcpSocket) return "tcpSocket is not supported as a lifecycle handler (as in the kubelet)";
  return "lifecycle handler names no action (exec, httpGet or sleep)";
}

/** Programs of the sandbox launch chain (pod.ts): each execs the next in the same pid. */
const LAUNCHERS = new Set(["ip", "unshare", "chroot", "nsenter"]);
/** `$0` of the launch chain's shell scripts (pod.ts, rootless.ts). */
const LAUNCH_SCRIPT_NAMES = ["lk-init", "lk-chroot"];

/**
 * Has the container's process left the sandbox launch chain (its namespaces and volume mounts
 * are set up and it runs the container's command)? Until then an exec hook entering its
 * namespaces would see a half-built sandbox: the kubelet runs postStart only once the runtime
 * has created the container, and so do we. `cmdline` is /proc/<pid>/cmdline split on NUL.
 */
export function leftLauncher(cmdline: readonly string[]): boolean {
  if (cmdline.length === 0) return false;
  if (LAUNCHERS.has(basename(cmdline[0] ?? ""))) return false;
  return !(cmdline[0]?.endsWith("sh") === true && cmdline[1] === "-c" && LAUNCH_SCRIPT_NAMES.includes(cmdline[3] ?? ""));
}
