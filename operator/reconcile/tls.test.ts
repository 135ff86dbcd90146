import { X509Certificate, createPrivateKey, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fixtureMq } from "../builders/testFixture.js";
import { issueOperatorTls } from "./tls.js";

describe("operator CA", () => {
  it("issues a server certificate signed by its CA with the headless wildcard SAN", async () => {
    const mq = fixtureMq({ tls: { mode: "operator" } });
    const tls = await issueOperatorTls(mq);
    const ca = new X509Certificate(tls.caCertPem);
    const server = new X509Certificate(tls.serverCertPem);
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.subjectAltName).toContain("DNS:*.orders-headless.prod.svc.cluster.local");
    expect(server.checkHost("orders-2.orders-headless.prod.svc.cluster.local")).toBe("*.orders-headless.prod.svc.cluster.local");
    expect(server.checkHost("orders.other.svc")).toBeUndefined();
    expect(createPrivateKey(tls.serverKeyPem).asymmetricKeyType).toBe("ec");
    // The key in the Secret belongs to the certificate: a signature by it verifies with the cert.
    const data = Buffer.from("sluice");
    expect(verify("sha256", data, server.publicKey, sign("sha256", data, createPrivateKey(tls.serverKeyPem)))).toBe(true);

    // Re-issuing with the existing CA keeps the CA and yields a new server cert it signed.
    const again = await issueOperatorTls(mq, { certPem: tls.caCertPem, keyPem: tls.caKeyPem });
    expect(again.caCertPem).toBe(tls.caCertPem);
    expect(new X509Certificate(again.serverCertPem).verify(ca.publicKey)).toBe(true);
    expect(again.serverCertPem).not.toBe(tls.serverCertPem);
  });
});
