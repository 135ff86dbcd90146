/**
 * Secrets: `<name>-auth` (broker auth.conf plus the generated credentials, so they survive
 * operator restarts), `<name>-client` (what applications mount to connect), and for
 * tls.mode operator the CA and server certificate Secrets.
 */
import type { V1Secret } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";
import { renderAuthConfig } from "./brokerConfig.js";
import { adminUser, systemUser, type BuildInputs, type OperatorTls } from "./inputs.js";
import { clientServiceDnsName, names, ownedMeta, ports } from "./meta.js";

export const authSecretKeys = {
  authConf: "auth.conf",
  adminPassword: "admin-password",
  adminPasswordHash: "admin-password-bcrypt",
  systemPassword: "system-password",
  systemPasswordHash: "system-password-bcrypt",
} as const;

export function clientUrl(mq: MessageQueue): string {
  const scheme = mq.spec.tls.mode === "disabled" ? "nats" : "tls";
  return `${scheme}://${clientServiceDnsName(mq)}:${ports.client}`;
}

export function monitoringUrl(mq: MessageQueue): string {
  return `http://${clientServiceDnsName(mq)}:${ports.monitor}`;
}

export function buildAuthSecret(mq: MessageQueue, inputs: BuildInputs): V1Secret {
  const c = inputs.credentials;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(mq, names.authSecret(mq)),
    type: "Opaque",
    stringData: {
      [authSecretKeys.authConf]: renderAuthConfig(mq, inputs),
      [authSecretKeys.adminPassword]: c.adminPassword,
      [authSecretKeys.adminPasswordHash]: c.adminPasswordHash,
      [authSecretKeys.systemPassword]: c.systemPassword,
      [authSecretKeys.systemPasswordHash]: c.systemPasswordHash,
    },
  };
}

/** Connection details for applications: url always; user and password for auth.mode generated. */
export function buildClientSecret(mq: MessageQueue, inputs: BuildInputs): V1Secret {
  const data: Record<string, string> = { url: clientUrl(mq) };
  if (mq.spec.auth.mode === "generated") {
    data["username"] = adminUser;
    data["password"] = inputs.credentials.adminPassword;
  }
  if (inputs.operatorTls !== undefined && mq.spec.tls.mode === "operator") data["ca.crt"] = inputs.operatorTls.caCertPem;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(mq, names.clientSecret(mq)),
    type: "Opaque",
    stringData: data,
  };
}

export function buildCaSecret(mq: MessageQueue, tls: OperatorTls): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(mq, names.caSecret(mq)),
    type: "Opaque",
    stringData: { "ca.crt": tls.caCertPem, "ca.key": tls.caKeyPem },
  };
}

export function buildServerTlsSecret(mq: MessageQueue, tls: OperatorTls): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: ownedMeta(mq, names.tlsSecret(mq)),
    type: "kubernetes.io/tls",
    stringData: { "tls.crt": tls.serverCertPem, "tls.key": tls.serverKeyPem, "ca.crt": tls.caCertPem },
  };
}

export { systemUser };
