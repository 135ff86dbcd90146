/**
 * Probe execution (httpGet, tcpSocket, exec, grpc-as-tcp) and the per-probe state machine
 * (initialDelay, period, timeout, success/failure thresholds) with kubelet defaults.
 */
import { execFile } from "node:child_process";
import { request } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { V1Probe, V1ContainerPort } from "@kubernetes/client-node";

export interface ProbeTarget {
  podIp: string;
  ports: V1ContainerPort[];
  /** Runs argv inside the container's namespaces; resolves with the exit code. */
  exec: (argv: string[], timeout_ms: number) => Promise<number>;
}

export function resolvePort(port: number | string | undefined, ports: V1ContainerPort[]): number {
  if (typeof port === "number") return port;
  if (port === undefined) throw new Error("probe port missing");
  if (/^\d+$/.test(port)) return Number(port);
  const named = ports.find((p) => p.name === port);
  if (!named) throw new Error(`probe port name "${port}" not found among container ports`);
  return named.containerPort;
}

/** GET as the kubelet does for probes and hooks: the status code, or an Error for a transport failure. */
export function httpGet(p: NonNullable<V1Probe["httpGet"]>, t: ProbeTarget, timeout_ms: number, userAgent: string): Promise<number | Error> {
  const port = resolvePort(p.port as number | string, t.ports);
  const https = p.scheme?.toUpperCase() === "HTTPS";
  const headers: Record<string, string> = { "user-agent": userAgent };
  for (const h of p.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : request)(
      { host: p.host ?? t.podIp, port, path: p.path ?? "/", method: "GET", headers, timeout: timeout_ms, ...(https ? { rejectUnauthorized: false } : {}) },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeout_ms} ms`)));
    req.on("error", (err) => resolve(err));
    req.end();
  });
}

async function httpProbe(p: NonNullable<V1Probe["httpGet"]>, t: ProbeTarget, timeout_ms: number): Promise<boolean> {
  const code = await httpGet(p, t, timeout_ms, "kube-probe/1.34");
  return typeof code === "number" && code >= 200 && code < 400;
}

function tcpProbe(host: string, port: number, timeout_ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeout_ms);
    s.on("connect", () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.on("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

export async function runProbeOnce(probe: V1Probe, t: ProbeTarget): Promise<boolean> {
  const timeout_ms = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) return await httpProbe(probe.httpGet, t, timeout_ms);
    if (probe.tcpSocket) return await tcpProbe(probe.tcpSocket.host ?? t.podIp, resolvePort(probe.tcpSocket.port as number | string, t.ports), timeout_ms);
    if (probe.exec) return (await t.exec(probe.exec.command ?? [], timeout_ms)) === 0;
    if (probe.grpc) return await tcpProbe(t.podIp, probe.grpc.port, timeout_ms); // health service not spoken: connectivity only
  } catch {
    return false;
  }
  return false;
}

/** Run `argv` with a deadline; exit code, or -1 on timeout / spawn failure. */
export function execWithTimeout(cmd: string, argv: string[], env: NodeJS.ProcessEnv, timeout_ms: number): Promise<number> {
  return new Promise((resolve) => {
    execFile(cmd, argv, { env, timeout: timeout_ms, killSignal: "SIGKILL", maxBuffer: 64 * 1024 }, (err) => {
      if (!err) return resolve(0);
      const code = (err as { code?: unknown }).code;
      resolve(typeof code === "number" ? code : -1);
    });
  });
}

export type ProbeResult = "success" | "failure";

/**
 * Drives one probe: calls `onResult` whenever the thresholded result changes (and once at the first
 * decision). Stops when `stop()` is called. Timers only in this thin shell.
 */
export class ProbeRunner {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private current: ProbeResult | undefined;

  constructor(
    private readonly probe: V1Probe,
    private readonly target: ProbeTarget,
    private readonly onResult: (r: ProbeResult) => void,
  ) {}

  start(): void {
    this.timer = setTimeout(() => void this.tick(), Math.max(0, this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const ok = await runProbeOnce(this.probe, this.target);
    if (this.stopped) return;
    if (ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const successThreshold = this.probe.successThreshold ?? 1;
    const failureThreshold = this.probe.failureThreshold ?? 3;
    let next: ProbeResult | undefined;
    if (ok && this.successes >= successThreshold) next = "success";
    if (!ok && this.failures >= failureThreshold) next = "failure";
    if (next !== undefined && next !== this.current) {
      this.current = next;
      this.onResult(next);
    }
    this.timer = setTimeout(() => void this.tick(), Math.max(1, this.probe.periodSeconds ?? 10) * 1000);
  }
}
