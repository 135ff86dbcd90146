/** Waiting for a started cluster to be usable: every node Ready and untainted, default SA, StorageClass. */
import { CoreV1Api, StorageV1Api } from "@kubernetes/client-node";
import { waitFor } from "../common/wait.js";
import { loadKubeConfig } from "./kube.js";
import type { ClusterRecord } from "./record.js";
import { STORAGE_CLASS } from "./provisioner.js";

export async function waitClusterReady(
  rec: ClusterRecord,
  opts: { timeout_ms: number; alive?: () => void; progress?: (msg: string) => void },
): Promise<void> {
  const kc = loadKubeConfig(rec.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const storage = kc.makeApiClient(StorageV1Api);
  const deadline = performance.now() + opts.timeout_ms;
  const left = (): number => Math.max(1000, deadline - performance.now());
  let reported = -1;
  await waitFor(
    `${rec.nodes.length} nodes Ready and untainted`,
    async () => {
      opts.alive?.();
      const nodes = (await core.listNode()).items;
      const ready = nodes.filter(
        (n) =>
          rec.nodes.includes(n.metadata?.name ?? "") &&
          n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") &&
          !(n.spec?.taints ?? []).some((t) => t.key.startsWith("node.kubernetes.io/")),
      ).length;
      if (ready !== reported) {
        reported = ready;
        opts.progress?.(`nodes ready: ${ready}/${rec.nodes.length}`);
      }
      return ready === rec.nodes.length;
    },
    { timeout_ms: left(), interval_ms: 250 },
  );
  await waitFor("default ServiceAccount in namespace default", async () => {
    opts.alive?.();
    await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
    return true;
  }, { timeout_ms: left(), interval_ms: 250 });
  await waitFor(`StorageClass ${STORAGE_CLASS}`, async () => {
    await storage.readStorageClass({ name: STORAGE_CLASS });
    return true;
  }, { timeout_ms: left(), interval_ms: 250 });
}
