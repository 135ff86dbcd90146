/** A defaulted MessageQueue and build inputs for builder tests. */
import type { MessageQueue, MessageQueueSpec } from "../api/types.js";
import type { BuildInputs } from "./inputs.js";

export function fixtureMq(spec: Partial<MessageQueueSpec> = {}): MessageQueue {
  return {
    apiVersion: "sluice.dev/v1alpha1",
    kind: "MessageQueue",
    metadata: { name: "orders", namespace: "prod", uid: "uid-1", generation: 1 },
    spec: {
      replicas: 3,
      version: "0.1.0",
      storage: { size: "10Gi", retainPolicy: "Retain" },
      jetstream: { sync: "always" },
      auth: { mode: "generated" },
      tls: { mode: "disabled" },
      monitoring: { serviceMonitor: false },
      paused: false,
      ...spec,
    },
  };
}

export const fixtureInputs: BuildInputs = {
  credentials: {
    adminPassword: "admin-pw",
    adminPasswordHash: "$2a$10$adminhash",
    systemPassword: "system-pw",
    systemPasswordHash: "$2a$10$systemhash",
  },
  secretUsers: [],
};
