/**
 * Resolves what builders need from the cluster: generated credentials (created once, then read
 * back from the `<name>-auth` Secret so passwords never change on their own), users from
 * Secrets, and operator-run TLS material.
 */
import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import type { V1Secret } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";
import type { BuildInputs, Credentials, OperatorTls, SecretUser } from "../builders/inputs.js";
import { names } from "../builders/meta.js";
import { authSecretKeys } from "../builders/secrets.js";
import type { Kube } from "./kube.js";
import { issueOperatorTls } from "./tls.js";

const bcryptCost = 11;

export class InputError extends Error {}

function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const data = secret?.data?.[key];
  return data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
}

export async function generateCredentials(): Promise<Credentials> {
  const adminPassword = randomBytes(24).toString("base64url");
  const systemPassword = randomBytes(24).toString("base64url");
  return {
    adminPassword,
    adminPasswordHash: await bcrypt.hash(adminPassword, bcryptCost),
    systemPassword,
    systemPasswordHash: await bcrypt.hash(systemPassword, bcryptCost),
  };
}

async function credentials(kube: Kube, mq: MessageQueue): Promise<Credentials> {
  const secret = await kube.get<V1Secret>({ apiVersion: "v1", kind: "Secret", namespace: mq.metadata.namespace, name: names.authSecret(mq) });
  const read = {
    adminPassword: secretValue(secret, authSecretKeys.adminPassword),
    adminPasswordHash: secretValue(secret, authSecretKeys.adminPasswordHash),
    systemPassword: secretValue(secret, authSecretKeys.systemPassword),
    systemPasswordHash: secretValue(secret, authSecretKeys.systemPasswordHash),
  };
  if (Object.values(read).every((v) => v !== undefined && v !== "")) return read as Credentials;
  return generateCredentials();
}

async function secretUsers(kube: Kube, mq: MessageQueue): Promise<SecretUser[]> {
  if (mq.spec.auth.mode !== "secrets") return [];
  const users: SecretUser[] = [];
  for (const ref of mq.spec.auth.users ?? []) {
    const secret = await kube.get<V1Secret>({ apiVersion: "v1", kind: "Secret", namespace: mq.metadata.namespace, name: ref.secretName });
    if (secret === undefined) throw new InputError(`auth.users: Secret ${ref.secretName} not found`);
    const uk = ref.usernameKey ?? "username";
    const pk = ref.passwordKey ?? "password";
    const username = secretValue(secret, uk);
    const password = secretValue(secret, pk);
    if (username === undefined || password === undefined || username === "" || password === "") {
      throw new InputError(`auth.users: Secret ${ref.secretName} must have non-empty keys ${uk} and ${pk}`);
    }
    users.push({ username, password });
  }
  return users;
}

async function operatorTls(kube: Kube, mq: MessageQueue): Promise<OperatorTls | undefined> {
  if (mq.spec.tls.mode !== "operator") return undefined;
  const ns = mq.metadata.namespace;
  const ca = await kube.get<V1Secret>({ apiVersion: "v1", kind: "Secret", namespace: ns, name: names.caSecret(mq) });
  const server = await kube.get<V1Secret>({ apiVersion: "v1", kind: "Secret", namespace: ns, name: names.tlsSecret(mq) });
  const existing = {
    caCertPem: secretValue(ca, "ca.crt"),
    caKeyPem: secretValue(ca, "ca.key"),
    serverCertPem: secretValue(server, "tls.crt"),
    serverKeyPem: secretValue(server, "tls.key"),
  };
  if (Object.values(existing).every((v) => v !== undefined && v !== "")) return existing as OperatorTls;
  return issueOperatorTls(mq, existing.caCertPem !== undefined && existing.caKeyPem !== undefined ? { certPem: existing.caCertPem, keyPem: existing.caKeyPem } : undefined);
}

export async function resolveInputs(kube: Kube, mq: MessageQueue): Promise<BuildInputs> {
  const tls = await operatorTls(kube, mq);
  return {
    credentials: await credentials(kube, mq),
    secretUsers: await secretUsers(kube, mq),
    ...(tls !== undefined ? { operatorTls: tls } : {}),
  };
}
