/**
 * What builders need besides the MessageQueue: values the reconciler generated or read
 * (random passwords, bcrypt hashes, certificates, users from Secrets). Builders stay pure by
 * receiving them instead of creating them.
 */

/** Generated once per MessageQueue and kept in the `<name>-auth` Secret. */
export interface Credentials {
  adminPassword: string;
  adminPasswordHash: string;
  systemPassword: string;
  systemPasswordHash: string;
}

/** A user read from a Secret named in spec.auth.users. */
export interface SecretUser {
  username: string;
  password: string;
}

/** PEM material of the operator-run CA (tls.mode operator). */
export interface OperatorTls {
  caCertPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

export interface BuildInputs {
  credentials: Credentials;
  secretUsers: SecretUser[];
  operatorTls?: OperatorTls;
}

export const adminUser = "admin";
/** The user the operator itself connects as (monitoring and admin over the NATS protocol). */
export const systemUser = "sluice-system";
