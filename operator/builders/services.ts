/** Headless Service (stable per-pod DNS for routes) and client Service. */
import type { V1Service } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";
import { names, ownedMeta, ports, selectorLabels } from "./meta.js";

export const serviceRoleLabel = "sluice.dev/service";

export function buildHeadlessService(mq: MessageQueue): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMeta(mq, names.headlessService(mq), { [serviceRoleLabel]: "headless" }),
    spec: {
      clusterIP: "None",
      // Routes must resolve peers before they are Ready, or no broker ever becomes Ready.
      publishNotReadyAddresses: true,
      selector: selectorLabels(mq),
      ports: [
        { name: "client", port: ports.client, targetPort: "client", protocol: "TCP" },
        { name: "cluster", port: ports.cluster, targetPort: "cluster", protocol: "TCP" },
        { name: "monitor", port: ports.monitor, targetPort: "monitor", protocol: "TCP" },
      ],
    },
  };
}

export function buildClientService(mq: MessageQueue): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: ownedMeta(mq, names.clientService(mq), { [serviceRoleLabel]: "client" }),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(mq),
      ports: [
        { name: "client", port: ports.client, targetPort: "client", protocol: "TCP" },
        { name: "monitor", port: ports.monitor, targetPort: "monitor", protocol: "TCP" },
      ],
    },
  };
}
