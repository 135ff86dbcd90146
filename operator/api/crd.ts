/** The MessageQueue CustomResourceDefinition, built from schema.ts. */
import { messageQueueSpecSchema, messageQueueStatusSchema, type JSONSchemaProps } from "./schema.js";
import { group, kind, plural, shortNames, singular, version } from "./types.js";

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: "Namespaced";
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JSONSchemaProps };
      subresources: {
        status: Record<string, never>;
        scale: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
      };
      additionalPrinterColumns: { name: string; type: string; jsonPath: string; description?: string }[];
    }[];
  };
}

export function buildMessageQueueCrd(): CustomResourceDefinition {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}`, labels: { "app.kubernetes.io/part-of": "sluice" } },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular, shortNames: [...shortNames], categories: ["sluice"] },
      scope: "Namespaced",
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: "MessageQueue is a replicated, secured NATS-compatible broker cluster run by the Sluice operator.",
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: { ...messageQueueSpecSchema, default: {} },
                status: messageQueueStatusSchema,
              },
            },
          },
          subresources: {
            status: {},
            scale: {
              specReplicasPath: ".spec.replicas",
              statusReplicasPath: ".status.replicas",
              labelSelectorPath: ".status.selector",
            },
          },
          additionalPrinterColumns: [
            { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: "Replicas", type: "integer", jsonPath: ".status.readyReplicas", description: "Ready brokers" },
            { name: "Version", type: "string", jsonPath: ".status.currentVersion" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
        },
      ],
    },
  };
}
