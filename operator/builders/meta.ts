/**
 * Deterministic names, labels and owner references for everything a MessageQueue owns.
 * Names are derived from the MessageQueue name only, so a restarted operator finds the same
 * objects (no generated suffixes, no duplicates).
 */
import type { V1ObjectMeta, V1OwnerReference } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";

export const fieldManager = "sluice-operator";
export const configHashAnnotation = "sluice.dev/config-hash";
export const messageQueueLabel = "sluice.dev/messagequeue";

export const ports = { client: 4222, cluster: 6222, monitor: 8222 } as const;

export const names = {
  statefulSet: (mq: MessageQueue) => mq.metadata.name,
  headlessService: (mq: MessageQueue) => `${mq.metadata.name}-headless`,
  clientService: (mq: MessageQueue) => mq.metadata.name,
  configMap: (mq: MessageQueue) => `${mq.metadata.name}-config`,
  authSecret: (mq: MessageQueue) => `${mq.metadata.name}-auth`,
  clientSecret: (mq: MessageQueue) => `${mq.metadata.name}-client`,
  caSecret: (mq: MessageQueue) => `${mq.metadata.name}-ca`,
  tlsSecret: (mq: MessageQueue) => `${mq.metadata.name}-server-tls`,
  certificate: (mq: MessageQueue) => `${mq.metadata.name}-server`,
  serviceAccount: (mq: MessageQueue) => `${mq.metadata.name}-broker`,
  pdb: (mq: MessageQueue) => mq.metadata.name,
  networkPolicy: (mq: MessageQueue) => mq.metadata.name,
  serviceMonitor: (mq: MessageQueue) => mq.metadata.name,
  pod: (mq: MessageQueue, ordinal: number) => `${mq.metadata.name}-${ordinal}`,
};

/** DNS name of one broker through the headless Service (stable across restarts). */
export function podDnsName(mq: MessageQueue, ordinal: number): string {
  return `${names.pod(mq, ordinal)}.${names.headlessService(mq)}.${mq.metadata.namespace}.svc.cluster.local`;
}

export function clientServiceDnsName(mq: MessageQueue): string {
  return `${names.clientService(mq)}.${mq.metadata.namespace}.svc.cluster.local`;
}

/** The immutable StatefulSet selector: never includes user labels. */
export function selectorLabels(mq: MessageQueue): Record<string, string> {
  return { "app.kubernetes.io/name": "sluice-broker", "app.kubernetes.io/instance": mq.metadata.name };
}

export function selectorString(mq: MessageQueue): string {
  return Object.entries(selectorLabels(mq))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

export function commonLabels(mq: MessageQueue): Record<string, string> {
  return {
    ...selectorLabels(mq),
    "app.kubernetes.io/component": "broker",
    "app.kubernetes.io/managed-by": fieldManager,
    "app.kubernetes.io/part-of": "sluice",
    [messageQueueLabel]: mq.metadata.name,
  };
}

export function ownerReference(mq: MessageQueue): V1OwnerReference {
  return {
    apiVersion: mq.apiVersion,
    kind: mq.kind,
    name: mq.metadata.name,
    uid: mq.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata for an owned object: namespace, common labels, controller owner reference. */
export function ownedMeta(mq: MessageQueue, name: string, extraLabels: Record<string, string> = {}): V1ObjectMeta {
  return {
    name,
    namespace: mq.metadata.namespace,
    labels: { ...commonLabels(mq), ...extraLabels },
    ownerReferences: [ownerReference(mq)],
  };
}
