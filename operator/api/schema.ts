/**
 * OpenAPI v3 schema and CEL rules for MessageQueue: the single source of truth for crds/.
 * gen-crds.ts renders it; crd.test.ts fails when crds/ is stale. Messages are written for the
 * person running `kubectl apply`, who sees them verbatim.
 */
import { allowedConfigKeyNames } from "./configKeys.js";

export interface ValidationRule {
  rule: string;
  message: string;
  reason?: "FieldValueInvalid" | "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate";
  fieldPath?: string;
}

export interface JSONSchemaProps {
  type?: "object" | "array" | "string" | "integer" | "boolean" | "number";
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  required?: string[];
  items?: JSONSchemaProps;
  additionalProperties?: JSONSchemaProps;
  enum?: string[];
  default?: string | number | boolean | Record<string, never>;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-validations"?: ValidationRule[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
}

export const replicasMax = 9;
const quantityPattern = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";
const dnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

const str = (description: string, extra: Partial<JSONSchemaProps> = {}): JSONSchemaProps => ({
  type: "string",
  description,
  ...extra,
});
const stringMap = (description: string): JSONSchemaProps => ({
  type: "object",
  description,
  maxProperties: 64,
  additionalProperties: { type: "string", maxLength: 4096 },
});
const opaque = (description: string, type: "object" | "array"): JSONSchemaProps =>
  type === "object"
    ? { type, description, "x-kubernetes-preserve-unknown-fields": true }
    : {
        type,
        description,
        maxItems: 32,
        "x-kubernetes-list-type": "atomic",
        items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      };
const quantity = (description: string): JSONSchemaProps => str(description, { pattern: quantityPattern, maxLength: 32 });

const storage: JSONSchemaProps = {
  type: "object",
  description: "Persistent volume per broker, mounted at /data (JetStream store).",
  default: {},
  properties: {
    size: { ...quantity("Volume size per broker, e.g. 10Gi. May grow, never shrink."), default: "10Gi" },
    storageClassName: str("StorageClass of the data volumes; immutable once set.", { maxLength: 253 }),
    retainPolicy: str("Retain keeps the data PVCs when the MessageQueue is deleted; Delete removes them.", {
      enum: ["Retain", "Delete"],
      default: "Retain",
    }),
  },
  "x-kubernetes-validations": [
    {
      rule: "!has(self.size) || !has(oldSelf.size) || quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0",
      message: "storage.size cannot shrink: a volume can be expanded but never made smaller",
      reason: "FieldValueForbidden",
    },
    {
      rule: "has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)",
      message: "storage.storageClassName is immutable: existing volumes cannot move to another StorageClass",
      reason: "FieldValueForbidden",
    },
  ],
};

const configRule = `self.all(k, k in [${allowedConfigKeyNames.map((k) => `'${k}'`).join(", ")}])`;

// Every rule guards optional fields with has(): the apiserver also evaluates rules against the
// schema's `default: {}` values, before nested defaults are filled in.
export const messageQueueSpecSchema: JSONSchemaProps = {
  type: "object",
  description: "Desired state of a broker cluster.",
  properties: {
    replicas: {
      type: "integer",
      description: "Number of brokers: 1, or an odd number so the cluster keeps a Raft majority.",
      minimum: 1,
      maximum: replicasMax,
      default: 3,
    },
    version: str("Broker version; selects image sluice/broker:<version> unless image is set.", {
      default: "0.1.0",
      pattern: "^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$",
    }),
    image: str("Full broker image reference; overrides version for the image (not for status).", {
      maxLength: 512,
    }),
    storage,
    resources: {
      type: "object",
      description: "CPU and memory for each broker container.",
      properties: { requests: stringMap("Resource requests."), limits: stringMap("Resource limits.") },
    },
    jetstream: {
      type: "object",
      description: "JetStream limits and durability.",
      default: {},
      properties: {
        maxMemory: quantity("max_memory_store per broker, e.g. 1Gi."),
        maxFile: quantity("max_file_store per broker, e.g. 10Gi; defaults to the volume size."),
        sync: str("always: fsync before every ack (default). interval: fsync periodically.", {
          enum: ["always", "interval"],
          default: "always",
        }),
      },
    },
    auth: {
      type: "object",
      description: "Client authentication.",
      default: {},
      properties: {
        mode: str("none, generated (an admin user in <name>-client), or secrets (users from Secrets).", {
          enum: ["none", "generated", "secrets"],
          default: "generated",
        }),
        users: {
          type: "array",
          description: "Users read from Secrets (mode secrets).",
          maxItems: 64,
          "x-kubernetes-list-type": "atomic",
          items: {
            type: "object",
            required: ["secretName"],
            properties: {
              secretName: str("Secret in the MessageQueue's namespace.", { maxLength: 253, pattern: dnsLabel }),
              usernameKey: str("Key holding the user name (default username).", { maxLength: 253 }),
              passwordKey: str("Key holding the password (default password).", { maxLength: 253 }),
            },
          },
        },
      },
      "x-kubernetes-validations": [
        {
          rule: "!has(self.mode) || self.mode != 'secrets' || (has(self.users) && size(self.users) > 0)",
          message: "auth.users must list at least one Secret when auth.mode is secrets",
          reason: "FieldValueRequired",
        },
      ],
    },
    tls: {
      type: "object",
      description: "TLS for client connections.",
      default: {},
      properties: {
        mode: str("disabled, operator (operator-run CA), or certManager (issuerRef).", {
          enum: ["disabled", "operator", "certManager"],
          default: "disabled",
        }),
        issuerRef: {
          type: "object",
          description: "cert-manager issuer for mode certManager.",
          required: ["name"],
          properties: {
            name: str("Issuer name.", { maxLength: 253 }),
            kind: str("Issuer or ClusterIssuer.", { enum: ["Issuer", "ClusterIssuer"] }),
            group: str("Issuer API group (default cert-manager.io).", { maxLength: 253 }),
          },
        },
      },
      "x-kubernetes-validations": [
        {
          rule: "!has(self.mode) || self.mode != 'certManager' || has(self.issuerRef)",
          message: "tls.issuerRef is required when tls.mode is certManager",
          reason: "FieldValueRequired",
        },
      ],
    },
    config: {
      type: "object",
      description: `Extra broker settings (nats-server keys, string values). Allowed: ${allowedConfigKeyNames.join(", ")}.`,
      maxProperties: 32,
      additionalProperties: { type: "string", maxLength: 64 },
      "x-kubernetes-validations": [
        {
          rule: configRule,
          message: `config keys must be among: ${allowedConfigKeyNames.join(", ")}`,
          reason: "FieldValueForbidden",
        },
      ],
    },
    podTemplate: {
      type: "object",
      description: "Overrides for the broker pods.",
      properties: {
        labels: stringMap("Extra pod labels."),
        annotations: stringMap("Extra pod annotations."),
        affinity: opaque("Pod affinity; replaces the default anti-affinity.", "object"),
        tolerations: opaque("Pod tolerations.", "array"),
        topologySpreadConstraints: opaque("Pod topology spread constraints.", "array"),
        terminationGracePeriodSeconds: {
          type: "integer",
          description: "Seconds a broker gets for lame duck before it is killed (default 60).",
          minimum: 1,
          maximum: 3600,
        },
      },
    },
    monitoring: {
      type: "object",
      description: "Prometheus integration.",
      default: {},
      properties: {
        serviceMonitor: { type: "boolean", description: "Create a ServiceMonitor (Prometheus Operator).", default: false },
      },
    },
    paused: {
      type: "boolean",
      description: "Stop all changes to owned objects; status is still reported.",
      default: false,
    },
  },
  "x-kubernetes-validations": [
    {
      rule: "!has(self.replicas) || self.replicas == 1 || self.replicas % 2 == 1",
      message: "replicas must be 1 or an odd number (3, 5, 7, 9) so the cluster keeps a Raft majority",
      fieldPath: ".replicas",
      reason: "FieldValueInvalid",
    },
    {
      rule: "!has(self.jetstream) || !has(self.jetstream.maxFile) || !has(self.storage) || !has(self.storage.size) || quantity(self.jetstream.maxFile).compareTo(quantity(self.storage.size)) <= 0",
      message: "jetstream.maxFile cannot exceed storage.size",
      reason: "FieldValueInvalid",
    },
  ],
};

const condition: JSONSchemaProps = {
  type: "object",
  required: ["type", "status"],
  properties: {
    type: str("Ready, Progressing or Degraded."),
    status: str("True, False or Unknown.", { enum: ["True", "False", "Unknown"] }),
    reason: str("CamelCase reason."),
    message: str("Human-readable detail."),
    observedGeneration: { type: "integer", description: "Generation the condition was computed for." },
    lastTransitionTime: str("When status last changed.", { format: "date-time" }),
  },
};

export const messageQueueStatusSchema: JSONSchemaProps = {
  type: "object",
  description: "Observed state, computed from pods and broker monitoring endpoints.",
  properties: {
    conditions: {
      type: "array",
      items: condition,
      maxItems: 8,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    },
    observedGeneration: { type: "integer" },
    replicas: { type: "integer" },
    readyReplicas: { type: "integer" },
    currentVersion: str("Broker version the running pods report."),
    endpoints: {
      type: "object",
      properties: { client: str("Client URL."), monitoring: str("Monitoring URL.") },
    },
    secretName: str("Secret with connection details (url, username, password)."),
    selector: str("Pod label selector (scale subresource)."),
  },
};
