/**
 * Every object a MessageQueue owns, in apply order (what pods mount comes before the
 * StatefulSet). The reconciler loops over this list; it has no per-kind logic.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";
import { buildConfigMap } from "./brokerConfig.js";
import { buildCertificate } from "./certificates.js";
import type { BuildInputs } from "./inputs.js";
import { buildNetworkPolicy, buildPodDisruptionBudget, buildServiceAccount } from "./policy.js";
import { buildAuthSecret, buildCaSecret, buildClientSecret, buildServerTlsSecret } from "./secrets.js";
import { buildClientService, buildHeadlessService } from "./services.js";
import { buildServiceMonitor } from "./serviceMonitor.js";
import { buildStatefulSet } from "./statefulset.js";

export function buildChildren(mq: MessageQueue, inputs: BuildInputs): KubernetesObject[] {
  const children: (KubernetesObject | undefined)[] = [
    buildServiceAccount(mq),
    buildConfigMap(mq),
    // The auth Secret always exists: it keeps the generated credentials stable across restarts.
    buildAuthSecret(mq, inputs),
    buildClientSecret(mq, inputs),
    mq.spec.tls.mode === "operator" && inputs.operatorTls !== undefined ? buildCaSecret(mq, inputs.operatorTls) : undefined,
    mq.spec.tls.mode === "operator" && inputs.operatorTls !== undefined ? buildServerTlsSecret(mq, inputs.operatorTls) : undefined,
    buildCertificate(mq),
    buildHeadlessService(mq),
    buildClientService(mq),
    buildPodDisruptionBudget(mq),
    buildNetworkPolicy(mq),
    buildStatefulSet(mq),
    buildServiceMonitor(mq),
  ];
  return children.filter((c): c is KubernetesObject => c !== undefined);
}

export * from "./brokerConfig.js";
export * from "./certificates.js";
export * from "./inputs.js";
export * from "./meta.js";
export * from "./policy.js";
export * from "./secrets.js";
export * from "./services.js";
export * from "./serviceMonitor.js";
export * from "./statefulset.js";
