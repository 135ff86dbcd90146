/**
 * Credentials for one cluster, made with openssl: a CA, the apiserver's serving certificate, the
 * process kubelet's serving certificate (for `kubectl logs`), the service-account key pair, a static
 * admin bearer token (group system:masters) and the admin kubeconfig.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  kubeletCert: string;
  kubeletKey: string;
  saKey: string;
  saPub: string;
  tokensCsv: string;
  adminToken: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(err)}`);
  }
}

function signedCert(dir: string, base: string, cn: string, sans: string[]): void {
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${base}.key`, "-out", `${base}.csr`], dir);
  writeFileSync(
    join(dir, `${base}.ext`),
    `subjectAltName=${sans.join(",")}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
  );
  openssl(
    ["x509", "-req", "-in", `${base}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "3650", "-sha256", "-extfile", `${base}.ext`, "-out", `${base}.crt`],
    dir,
  );
}

export function createPki(dir: string, addrs: { gateway: string; serviceIp: string }): Pki {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=localkube-ca", "-keyout", "ca.key", "-out", "ca.crt"], dir);
  const dns = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
  signedCert(dir, "apiserver", "kube-apiserver", [...dns.map((d) => `DNS:${d}`), "IP:127.0.0.1", `IP:${addrs.gateway}`, `IP:${addrs.serviceIp}`]);
  signedCert(dir, "kubelet", "localkube-kubelet", ["DNS:localhost", "IP:127.0.0.1", `IP:${addrs.gateway}`]);
  openssl(["genrsa", "-out", "sa.key", "2048"], dir);
  openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  const adminToken = randomBytes(24).toString("hex");
  writeFileSync(join(dir, "tokens.csv"), `${adminToken},localkube-admin,localkube-admin,"system:masters"\n`, { mode: 0o600 });
  writeFileSync(join(dir, "admin.token"), adminToken, { mode: 0o600 });
  return loadPki(dir);
}

export function loadPki(dir: string): Pki {
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    apiserverCert: join(dir, "apiserver.crt"),
    apiserverKey: join(dir, "apiserver.key"),
    kubeletCert: join(dir, "kubelet.crt"),
    kubeletKey: join(dir, "kubelet.key"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
    tokensCsv: join(dir, "tokens.csv"),
    adminToken: readFileSync(join(dir, "admin.token"), "utf8").trim(),
  };
}

/** An admin kubeconfig with the CA embedded, so the file can be copied anywhere on this host. */
export function kubeconfigYaml(opts: { name: string; server: string; caCert: string; token: string }): string {
  const ca = readFileSync(opts.caCert).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${opts.name}`,
    "  cluster:",
    `    server: ${opts.server}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    `- name: ${opts.name}-admin`,
    "  user:",
    `    token: ${opts.token}`,
    "contexts:",
    `- name: ${opts.name}`,
    "  context:",
    `    cluster: ${opts.name}`,
    `    user: ${opts.name}-admin`,
    "    namespace: default",
    `current-context: ${opts.name}`,
    "",
  ].join("\n");
}
