/**
 * Server certificate names and the cert-manager Certificate (tls.mode certManager). One wildcard
 * SAN for the headless Service, so scaling never re-issues certificates (operator-lifecycle §4).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MessageQueue } from "../api/types.js";
import { names, ownedMeta } from "./meta.js";

export function serverDnsNames(mq: MessageQueue): string[] {
  const ns = mq.metadata.namespace;
  const headless = names.headlessService(mq);
  const client = names.clientService(mq);
  return [
    `*.${headless}.${ns}.svc.cluster.local`,
    `*.${headless}.${ns}.svc`,
    `${client}.${ns}.svc.cluster.local`,
    `${client}.${ns}.svc`,
    `${client}.${ns}`,
    client,
    "localhost",
  ];
}

export interface Certificate extends KubernetesObject {
  spec: {
    secretName: string;
    commonName: string;
    dnsNames: string[];
    duration: string;
    renewBefore: string;
    privateKey: { algorithm: "ECDSA"; size: 256; rotationPolicy: "Always" };
    usages: string[];
    issuerRef: { name: string; kind: string; group: string };
  };
}

export function buildCertificate(mq: MessageQueue): Certificate | undefined {
  const issuer = mq.spec.tls.issuerRef;
  if (mq.spec.tls.mode !== "certManager" || issuer === undefined) return undefined;
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: ownedMeta(mq, names.certificate(mq)),
    spec: {
      secretName: names.tlsSecret(mq),
      commonName: `${names.clientService(mq)}.${mq.metadata.namespace}.svc`,
      dnsNames: serverDnsNames(mq),
      duration: "2160h",
      renewBefore: "360h",
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      usages: ["server auth", "client auth", "digital signature", "key encipherment"],
      issuerRef: { name: issuer.name, kind: issuer.kind ?? "Issuer", group: issuer.group ?? "cert-manager.io" },
    },
  };
}
