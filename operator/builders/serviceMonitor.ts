/** Prometheus Operator ServiceMonitor scraping the brokers' /metrics (monitoring.serviceMonitor). */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";
import { names, ownedMeta, selectorLabels } from "./meta.js";
import { serviceRoleLabel } from "./services.js";

export interface ServiceMonitor extends KubernetesObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: { port: string; path: string; interval: string }[];
  };
}

export function buildServiceMonitor(mq: MessageQueue): ServiceMonitor | undefined {
  if (!mq.spec.monitoring.serviceMonitor) return undefined;
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: ownedMeta(mq, names.serviceMonitor(mq)),
    spec: {
      // Both Services reach every pod; selecting only the client one scrapes each broker once.
      selector: { matchLabels: { ...selectorLabels(mq), [serviceRoleLabel]: "client" } },
      namespaceSelector: { matchNames: [mq.metadata.namespace] },
      endpoints: [{ port: "monitor", path: "/metrics", interval: "30s" }],
    },
  };
}
