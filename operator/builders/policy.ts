/** PodDisruptionBudget, NetworkPolicy and the brokers' ServiceAccount. */
import type { KubernetesObject, V1LabelSelector, V1PodDisruptionBudget, V1ServiceAccount } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";
import { names, ownedMeta, ports, selectorLabels } from "./meta.js";

/** At most one broker down for voluntary disruptions (drains): a majority always stays. */
export function buildPodDisruptionBudget(mq: MessageQueue): V1PodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: ownedMeta(mq, names.pdb(mq)),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(mq) } },
  };
}

/** Wire shape of a NetworkPolicy (client-node's model names `from` as `_from`). */
export interface NetworkPolicy extends KubernetesObject {
  spec: {
    podSelector: V1LabelSelector;
    policyTypes: ("Ingress" | "Egress")[];
    ingress: { from?: { podSelector: V1LabelSelector }[]; ports: { protocol: "TCP"; port: number }[] }[];
  };
}

/**
 * Clients and monitoring may come from anywhere (authentication guards them); the route port
 * only from this cluster's own brokers, since routes carry no credentials yet.
 */
export function buildNetworkPolicy(mq: MessageQueue): NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: ownedMeta(mq, names.networkPolicy(mq)),
    spec: {
      podSelector: { matchLabels: selectorLabels(mq) },
      policyTypes: ["Ingress"],
      ingress: [
        { ports: [{ protocol: "TCP", port: ports.client }, { protocol: "TCP", port: ports.monitor }] },
        {
          from: [{ podSelector: { matchLabels: selectorLabels(mq) } }],
          ports: [{ protocol: "TCP", port: ports.cluster }],
        },
      ],
    },
  };
}

/** Brokers never talk to the Kubernetes API: a dedicated account with no token mounted. */
export function buildServiceAccount(mq: MessageQueue): V1ServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: ownedMeta(mq, names.serviceAccount(mq)),
    automountServiceAccountToken: false,
  };
}
