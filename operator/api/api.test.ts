import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildMessageQueueCrd } from "./crd.js";
import { crdOutputPaths, renderCrdYaml } from "./gen-crds.js";
import { parseQuantity } from "./quantity.js";
import { messageQueueSpecSchema, type JSONSchemaProps } from "./schema.js";
import type { MessageQueueInput, MessageQueueSpec } from "./types.js";
import { defaultAndValidate, validateUpdate } from "./validate.js";

const root = join(import.meta.dirname, "..", "..");

function mq(spec: MessageQueueInput["spec"]): MessageQueueInput {
  const base = { apiVersion: "sluice.dev/v1alpha1", kind: "MessageQueue", metadata: { name: "orders", namespace: "prod" } };
  return spec === undefined ? base : { ...base, spec };
}

/** Structural check of a value against the schema: unknown fields, types, enums, patterns, bounds. */
function conforms(value: unknown, schema: JSONSchemaProps, path: string, errors: string[]): void {
  if (schema["x-kubernetes-preserve-unknown-fields"] === true) return;
  const t = schema.type;
  if (t === "object") {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return void errors.push(`${path}: not an object`);
    for (const [k, v] of Object.entries(value)) {
      const sub = schema.properties?.[k] ?? schema.additionalProperties;
      if (sub === undefined) errors.push(`${path}.${k}: not in schema`);
      else conforms(v, sub, `${path}.${k}`, errors);
    }
  } else if (t === "array") {
    if (!Array.isArray(value)) return void errors.push(`${path}: not an array`);
    value.forEach((v, i) => conforms(v, schema.items!, `${path}[${i}]`, errors));
  } else if (t === "integer") {
    if (!Number.isInteger(value)) errors.push(`${path}: not an integer`);
    else if ((schema.minimum !== undefined && (value as number) < schema.minimum) || (schema.maximum !== undefined && (value as number) > schema.maximum)) errors.push(`${path}: out of range`);
  } else if (t === "string") {
    if (typeof value !== "string") return void errors.push(`${path}: not a string`);
    if (schema.enum !== undefined && !schema.enum.includes(value)) errors.push(`${path}: not in enum`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: pattern`);
  } else if (t === "boolean" && typeof value !== "boolean") errors.push(`${path}: not a boolean`);
}

const fullSpec: MessageQueueSpec = {
  replicas: 5,
  version: "0.1.0",
  image: "registry.example/sluice/broker:0.1.0",
  storage: { size: "20Gi", storageClassName: "fast", retainPolicy: "Delete" },
  resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
  jetstream: { maxMemory: "512Mi", maxFile: "10Gi", sync: "interval" },
  auth: { mode: "secrets", users: [{ secretName: "app-user", usernameKey: "u", passwordKey: "p" }] },
  tls: { mode: "certManager", issuerRef: { name: "ca", kind: "ClusterIssuer", group: "cert-manager.io" } },
  config: { max_payload: "2MB", ping_interval: "30s", debug: "true" },
  podTemplate: {
    labels: { team: "pay" },
    annotations: { a: "b" },
    affinity: { nodeAffinity: {} },
    tolerations: [{ key: "dedicated", operator: "Exists" }],
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone" }],
    terminationGracePeriodSeconds: 120,
  },
  monitoring: { serviceMonitor: true },
  paused: false,
};

describe("CRD", () => {
  it("crds/ and the chart copy match the TypeScript source (run `npm run gen:crds` if this fails)", () => {
    const expected = renderCrdYaml();
    for (const rel of crdOutputPaths) expect(readFileSync(join(root, rel), "utf8"), rel).toBe(expected);
  });

  it("declares group, short name, scale and status subresources and printer columns", () => {
    const crd = buildMessageQueueCrd();
    const v = crd.spec.versions[0]!;
    expect(crd.metadata.name).toBe("messagequeues.sluice.dev");
    expect(crd.spec.names.shortNames).toEqual(["mq"]);
    expect(v.subresources.scale.specReplicasPath).toBe(".spec.replicas");
    expect(v.additionalPrinterColumns.map((c) => c.name)).toEqual(["Ready", "Replicas", "Version", "Age"]);
    const rules = JSON.stringify(parse(renderCrdYaml()));
    expect(rules).toContain("quantity(self.size).compareTo(quantity(oldSelf.size)) >= 0");
    expect(rules).toContain("!has(self.replicas) || self.replicas == 1 || self.replicas % 2 == 1");
  });

  it("schema describes every field of the TypeScript type", () => {
    const errors: string[] = [];
    conforms(fullSpec, messageQueueSpecSchema, "spec", errors);
    expect(errors).toEqual([]);
    const bad: string[] = [];
    conforms({ ...fullSpec, replicaz: 3, storage: { ...fullSpec.storage, retainPolicy: "Keep" } }, messageQueueSpecSchema, "spec", bad);
    expect(bad).toEqual(["spec.storage.retainPolicy: not in enum", "spec.replicaz: not in schema"]);
  });
});

describe("defaultAndValidate", () => {
  it("fills defaults like the schema", () => {
    const r = defaultAndValidate(mq(undefined));
    expect(r.ok && r.mq.spec).toEqual({
      replicas: 3,
      version: "0.1.0",
      storage: { size: "10Gi", retainPolicy: "Retain" },
      jetstream: { sync: "always" },
      auth: { mode: "generated" },
      tls: { mode: "disabled" },
      monitoring: { serviceMonitor: false },
      paused: false,
    });
  });

  it("accepts a fully populated spec unchanged", () => {
    const r = defaultAndValidate(mq(fullSpec));
    expect(r.ok && r.mq.spec).toEqual(fullSpec);
  });

  it.each([
    [{ replicas: 2 }, "spec.replicas: replicas must be 1 or an odd number (3, 5, 7, 9) so the cluster keeps a Raft majority"],
    [{ replicas: 11 }, "spec.replicas: must be an integer from 1 to 9, got 11"],
    [{ config: { port: "1" } }, 'spec.config: key "port" is not allowed; allowed keys: debug, lame_duck_duration, lame_duck_grace_period, logtime, max_connections, max_control_line, max_payload, max_pending, max_subscriptions, ping_interval, ping_max, trace, write_deadline'],
    [{ config: { ping_interval: "soon" } }, 'spec.config.ping_interval: "soon" is not a valid duration (e.g. 30s)'],
    [{ tls: { mode: "certManager" as const } }, "spec.tls.issuerRef: required when tls.mode is certManager"],
    [{ auth: { mode: "secrets" as const } }, "spec.auth.users: must list at least one Secret when auth.mode is secrets"],
    [{ storage: { size: "lots" } }, 'spec.storage.size: "lots" is not a positive quantity such as 10Gi'],
    [{ storage: { size: "1Gi" }, jetstream: { maxFile: "2Gi" } }, "spec.jetstream.maxFile: cannot exceed storage.size"],
  ])("rejects %j", (spec, message) => {
    const r = defaultAndValidate(mq(spec));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([message]);
  });

  it("rejects shrinking storage and changing the storage class", () => {
    const before = (defaultAndValidate(mq({ storage: { size: "10Gi", storageClassName: "a" } })) as { ok: true; mq: { spec: MessageQueueSpec } }).mq.spec;
    expect(validateUpdate(before, { ...before, storage: { ...before.storage, size: "20Gi" } })).toEqual([]);
    expect(validateUpdate(before, { ...before, storage: { ...before.storage, size: "9Gi", storageClassName: "b" } })).toEqual([
      "spec.storage.size: cannot shrink: a volume can be expanded but never made smaller",
      "spec.storage.storageClassName: is immutable: existing volumes cannot move to another StorageClass",
    ]);
  });
});

describe("parseQuantity", () => {
  it.each([
    ["10Gi", 10n * 1024n ** 3n],
    ["1.5Ki", 1536n],
    ["1k", 1000n],
    ["0.1", 1n],
    ["512", 512n],
  ])("%s", (text, bytes) => expect(parseQuantity(text)).toBe(bytes));
  it.each(["", "1.", "10GB", "-1Gi", "1e3"])("rejects %j", (text) => expect(parseQuantity(text)).toBeUndefined());
});
