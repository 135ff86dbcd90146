/**
 * The operator-run CA (tls.mode operator): one ECDSA P-256 CA per MessageQueue and a server
 * certificate with a wildcard SAN for the headless Service (so scaling never re-issues).
 * Pure JS (@peculiar/x509 over WebCrypto); no openssl at run time.
 */
import "reflect-metadata"; // @peculiar/x509 uses tsyringe, which needs it loaded first
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import type { MessageQueue } from "../api/types.js";
import type { OperatorTls } from "../builders/inputs.js";
import { serverDnsNames } from "../builders/certificates.js";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const dayMs = 24 * 60 * 60 * 1000;
export const caValidityDays = 3650;
export const serverValidityDays = 365;

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  // Positive 16-byte serial: clear the top bit.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

async function importKey(pem: string): Promise<CryptoKey> {
  const b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return webcrypto.subtle.importKey("pkcs8", Buffer.from(b64, "base64"), alg, true, ["sign"]) as Promise<CryptoKey>;
}

/** Issues a server certificate, with a new CA unless one is given (existing CA is kept). */
export async function issueOperatorTls(mq: MessageQueue, existingCa?: { certPem: string; keyPem: string }, now = new Date()): Promise<OperatorTls> {
  let caCert: x509.X509Certificate;
  let caKey: CryptoKey;
  let caKeyPem: string;
  if (existingCa !== undefined) {
    caCert = new x509.X509Certificate(existingCa.certPem);
    caKey = await importKey(existingCa.keyPem);
    caKeyPem = existingCa.keyPem;
  } else {
    const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=sluice ${mq.metadata.namespace}/${mq.metadata.name} CA, O=sluice`,
      notBefore: new Date(now.getTime() - 5 * 60 * 1000),
      notAfter: new Date(now.getTime() + caValidityDays * dayMs),
      keys,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    caKey = keys.privateKey;
    caKeyPem = pemKey(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  }
  const serverKeys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const dnsNames = serverDnsNames(mq);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${dnsNames[2]!}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    notAfter: new Date(now.getTime() + serverValidityDays * dayMs),
    signingKey: caKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([...dnsNames.map((value) => ({ type: "dns" as const, value })), { type: "ip", value: "127.0.0.1" }]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return {
    caCertPem: caCert.toString("pem") + "\n",
    caKeyPem,
    serverCertPem: server.toString("pem") + "\n",
    serverKeyPem: pemKey(await webcrypto.subtle.exportKey("pkcs8", serverKeys.privateKey)),
  };
}
