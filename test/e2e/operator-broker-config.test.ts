/**
 * The config the operator generates, run by the real broker (`sluice broker -c`): it parses,
 * includes auth.conf, enforces the bcrypt-hashed generated users, and JetStream stores and
 * returns messages. Paths and ports are moved into a temp dir (pods get them through mounts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { connect, type ConnectionOptions } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultAndValidate } from "../../operator/api/validate.js";
import type { MessageQueue } from "../../operator/api/types.js";
import { paths, renderAuthConfig, renderBrokerConfig } from "../../operator/builders/brokerConfig.js";
import { adminUser, systemUser, type BuildInputs } from "../../operator/builders/inputs.js";
import { generateCredentials } from "../../operator/reconcile/inputs.js";
import { probeBroker, probeClientPort } from "../../operator/reconcile/probe.js";
import { issueOperatorTls } from "../../operator/reconcile/tls.js";
import type { OperatorTls } from "../../operator/builders/inputs.js";
import { startBroker, type BrokerProcess } from "../clients/broker-process.js";

function mqFor(spec: object): MessageQueue {
  const r = defaultAndValidate({ apiVersion: "sluice.dev/v1alpha1", kind: "MessageQueue", metadata: { name: "demo", namespace: "default" }, spec });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.mq;
}

/**
 * Lays out the files a broker pod gets from its mounts (ConfigMap, auth Secret, server TLS Secret)
 * under a temp dir, with paths and the route port moved there, and starts the real broker on them.
 */
async function startGeneratedBroker(mq: MessageQueue, inputs: BuildInputs): Promise<{ dir: string; broker: BrokerProcess }> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-opcfg-"));
  for (const d of ["sluice", "sluice-auth", "tls", "run", "data"]) mkdirSync(join(dir, d));
  const tls = inputs.operatorTls;
  if (tls !== undefined) {
    writeFileSync(join(dir, "tls", "tls.crt"), tls.serverCertPem);
    writeFileSync(join(dir, "tls", "tls.key"), tls.serverKeyPem);
    writeFileSync(join(dir, "tls", "ca.crt"), tls.caCertPem);
  }
  const text = renderBrokerConfig(mq)
    .replace(paths.pidFile, join(dir, "run", "sluice.pid"))
    .replace(`${paths.dataDir}/jetstream`, join(dir, "data", "jetstream"))
    .replaceAll(paths.tlsDir, join(dir, "tls"))
    .replace('listen: "0.0.0.0:6222"', 'listen: "127.0.0.1:-1"');
  writeFileSync(join(dir, "sluice", "sluice.conf"), text);
  writeFileSync(join(dir, "sluice-auth", "auth.conf"), renderAuthConfig(mq, inputs));
  // -p/-m flags given by startBroker override the config's 4222/8222 (random free ports).
  const broker = await startBroker(["-c", join(dir, "sluice", "sluice.conf")], { env: { POD_NAME: "demo-0" } });
  return { dir, broker };
}

describe("generated broker config on the real broker", () => {
  let dir = "";
  let broker: BrokerProcess | undefined;
  let inputs: BuildInputs;

  beforeAll(async () => {
    const mq = mqFor({ replicas: 3, storage: { size: "1Gi" }, config: { max_payload: "2MB" } });
    inputs = { credentials: await generateCredentials(), secretUsers: [] };
    ({ dir, broker } = await startGeneratedBroker(mq, inputs));
  });

  afterAll(async () => {
    await broker?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("serves /healthz and names the server after the pod", async () => {
    const health = await fetch(`${broker!.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const varz = (await (await fetch(`${broker!.httpUrl}/varz`)).json()) as { server_name: string; auth_required: boolean; max_payload: number };
    expect(varz.server_name).toBe("demo-0");
    expect(varz.auth_required).toBe(true);
    expect(varz.max_payload).toBe(2 * 1024 * 1024);
  });

  it("accepts the generated admin and system users and rejects a wrong password", async () => {
    for (const [user, pass] of [
      [adminUser, inputs.credentials.adminPassword],
      [systemUser, inputs.credentials.systemPassword],
    ] as const) {
      const nc = await connect({ servers: broker!.url, user, pass, reconnect: false });
      await nc.flush();
      await nc.close();
    }
    await expect(connect({ servers: broker!.url, user: adminUser, pass: "wrong", reconnect: false })).rejects.toThrow(/Authorization/i);
  });

  it("stores a message in an R1 stream and reads it back", async () => {
    const nc = await connect({ servers: broker!.url, user: adminUser, pass: inputs.credentials.adminPassword, reconnect: false });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], num_replicas: 1 });
      const ack = await jetstream(nc).publish("orders.new", "hello");
      expect(ack.seq).toBe(1);
      const msg = await jsm.streams.getMessage("ORDERS", { seq: 1 });
      expect(msg?.string()).toBe("hello");
    } finally {
      await nc.close();
    }
  });

  it("operator probes see a healthy broker without a meta leader and a working system user", async () => {
    const health = await probeBroker("127.0.0.1", broker!.httpPort);
    expect(health).toEqual({ healthy: true }); // no clustering yet: no meta_cluster in /jsz
    expect(await probeClientPort("127.0.0.1", broker!.port, { user: systemUser, pass: inputs.credentials.systemPassword })).toBeUndefined();
    expect(await probeClientPort("127.0.0.1", broker!.port, { user: systemUser, pass: "wrong" })).toMatch(/^NATS connect as the system user failed: .*Authorization/i);
    const down = await probeBroker("127.0.0.1", 1);
    expect(down.healthy).toBe(false);
  });
});

describe("generated broker config with tls.mode operator and users from Secrets on the real broker", () => {
  let dir = "";
  let broker: BrokerProcess | undefined;
  let inputs: BuildInputs;
  let tls: OperatorTls;
  const podHost = "demo-0.demo-headless.default.svc.cluster.local";
  const appUser = { username: "app", password: "app-secret-pass" };

  beforeAll(async () => {
    const mq = mqFor({ replicas: 1, storage: { size: "1Gi" }, tls: { mode: "operator" }, auth: { mode: "secrets", users: [{ secretName: "app-user" }] } });
    tls = await issueOperatorTls(mq);
    inputs = { credentials: await generateCredentials(), secretUsers: [appUser], operatorTls: tls };
    ({ dir, broker } = await startGeneratedBroker(mq, inputs));
  });

  afterAll(async () => {
    await broker?.stop();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("requires TLS with a certificate for the pod DNS name from the operator CA, and accepts only the Secret users", async () => {
    const varz = (await (await fetch(`${broker!.httpUrl}/varz`)).json()) as { tls_required: boolean };
    expect(varz.tls_required).toBe(true);
    // Verify the chain against the CA from the client Secret, and the name as a client in the
    // cluster would see it (we dial 127.0.0.1, so check the pod's DNS name explicitly).
    const nc = await connect({
      servers: `tls://127.0.0.1:${broker!.port}`,
      user: appUser.username,
      pass: appUser.password,
      reconnect: false,
      tls: { ca: tls.caCertPem, checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(podHost, cert) },
    } as ConnectionOptions);
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "SECURE", subjects: ["secure.>"], num_replicas: 1 });
      expect((await jetstream(nc).publish("secure.x", "sealed")).seq).toBe(1);
    } finally {
      await nc.close();
    }
    const secure = { servers: `tls://127.0.0.1:${broker!.port}`, reconnect: false, tls: { ca: tls.caCertPem } };
    // In secrets mode there is no generated admin user; a wrong Secret password is refused.
    await expect(connect({ ...secure, user: adminUser, pass: inputs.credentials.adminPassword })).rejects.toThrow(/Authorization/i);
    await expect(connect({ ...secure, user: appUser.username, pass: "wrong" })).rejects.toThrow(/Authorization/i);
    // A client that does not trust the operator CA is refused during the handshake.
    await expect(connect({ ...secure, user: appUser.username, pass: appUser.password, tls: {} })).rejects.toThrow(/certificate|self.signed|unable to verify/i);
    // The operator's own client probe speaks TLS with the CA it issued.
    expect(await probeClientPort("127.0.0.1", broker!.port, { user: systemUser, pass: inputs.credentials.systemPassword, caPem: tls.caCertPem })).toBeUndefined();
  });
});
