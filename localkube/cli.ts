/**
 * `sluice localkube <command>`: up | down | status | kubeconfig | port-forward | fault | agent.
 * See localkube/README.md.
 */
import { Command, CommanderError } from "commander";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { detectNetworkMode, down, isRunning, up } from "./cluster.js";
import { NETWORK_MODES, parseNetworkMode, type NetworkMode } from "./net/addressing.js";
import { Faults } from "./faults.js";
import { binDir, clusterDir, missingBinaries, stateRoot, versions } from "./paths.js";
import { forward, parseTarget } from "./portforward.js";
import { readRecord } from "./record.js";

const say = (m: string): void => void process.stdout.write(`localkube: ${m}\n`);

function int(name: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
}

function program(result: { code: number; wait?: Promise<void> }): Command {
  const p = new Command("sluice localkube").description("a local Kubernetes control plane with a process kubelet").exitOverride();
  p.command("up")
    .description("start a cluster (etcd, apiserver, controller-manager, scheduler, process kubelet, DNS, volumes)")
    .option("--name <name>", "cluster name", "default")
    .option("--nodes <n>", "number of nodes", int("--nodes", 1, 20), 3)
    .option("--node-grace <s>", "node-monitor-grace-period seconds", int("--node-grace", 10, 600), 50)
    .option("--network <mode>", `pod network: ${NETWORK_MODES.join(" | ")} (default: netns as root, loopback otherwise)`, parseNetworkMode)
    .option("--timeout <s>", "give up when the cluster is not ready after this many seconds", int("--timeout", 30, 3600), 180)
    .action(async (o: { name: string; nodes: number; nodeGrace: number; network?: NetworkMode; timeout: number }) => {
      const rec = await up({ name: o.name, nodes: o.nodes, nodeMonitorGracePeriod_s: o.nodeGrace, timeout_ms: o.timeout * 1000, progress: say, ...(o.network !== undefined ? { network: o.network } : {}) });
      process.stdout.write(
        [
          "",
          `kubeconfig: ${rec.kubeconfigPath}`,
          `try:        ${join(binDir(), "kubectl")} --kubeconfig ${rec.kubeconfigPath} get nodes -o wide`,
          `   or:      export KUBECONFIG=${rec.kubeconfigPath} PATH=${binDir()}:$PATH; kubectl get pods -A`,
          `network:    ${rec.network}${rec.network === "loopback" ? ` (pod IPs ${rec.slot.podCidr}; no cluster DNS, ClusterIPs or cut-net: run as root for those)` : ` (bridge ${rec.slot.bridge}, DNS ${rec.slot.gateway}:53)`}`,
          `logs:       ${join(rec.stateDir, "logs")}`,
          `stop:       npm run down   (or: bin/sluice localkube down --name ${rec.name})`,
          "",
        ].join("\n"),
      );
    });
  p.command("down")
    .description("stop a cluster and remove its state")
    .option("--name <name>", "cluster name", "default")
    .option("--all", "stop every cluster under the state root")
    .option("--keep", "keep the state directory (logs, etcd data, volumes)")
    .action(async (o: { name: string; all?: boolean; keep?: boolean }) => {
      const names = o.all === true ? (existsSync(stateRoot()) ? readdirSync(stateRoot()) : []) : [o.name];
      for (const name of names) await down({ name, keep: o.keep === true, progress: say });
    });
  p.command("status")
    .description("show clusters and binaries")
    .action(() => {
      const v = versions();
      const missing = missingBinaries();
      say(`kubernetes ${v.kube}, etcd ${v.etcd}; binaries in ${binDir()}${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`);
      const d = detectNetworkMode();
      say(`default network mode here: ${d.mode}${d.netnsUnavailable !== undefined ? ` (netns unavailable: ${d.netnsUnavailable})` : ""}`);
      const names = existsSync(stateRoot()) ? readdirSync(stateRoot()) : [];
      for (const name of names) {
        const dir = clusterDir(name);
        say(`${name}: ${isRunning(dir) ? `running (${readRecord(dir).network} network), kubeconfig ${readRecord(dir).kubeconfigPath}` : "stopped"}`);
      }
      if (names.length === 0) say("no clusters");
    });
  p.command("kubeconfig")
    .description("print the admin kubeconfig path")
    .option("--name <name>", "cluster name", "default")
    .action((o: { name: string }) => void process.stdout.write(readRecord(clusterDir(o.name)).kubeconfigPath + "\n"));
  p.command("port-forward")
    .description("forward 127.0.0.1:<local> to a pod or a Service's ready endpoint, e.g. default/svc/web 8080:80")
    .argument("<target>", "[ns/]pod/NAME | [ns/]svc/NAME")
    .argument("<ports>", "LOCAL:REMOTE")
    .option("--name <name>", "cluster name", "default")
    .action(async (target: string, ports: string, o: { name: string }) => {
      const m = /^(\d+):(\d+)$/.exec(ports);
      if (!m) throw new Error(`ports must be LOCAL:REMOTE, got "${ports}"`);
      const rec = readRecord(clusterDir(o.name));
      const srv = await forward(rec, parseTarget(target, Number(m[2])), Number(m[1]), say);
      say(`forwarding 127.0.0.1:${m[1]} -> ${target}:${m[2]} (Ctrl-C to stop)`);
      result.wait = new Promise((resolve) => {
        process.once("SIGINT", () => srv.close(() => resolve()));
        process.once("SIGTERM", () => srv.close(() => resolve()));
      });
    });
  p.command("fault")
    .description("fault injection: kill-pod NS/POD [CONTAINER] | stop-node NODE | start-node NODE | cut-net NS/POD | restore-net NS/POD")
    .argument("<action>")
    .argument("<target>")
    .argument("[container]")
    .option("--name <name>", "cluster name", "default")
    .action(async (action: string, target: string, container: string | undefined, o: { name: string }) => {
      const f = new Faults(readRecord(clusterDir(o.name)));
      const [ns, pod] = target.includes("/") ? (target.split("/") as [string, string]) : ["default", target];
      switch (action) {
        case "kill-pod":
          say(`killed pid ${await f.killContainer(ns, pod, container)}`);
          break;
        case "stop-node":
          await f.stopNode(target);
          break;
        case "start-node":
          await f.startNode(target);
          break;
        case "cut-net":
          await f.cutNetwork(ns, pod, true);
          break;
        case "restore-net":
          await f.cutNetwork(ns, pod, false);
          break;
        default:
          throw new Error(`unknown fault "${action}"`);
      }
    });
  p.command("agent")
    .description("(internal) run the process kubelet, DNS and provisioner of a cluster")
    .requiredOption("--state <dir>", "cluster state directory")
    .action(async (o: { state: string }) => {
      const { runAgent } = await import("./agent.js");
      // The agent ends by exiting: lingering watch sockets must not keep a stopped kubelet alive.
      process.exit(await runAgent(o.state));
    });
  return p;
}

export async function main(argv: string[]): Promise<number> {
  const result: { code: number; wait?: Promise<void> } = { code: 0 };
  try {
    await program(result).parseAsync(argv, { from: "user" });
    if (result.wait) await result.wait;
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${msg.startsWith("localkube: ") ? msg : `localkube: ${msg}`}\n`);
    return 1;
  }
}
