/**
 * Local-path volume provisioner for the default StorageClass `localkube`: a claim that the PV
 * controller hands to `localkube/local-path` (after the scheduler picked a node, as the class is
 * WaitForFirstConsumer) gets a directory under the cluster's state and a hostPath PV pinned to that
 * node. Released PVs with reclaim policy Delete lose their directory, then the PV object.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { CoreV1Api, StorageV1Api, V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";

export const PROVISIONER = "localkube/local-path";
export const STORAGE_CLASS = "localkube";

export async function ensureStorageClass(storage: StorageV1Api): Promise<void> {
  try {
    await storage.createStorageClass({
      body: {
        metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: PROVISIONER,
        reclaimPolicy: "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: false,
      },
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

export class Provisioner {
  private inflight = new Set<string>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly volumesDir: string,
    private readonly nodes: Set<string>,
    private readonly log: (msg: string) => void,
  ) {}

  static pathFor(volumesDir: string, claimUid: string): string {
    return join(volumesDir, `pvc-${claimUid}`);
  }

  async onClaim(pvc: V1PersistentVolumeClaim): Promise<void> {
    const ann = pvc.metadata?.annotations ?? {};
    const mine = ann["volume.kubernetes.io/storage-provisioner"] === PROVISIONER || ann["volume.beta.kubernetes.io/storage-provisioner"] === PROVISIONER;
    if (!mine || pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp) return;
    const uid = pvc.metadata?.uid ?? "";
    const node = ann["volume.kubernetes.io/selected-node"] ?? [...this.nodes][0];
    if (node === undefined || !this.nodes.has(node) || this.inflight.has(uid)) return;
    this.inflight.add(uid);
    try {
      const dir = Provisioner.pathFor(this.volumesDir, uid);
      mkdirSync(dir, { recursive: true, mode: 0o777 });
      const pv: V1PersistentVolume = {
        metadata: { name: `pvc-${uid}`, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER, "localkube.dev/path": dir }, labels: { "localkube.dev/node": node } },
        spec: {
          capacity: { storage: pvc.spec?.resources?.requests?.["storage"] ?? "1Gi" },
          accessModes: pvc.spec?.accessModes ?? ["ReadWriteOnce"],
          ...(pvc.spec?.volumeMode !== undefined ? { volumeMode: pvc.spec.volumeMode } : {}),
          persistentVolumeReclaimPolicy: "Delete",
          storageClassName: pvc.spec?.storageClassName ?? STORAGE_CLASS,
          claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: pvc.metadata?.namespace ?? "", name: pvc.metadata?.name ?? "", uid },
          hostPath: { path: dir, type: "DirectoryOrCreate" },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } },
        },
      };
      await this.core.createPersistentVolume({ body: pv });
      this.log(`provisioned pvc-${uid} for ${pvc.metadata?.namespace}/${pvc.metadata?.name} on ${node}`);
    } catch (err) {
      if ((err as { code?: number }).code !== 409) this.log(`provisioning ${pvc.metadata?.namespace}/${pvc.metadata?.name} failed: ${String(err)}`);
    } finally {
      this.inflight.delete(uid);
    }
  }

  async onVolume(pv: V1PersistentVolume): Promise<void> {
    if (pv.metadata?.annotations?.["pv.kubernetes.io/provisioned-by"] !== PROVISIONER) return;
    if (pv.status?.phase !== "Released" || pv.spec?.persistentVolumeReclaimPolicy !== "Delete") return;
    const path = pv.spec?.hostPath?.path;
    if (path !== undefined && path.startsWith(this.volumesDir + "/")) rmSync(path, { recursive: true, force: true });
    try {
      await this.core.deletePersistentVolume({ name: pv.metadata?.name ?? "" });
      this.log(`deleted ${pv.metadata?.name} and its directory`);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) this.log(`deleting ${pv.metadata?.name} failed: ${String(err)}`);
    }
  }
}
