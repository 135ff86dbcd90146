/**
 * The kind backend (E2E_KIND=1): the backend-neutral e2e suites on a kind cluster, for users with
 * a Docker engine. testcontainers finds the container runtime (DOCKER_HOST, the usual sockets,
 * rootless Docker) and builds the Sluice image from the Dockerfile; the kind CLI (pinned, built
 * with `go install`) runs the cluster and loads the image into its nodes. Pods are reached through
 * `kubectl port-forward`, since kind pod IPs are not routable from the host. localkube-only fault
 * injection (kill a process, stop a node's heartbeats, cut a pod's network) has no kind
 * counterpart here, so suites that need it stay on localkube.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { binary, repoRoot, sluiceCache } from "../../../localkube/paths.js";
import { kubectlRunner, namespaces, type E2ECluster, type PodEndpoint } from "../backend.js";
import { isKindVersion, KIND_VERSION, kindArgs, kindClusterName, kindConfigYaml, parseForwardedPort, sluiceImages } from "./config.js";

const run = promisify(execFile);
const COMMAND_OUTPUT_BYTES_MAX = 16 * 1024 * 1024;
const KIND_INSTALL_TIMEOUT_MS = 15 * 60_000;
const KIND_CREATE_TIMEOUT_MS = 10 * 60_000;
const KIND_LOAD_TIMEOUT_MS = 5 * 60_000;
const KIND_DELETE_TIMEOUT_MS = 2 * 60_000;
const PORT_FORWARD_START_TIMEOUT_MS = 30_000;
const PORT_FORWARD_OUTPUT_BYTES_MAX = 64 * 1024;

/** E2E_KIND=1 was asked for on a machine without a reachable container runtime. */
export class NoContainerRuntimeError extends Error {
  constructor(cause: string) {
    super(
      `E2E_KIND=1 runs the e2e suites on kind, which needs a Docker engine, but testcontainers found no container runtime (${cause}). ` +
        "Start Docker or point DOCKER_HOST at it, or unset E2E_KIND to run them on localkube.",
    );
    this.name = "NoContainerRuntimeError";
  }
}

function progress(message: string): void {
  process.stderr.write(`[e2e kind] ${message}\n`);
}

/** The runtime's address, or NoContainerRuntimeError; checked before anything slow happens. */
export async function requireContainerRuntime(): Promise<string> {
  const { getContainerRuntimeClient } = await import("testcontainers");
  try {
    const client = await getContainerRuntimeClient();
    return client.info.containerRuntime.host;
  } catch (err) {
    throw new NoContainerRuntimeError(err instanceof Error ? err.message : String(err));
  }
}

/** $SLUICE_CACHE/bin/kind at KIND_VERSION, installed with `go install` when missing or another version. */
async function ensureKind(): Promise<string> {
  const dir = join(sluiceCache(), "bin");
  const bin = join(dir, "kind");
  if (existsSync(bin)) {
    const { stdout } = await run(bin, kindArgs.version(), { timeout: 30_000 });
    if (isKindVersion(stdout)) return bin;
  }
  progress(`installing kind ${KIND_VERSION} into ${dir} (go install)`);
  mkdirSync(dir, { recursive: true });
  await run("go", ["install", `sigs.k8s.io/kind@${KIND_VERSION}`], {
    env: { ...process.env, GOBIN: dir },
    timeout: KIND_INSTALL_TIMEOUT_MS,
    maxBuffer: COMMAND_OUTPUT_BYTES_MAX,
  });
  return bin;
}

/** localkube's kubectl when it is built, else the one on PATH. */
async function findKubectl(): Promise<string> {
  const built = binary("kubectl");
  if (existsSync(built)) return built;
  try {
    await run("kubectl", ["version", "--client"], { timeout: 30_000 });
    return "kubectl";
  } catch {
    throw new Error(`E2E_KIND=1 needs kubectl: not on PATH and not built at ${built} (bash localkube/build/build.sh builds it)`);
  }
}

/** `kubectl port-forward pod/<pod> :<port>` on 127.0.0.1; resolves once kubectl prints the local port. */
function portForward(kubectlPath: string, kubeconfigPath: string, children: Set<ChildProcess>): E2ECluster["reach"] {
  return (namespace, pod, port) =>
    new Promise<PodEndpoint>((resolve, reject) => {
      const what = `kubectl port-forward ${namespace}/${pod} :${port}`;
      const child = spawn(kubectlPath, ["--kubeconfig", kubeconfigPath, "port-forward", "-n", namespace, `pod/${pod}`, `:${port}`, "--address", "127.0.0.1"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.add(child);
      let output = "";
      let settled = false;
      const close = async (): Promise<void> => {
        children.delete(child);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await exited;
        }
      };
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        void close();
        reject(new Error(`${what}: ${why}: ${output.trim()}`));
      };
      const timer = setTimeout(() => fail(`no local port after ${PORT_FORWARD_START_TIMEOUT_MS} ms`), PORT_FORWARD_START_TIMEOUT_MS);
      const onData = (d: Buffer): void => {
        if (output.length < PORT_FORWARD_OUTPUT_BYTES_MAX) output += d.toString("utf8");
        const local = parseForwardedPort(output);
        if (local === undefined || settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ host: "127.0.0.1", port: local, close });
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("error", (err) => fail(err.message));
      child.on("exit", (code) => {
        clearTimeout(timer);
        fail(`exited with ${code}`);
      });
    });
}

let counter = 0;

export async function startKind(opts: { name?: string; nodes?: number } = {}): Promise<E2ECluster> {
  const t0 = performance.now();
  const runtime = await requireContainerRuntime();
  const root = repoRoot();
  const name = kindClusterName(opts.name ?? "e2e", process.pid, counter++);
  const configYaml = kindConfigYaml(opts.nodes ?? 3);
  const [kind, kubectlPath] = await Promise.all([ensureKind(), findKubectl()]);

  const images = sluiceImages(root);
  const { GenericContainer } = await import("testcontainers");
  for (const image of images) {
    progress(`building ${image} from ${join(root, "Dockerfile")} on ${runtime}`);
    await GenericContainer.fromDockerfile(root).build(image, { deleteOnExit: false });
  }

  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const configPath = join(dir, "kind.yaml");
  const kubeconfigPath = join(dir, "kubeconfig");
  writeFileSync(configPath, configYaml);
  const forwards = new Set<ChildProcess>();
  const stop = async (): Promise<void> => {
    await Promise.all([...forwards].map((c) => new Promise((r) => (c.exitCode !== null ? r(undefined) : (c.once("exit", r), c.kill("SIGTERM"))))));
    if (process.env["KIND_KEEP"] === "1") {
      progress(`keeping kind cluster ${name} (KIND_KEEP=1); kubeconfig ${kubeconfigPath}`);
      return;
    }
    await run(kind, kindArgs.delete(name, kubeconfigPath), { timeout: KIND_DELETE_TIMEOUT_MS, maxBuffer: COMMAND_OUTPUT_BYTES_MAX });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    progress(`creating kind cluster ${name}`);
    await run(kind, kindArgs.create(name, configPath, kubeconfigPath), { timeout: KIND_CREATE_TIMEOUT_MS, maxBuffer: COMMAND_OUTPUT_BYTES_MAX });
    for (const image of images) {
      progress(`loading ${image} into ${name}`);
      await run(kind, kindArgs.load(name, image), { timeout: KIND_LOAD_TIMEOUT_MS, maxBuffer: COMMAND_OUTPUT_BYTES_MAX });
    }
  } catch (err) {
    // A half-created cluster is deleted too (kind delete is a no-op for a name that never existed).
    await stop().catch(() => undefined);
    throw err;
  }
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(kubeconfigPath);
  const core = kubeconfig.makeApiClient(CoreV1Api);
  return {
    backend: "kind",
    name,
    kubeconfigPath,
    kubeconfig,
    core,
    apps: kubeconfig.makeApiClient(AppsV1Api),
    kubectlPath,
    kubectl: kubectlRunner(kubectlPath, kubeconfigPath),
    ...namespaces(core),
    reach: portForward(kubectlPath, kubeconfigPath, forwards),
    startup_ms: performance.now() - t0,
    stop,
  };
}
