/**
 * The broker StatefulSet. OnDelete: the operator alone decides when a pod restarts (one at a
 * time, see operator/rollout). Parallel pod management: brokers start together and find each
 * other through routes, instead of waiting for ordinal 0 to be Ready.
 */
import type { V1Affinity, V1Container, V1PodSpec, V1StatefulSet, V1Toleration, V1TopologySpreadConstraint, V1Volume } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";
import { configHash, paths, terminationGracePeriodDefaultS } from "./brokerConfig.js";
import { commonLabels, configHashAnnotation, names, ownedMeta, ports, selectorLabels } from "./meta.js";

export const brokerContainerName = "broker";
export const dataVolumeName = "data";

export function brokerImage(mq: MessageQueue): string {
  return mq.spec.image ?? `sluice/broker:${mq.spec.version}`;
}

/** Spread brokers over nodes when possible; preferred, so a one-node cluster still schedules. */
export function defaultAffinity(mq: MessageQueue): V1Affinity {
  return {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: selectorLabels(mq) } },
        },
      ],
    },
  };
}

function brokerContainer(mq: MessageQueue): V1Container {
  const healthz = (query: string) => ({ httpGet: { path: `/healthz${query}`, port: "monitor" } });
  return {
    name: brokerContainerName,
    image: brokerImage(mq),
    args: ["broker", "-c", paths.configFile],
    ports: [
      { name: "client", containerPort: ports.client, protocol: "TCP" },
      { name: "cluster", containerPort: ports.cluster, protocol: "TCP" },
      { name: "monitor", containerPort: ports.monitor, protocol: "TCP" },
    ],
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ],
    ...(mq.spec.resources !== undefined ? { resources: mq.spec.resources } : {}),
    volumeMounts: [
      { name: dataVolumeName, mountPath: paths.dataDir },
      { name: "config", mountPath: paths.configDir, readOnly: true },
      { name: "run", mountPath: paths.runDir },
      ...(mq.spec.auth.mode === "none" ? [] : [{ name: "auth", mountPath: paths.authDir, readOnly: true }]),
      ...(mq.spec.tls.mode === "disabled" ? [] : [{ name: "tls", mountPath: paths.tlsDir, readOnly: true }]),
    ],
    // Startup: full health (JetStream assets recovered). Readiness: server and JetStream up,
    // without waiting for every asset (nats-io/k8s#613). Liveness: only "JetStream enabled".
    startupProbe: { ...healthz(""), periodSeconds: 2, failureThreshold: 90, timeoutSeconds: 2 },
    readinessProbe: { ...healthz("?js-server-only=true"), periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
    livenessProbe: { ...healthz("?js-enabled-only=true"), periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 2 },
    lifecycle: {
      // Lame duck (as `nats-server --signal ldm`): stop taking clients, hand off leaders, then
      // exit. The kubelet's SIGTERM that follows does not cut lame duck short.
      preStop: { exec: { command: ["sluice", "broker", "--signal", `ldm=${paths.pidFile}`] } },
    },
  };
}

function volumes(mq: MessageQueue): V1Volume[] {
  return [
    { name: "config", configMap: { name: names.configMap(mq) } },
    { name: "run", emptyDir: {} },
    ...(mq.spec.auth.mode === "none" ? [] : [{ name: "auth", secret: { secretName: names.authSecret(mq), items: [{ key: "auth.conf", path: "auth.conf" }] } }]),
    ...(mq.spec.tls.mode === "disabled" ? [] : [{ name: "tls", secret: { secretName: names.tlsSecret(mq) } }]),
  ];
}

export function buildStatefulSet(mq: MessageQueue): V1StatefulSet {
  const pt = mq.spec.podTemplate ?? {};
  const podSpec: V1PodSpec = {
    serviceAccountName: names.serviceAccount(mq),
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: pt.terminationGracePeriodSeconds ?? terminationGracePeriodDefaultS,
    affinity: (pt.affinity as V1Affinity | undefined) ?? defaultAffinity(mq),
    ...(pt.tolerations !== undefined ? { tolerations: pt.tolerations as V1Toleration[] } : {}),
    ...(pt.topologySpreadConstraints !== undefined
      ? { topologySpreadConstraints: pt.topologySpreadConstraints as unknown as V1TopologySpreadConstraint[] }
      : {}),
    containers: [brokerContainer(mq)],
    volumes: volumes(mq),
  };
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: ownedMeta(mq, names.statefulSet(mq)),
    spec: {
      replicas: mq.spec.replicas,
      serviceName: names.headlessService(mq),
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "OnDelete" },
      selector: { matchLabels: selectorLabels(mq) },
      // PVC lifecycle without a finalizer: the StatefulSet controller owns the claims when the
      // policy is Delete, so garbage collection removes them with the StatefulSet.
      persistentVolumeClaimRetentionPolicy: {
        whenDeleted: mq.spec.storage.retainPolicy,
        whenScaled: "Retain",
      },
      template: {
        metadata: {
          // User labels first: the common labels (and the selector) always win.
          labels: { ...(pt.labels ?? {}), ...commonLabels(mq) },
          annotations: { ...(pt.annotations ?? {}), [configHashAnnotation]: configHash(mq) },
        },
        spec: podSpec,
      },
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: dataVolumeName, labels: selectorLabels(mq) },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(mq.spec.storage.storageClassName !== undefined ? { storageClassName: mq.spec.storage.storageClassName } : {}),
            resources: { requests: { storage: mq.spec.storage.size } },
          },
        },
      ],
    },
  };
}
