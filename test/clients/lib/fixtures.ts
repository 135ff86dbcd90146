/**
 * The broker fixture every language suite runs against: one server per scenario (plain, users with
 * permissions, token, mutual TLS, restartable, JetStream), and the environment variables that hand
 * their URLs and credentials to a suite. See test/clients/README.md for the variable contract.
 */
import bcrypt from "bcryptjs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RestartController } from "./restart-controller.js";
import { ServerProcess, type ServerKind } from "./server-process.js";
import { makeTestPki } from "./tls.js";

export const CREDENTIALS = {
  user: "alice",
  password: "alice-secret",
  limitedUser: "limited",
  limitedPassword: "limited-secret",
  token: "s3cr3t-token",
} as const;

function usersConfig(aliceHash: string): string {
  // alice's password is stored as a bcrypt hash (nats-server accepts $2a$ hashes); limited may only
  // publish/subscribe under allowed.> (plus inboxes), so anything else is a permission violation.
  return `authorization {
  users = [
    { user: "${CREDENTIALS.user}", password: "${aliceHash}" }
    {
      user: "${CREDENTIALS.limitedUser}", password: "${CREDENTIALS.limitedPassword}"
      permissions: {
        publish: { allow: ["allowed.>"] }
        subscribe: { allow: ["allowed.>", "_INBOX.>"] }
      }
    }
  ]
}
`;
}

function tlsConfig(pki: ReturnType<typeof makeTestPki>): string {
  return `tls {
  cert_file: "${pki.serverCert}"
  key_file: "${pki.serverKey}"
  ca_file: "${pki.caCert}"
  verify: true
  # Generous: a cold JVM's first TLS handshake on a loaded 2-core machine can take seconds.
  timeout: 10
}
`;
}

export class CoreFixture {
  readonly dir: string;
  private readonly servers: ServerProcess[] = [];
  private restartCtl: RestartController | undefined;
  env: Record<string, string> = {};

  constructor(readonly kind: ServerKind) {
    this.dir = mkdtempSync(join(tmpdir(), "sluice-clients-"));
  }

  async start(): Promise<void> {
    const pki = makeTestPki(this.dir);
    const usersFile = join(this.dir, "users.conf");
    writeFileSync(usersFile, usersConfig(bcrypt.hashSync(CREDENTIALS.password, 10)));
    const tlsFile = join(this.dir, "tls.conf");
    writeFileSync(tlsFile, tlsConfig(pki));
    const make = (name: string, args: string[]): ServerProcess => {
      const s = new ServerProcess({ kind: this.kind, name, args });
      this.servers.push(s);
      return s;
    };
    const plain = make("plain", []);
    const users = make("users", ["-c", usersFile]);
    const token = make("token", ["--auth", CREDENTIALS.token]);
    const tls = make("tls", ["-c", tlsFile]);
    const restartable = make("restart", []);
    await Promise.all(this.servers.map((s) => s.start()));
    const ctlDir = join(this.dir, "restart-ctl");
    this.restartCtl = new RestartController(restartable, ctlDir);
    this.restartCtl.start();
    this.env = {
      NATS_URL: plain.url(),
      NATS_USERS_URL: users.url(),
      NATS_USER: CREDENTIALS.user,
      NATS_PASSWORD: CREDENTIALS.password,
      NATS_LIMITED_USER: CREDENTIALS.limitedUser,
      NATS_LIMITED_PASSWORD: CREDENTIALS.limitedPassword,
      NATS_TOKEN_URL: token.url(),
      NATS_TOKEN: CREDENTIALS.token,
      NATS_TLS_URL: tls.url("tls"),
      NATS_TLS_CA: pki.caCert,
      NATS_TLS_CERT: pki.clientCert,
      NATS_TLS_KEY: pki.clientKey,
      NATS_RESTART_URL: restartable.url(),
      NATS_RESTART_CTL: ctlDir,
    };
  }

  /** Server logs, for failure messages. */
  logs(): string {
    return this.servers.map((s) => `--- ${s.kind} ${s.url()} ---\n${s.output()}`).join("\n");
  }

  async stop(): Promise<void> {
    await this.restartCtl?.stop();
    await Promise.all(this.servers.map((s) => s.dispose()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A JetStream-enabled server with a store dir that survives restarts requested by the suite. */
export class JetStreamFixture {
  readonly dir: string;
  readonly server: ServerProcess;
  private restartCtl: RestartController | undefined;
  env: Record<string, string> = {};

  constructor(readonly kind: ServerKind) {
    this.dir = mkdtempSync(join(tmpdir(), "sluice-clients-js-"));
    this.server = new ServerProcess({ kind, name: "jetstream", args: ["-js", "-sd", join(this.dir, "store")] });
  }

  async start(): Promise<void> {
    await this.server.start();
    const ctlDir = join(this.dir, "restart-ctl");
    this.restartCtl = new RestartController(this.server, ctlDir);
    this.restartCtl.start();
    // Sluice makes consumer acks durable before answering, so after a SIGKILL it must resume
    // exactly; nats-server (default sync) may lose recent ack state and redeliver (at-least-once).
    this.env = { NATS_JS_URL: this.server.url(), NATS_JS_CTL: ctlDir, NATS_JS_DURABLE_ACKS: this.kind === "sluice" ? "1" : "0" };
  }

  logs(): string {
    return `--- ${this.server.kind} ${this.server.url()} ---\n${this.server.output()}`;
  }

  async stop(): Promise<void> {
    await this.restartCtl?.stop();
    await this.server.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
