/**
 * The MessageQueue API (sluice.dev/v1alpha1) as TypeScript types. The OpenAPI schema in
 * schema.ts describes the same shape for the apiserver; schema.test.ts keeps the two aligned by
 * validating a fully populated object against the schema.
 */

export const group = "sluice.dev";
export const version = "v1alpha1";
export const apiVersion = `${group}/${version}`;
export const kind = "MessageQueue";
export const plural = "messagequeues";
export const singular = "messagequeue";
export const shortNames = ["mq"] as const;

export type RetainPolicy = "Retain" | "Delete";
export type AuthMode = "none" | "generated" | "secrets";
export type TlsMode = "disabled" | "operator" | "certManager";
export type SyncMode = "always" | "interval";

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
}

export interface StorageSpec {
  /** Kubernetes quantity, e.g. "10Gi". */
  size: string;
  storageClassName?: string;
  /** What happens to the data PVCs when the MessageQueue is deleted. */
  retainPolicy: RetainPolicy;
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface JetStreamSpec {
  /** Kubernetes quantity for max_memory_store. */
  maxMemory?: string;
  /** Kubernetes quantity for max_file_store. */
  maxFile?: string;
  sync: SyncMode;
}

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface UserFromSecret {
  /** Secret holding `username` and `password` keys (or the keys named below). */
  secretName: string;
  usernameKey?: string;
  passwordKey?: string;
}

export interface AuthSpec {
  mode: AuthMode;
  users?: UserFromSecret[];
}

export interface IssuerRef {
  name: string;
  kind?: "Issuer" | "ClusterIssuer";
  group?: string;
}

export interface TlsSpec {
  mode: TlsMode;
  issuerRef?: IssuerRef;
}

/** Arbitrary Kubernetes objects that Sluice passes through untouched (validated by the apiserver
 * when the StatefulSet is applied). */
export type KubeValue = string | number | boolean | null | KubeValue[] | { [key: string]: KubeValue };

export interface PodTemplateSpec {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  affinity?: { [key: string]: KubeValue };
  tolerations?: { [key: string]: KubeValue }[];
  topologySpreadConstraints?: { [key: string]: KubeValue }[];
  /** Seconds the broker gets to finish lame duck before SIGKILL. */
  terminationGracePeriodSeconds?: number;
}

export interface MonitoringSpec {
  serviceMonitor: boolean;
}

export interface MessageQueueSpec {
  replicas: number;
  /** Broker version; the image defaults to `sluice/broker:<version>`. */
  version: string;
  image?: string;
  storage: StorageSpec;
  resources?: ResourceRequirements;
  jetstream: JetStreamSpec;
  auth: AuthSpec;
  tls: TlsSpec;
  /** Extra broker settings, nats-server config keys (see configKeys.ts for the allow-list). */
  config?: Record<string, string>;
  podTemplate?: PodTemplateSpec;
  monitoring: MonitoringSpec;
  paused: boolean;
}

export type ConditionType = "Ready" | "Progressing" | "Degraded";
export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export interface Endpoints {
  client: string;
  monitoring: string;
}

export interface MessageQueueStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  currentVersion?: string;
  endpoints?: Endpoints;
  /** Secret with connection details (url, username, password) for clients. */
  secretName?: string;
  /** Label selector string for the scale subresource (HPA, kubectl scale). */
  selector?: string;
}

/** A MessageQueue as stored, before defaulting: every spec field may be missing. */
export interface MessageQueueInput {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: DeepPartial<MessageQueueSpec>;
  status?: MessageQueueStatus;
}

/** A MessageQueue after `defaultAndValidate`: the shape builders work with. */
export interface MessageQueue {
  apiVersion: typeof apiVersion;
  kind: typeof kind;
  metadata: ObjectMeta;
  spec: MessageQueueSpec;
  status?: MessageQueueStatus;
}

export type DeepPartial<T> = T extends (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
