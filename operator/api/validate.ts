/**
 * Defaulting and validation the reconciler applies before building anything. It mirrors the CRD's
 * schema defaults and CEL rules (so objects stored before a CRD upgrade, or created with
 * validation off, still get clear errors) and adds the checks CEL cannot express cheaply.
 */
import { checkConfigEntry } from "./configKeys.js";
import { parseQuantity } from "./quantity.js";
import { replicasMax } from "./schema.js";
import {
  apiVersion,
  kind,
  type AuthMode,
  type MessageQueue,
  type MessageQueueInput,
  type MessageQueueSpec,
  type RetainPolicy,
  type SyncMode,
  type TlsMode,
} from "./types.js";

export const defaultVersion = "0.1.0";

export type ValidationResult = { ok: true; mq: MessageQueue } | { ok: false; errors: string[] };

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, path: string, errors: string[]): T {
  if (value === undefined) return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  errors.push(`${path}: "${String(value)}" is not one of ${allowed.join(", ")}`);
  return fallback;
}

/** Applies defaults and checks every rule; returns all errors, not just the first. */
export function defaultAndValidate(input: MessageQueueInput): ValidationResult {
  const errors: string[] = [];
  if (input.apiVersion !== apiVersion || input.kind !== kind) {
    errors.push(`expected ${apiVersion} ${kind}, got ${input.apiVersion} ${input.kind}`);
  }
  const s = input.spec ?? {};
  const replicas = s.replicas ?? 3;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > replicasMax) {
    errors.push(`spec.replicas: must be an integer from 1 to ${replicasMax}, got ${String(replicas)}`);
  } else if (replicas !== 1 && replicas % 2 === 0) {
    errors.push("spec.replicas: replicas must be 1 or an odd number (3, 5, 7, 9) so the cluster keeps a Raft majority");
  }
  const size = s.storage?.size ?? "10Gi";
  const sizeBytes = parseQuantity(size);
  if (sizeBytes === undefined || sizeBytes === 0n) errors.push(`spec.storage.size: "${size}" is not a positive quantity such as 10Gi`);
  const maxFile = s.jetstream?.maxFile;
  const maxMemory = s.jetstream?.maxMemory;
  for (const [path, q] of [["spec.jetstream.maxFile", maxFile], ["spec.jetstream.maxMemory", maxMemory]] as const) {
    if (q !== undefined && parseQuantity(q) === undefined) errors.push(`${path}: "${q}" is not a quantity such as 1Gi`);
  }
  if (maxFile !== undefined && sizeBytes !== undefined) {
    const maxFileBytes = parseQuantity(maxFile);
    if (maxFileBytes !== undefined && maxFileBytes > sizeBytes) errors.push("spec.jetstream.maxFile: cannot exceed storage.size");
  }
  const authMode = oneOf<AuthMode>(s.auth?.mode, ["none", "generated", "secrets"], "generated", "spec.auth.mode", errors);
  const users = (s.auth?.users ?? []).map((u, i) => {
    if (u?.secretName === undefined || u.secretName === "") errors.push(`spec.auth.users[${i}].secretName: required`);
    return {
      secretName: u?.secretName ?? "",
      ...(u?.usernameKey !== undefined ? { usernameKey: u.usernameKey } : {}),
      ...(u?.passwordKey !== undefined ? { passwordKey: u.passwordKey } : {}),
    };
  });
  if (authMode === "secrets" && users.length === 0) {
    errors.push("spec.auth.users: must list at least one Secret when auth.mode is secrets");
  }
  const tlsMode = oneOf<TlsMode>(s.tls?.mode, ["disabled", "operator", "certManager"], "disabled", "spec.tls.mode", errors);
  const issuer = s.tls?.issuerRef;
  if (tlsMode === "certManager" && (issuer?.name === undefined || issuer.name === "")) {
    errors.push("spec.tls.issuerRef: required when tls.mode is certManager");
  }
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(s.config ?? {})) {
    if (typeof value !== "string") {
      errors.push(`spec.config.${key}: values are strings, got ${typeof value}`);
      continue;
    }
    const problem = checkConfigEntry(key, value);
    if (problem !== undefined) errors.push(problem);
    else config[key] = value;
  }
  const retainPolicy = oneOf<RetainPolicy>(s.storage?.retainPolicy, ["Retain", "Delete"], "Retain", "spec.storage.retainPolicy", errors);
  const sync = oneOf<SyncMode>(s.jetstream?.sync, ["always", "interval"], "always", "spec.jetstream.sync", errors);
  const version = s.version ?? defaultVersion;
  if (!/^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/.test(version)) errors.push(`spec.version: "${version}" is not a valid version tag`);
  if (errors.length > 0) return { ok: false, errors };

  const spec: MessageQueueSpec = {
    replicas,
    version,
    ...(s.image !== undefined ? { image: s.image } : {}),
    storage: {
      size,
      retainPolicy,
      ...(s.storage?.storageClassName !== undefined ? { storageClassName: s.storage.storageClassName } : {}),
    },
    ...(s.resources !== undefined ? { resources: s.resources as MessageQueueSpec["resources"] & object } : {}),
    jetstream: {
      sync,
      ...(maxMemory !== undefined ? { maxMemory } : {}),
      ...(maxFile !== undefined ? { maxFile } : {}),
    },
    auth: { mode: authMode, ...(authMode === "secrets" ? { users } : {}) },
    tls: {
      mode: tlsMode,
      ...(tlsMode === "certManager" && issuer?.name !== undefined
        ? {
            issuerRef: {
              name: issuer.name,
              ...(issuer.kind !== undefined ? { kind: issuer.kind } : {}),
              ...(issuer.group !== undefined ? { group: issuer.group } : {}),
            },
          }
        : {}),
    },
    ...(Object.keys(config).length > 0 ? { config } : {}),
    ...(s.podTemplate !== undefined ? { podTemplate: s.podTemplate as MessageQueueSpec["podTemplate"] & object } : {}),
    monitoring: { serviceMonitor: s.monitoring?.serviceMonitor ?? false },
    paused: s.paused ?? false,
  };
  return {
    ok: true,
    mq: {
      apiVersion,
      kind,
      metadata: input.metadata,
      spec,
      ...(input.status !== undefined ? { status: input.status } : {}),
    },
  };
}

/** Transition rules (CEL `oldSelf`): checked against the spec last applied by the operator. */
export function validateUpdate(previous: MessageQueueSpec, next: MessageQueueSpec): string[] {
  const errors: string[] = [];
  const before = parseQuantity(previous.storage.size);
  const after = parseQuantity(next.storage.size);
  if (before !== undefined && after !== undefined && after < before) {
    errors.push("spec.storage.size: cannot shrink: a volume can be expanded but never made smaller");
  }
  if (previous.storage.storageClassName !== next.storage.storageClassName) {
    errors.push("spec.storage.storageClassName: is immutable: existing volumes cannot move to another StorageClass");
  }
  return errors;
}
