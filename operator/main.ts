/**
 * `sluice operator`: watches MessageQueues and reconciles them. Flags:
 *   --kubeconfig PATH         default: $KUBECONFIG, ~/.kube/config, or the pod's service account
 *   --watch-namespace NS      only this namespace (default: all; alias --namespace)
 *   --metrics-port N          /metrics, /healthz, /readyz (default 8080; 0 disables)
 *   --leader-elect            hold a Lease before reconciling (for >1 replica)
 *   --leader-election-namespace NS   where the Lease lives (default: $POD_NAMESPACE or "default")
 *   --workers N               concurrent reconciles (default 2)
 *   --log-level LEVEL         debug | info | warn | error
 */
import http from "node:http";
import os from "node:os";
import { Command, InvalidArgumentError } from "commander";
import { OperatorMetrics } from "./metrics/metrics.js";
import { Controller } from "./reconcile/controller.js";
import { Kube } from "./reconcile/kube.js";
import { LeaderElector, defaultLeaderTimings } from "./reconcile/leader.js";
import { errorMessage, jsonLogger, type LogLevel } from "./reconcile/log.js";
import { Reconciler } from "./reconcile/reconciler.js";

interface Flags {
  kubeconfig?: string;
  watchNamespace?: string;
  namespace?: string;
  metricsPort: number;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  workers: number;
  logLevel: LogLevel;
}

function intFlag(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

function parseFlags(argv: string[]): Flags | number {
  const program = new Command("sluice operator")
    .description("Run the MessageQueue operator")
    .option("--kubeconfig <path>", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
    .option("--watch-namespace <ns>", "watch only this namespace (default: all)")
    .option("--namespace <ns>", "alias of --watch-namespace")
    .option("--metrics-port <port>", "port for /metrics and /healthz (0 disables)", intFlag(0, 65535), 8080)
    .option("--leader-elect", "acquire a Lease before reconciling", false)
    .option("--leader-election-namespace <ns>", "namespace of the leader Lease")
    .option("--workers <n>", "concurrent reconciles", intFlag(1, 16), 2)
    .addOption(new Command().createOption("--log-level <level>", "debug | info | warn | error").choices(["debug", "info", "warn", "error"]).default("info"))
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: "user" });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  return program.opts<Flags>();
}

function serveHttp(port: number, metrics: OperatorMetrics, ready: () => boolean): http.Server {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "Content-Type": "application/json" }).end('{"status":"ok"}');
    } else if (path === "/readyz") {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { "Content-Type": "application/json" }).end(ok ? '{"status":"ok"}' : '{"status":"not leader"}');
    } else if (path === "/metrics") {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { "Content-Type": metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(errorMessage(err)),
      );
    } else {
      res.writeHead(404).end("not found\n");
    }
  });
  server.listen(port);
  return server;
}

export async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (typeof flags === "number") return flags;
  const log = jsonLogger(flags.logLevel, { component: "sluice-operator" });
  const namespace = flags.watchNamespace ?? flags.namespace;
  let kube: Kube;
  try {
    kube = Kube.load(flags.kubeconfig);
  } catch (err) {
    process.stderr.write(`sluice operator: cannot load Kubernetes credentials: ${errorMessage(err)}\n`);
    return 1;
  }
  const metrics = new OperatorMetrics();
  let leading = !flags.leaderElect;
  const server = flags.metricsPort > 0 ? serveHttp(flags.metricsPort, metrics, () => leading) : undefined;
  const reconciler = new Reconciler({ kube, log, now: () => new Date() });
  const controller = new Controller(kube, reconciler, { namespace, workers: flags.workers }, log, metrics);
  const identity = process.env["POD_NAME"] ?? `${os.hostname()}-${process.pid}`;
  const elector = flags.leaderElect
    ? new LeaderElector(
        kube,
        { namespace: flags.leaderElectionNamespace ?? process.env["POD_NAMESPACE"] ?? "default", name: "sluice-operator-leader", identity, ...defaultLeaderTimings },
        log,
      )
    : undefined;

  let stopping = false;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const shutdown = async (signal: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    await controller.stop();
    await elector?.release();
    metrics.leader.set(0);
    server?.close();
    resolveExit(code);
  };
  const onSignal = (s: NodeJS.Signals) => void shutdown(s, 0);
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  log.info("starting", { namespace: namespace ?? "(all)", leaderElect: flags.leaderElect, identity, metricsPort: flags.metricsPort });
  if (elector !== undefined) {
    const won = await elector.run(() => void shutdown("lost-leadership", 1));
    if (!won) return exited;
  }
  if (stopping) return exited;
  leading = true;
  metrics.leader.set(1);
  controller.start();
  const code = await exited;
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
  return code;
}
