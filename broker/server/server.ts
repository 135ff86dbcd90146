/**
 * The broker process shell: client listener (plain or TLS), connections, the shared Router,
 * write flushing, internal services, lame duck, reload and shutdown. Everything protocol-level
 * lives in client.ts and the pure cores.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { TLSSocket, createSecureContext, type SecureContext } from "node:tls";
import { systemRandom } from "../../common/prng.js";
import { Authenticator, type AuthSettings } from "../auth/authenticate.js";
import { natsServerVersion } from "../config/index.js";
import type { ServerOptions } from "../config/options.js";
import { Router } from "../core/router.js";
import { encodeErr, encodeInfo } from "../protocol/encode.js";
import { errText } from "../protocol/errors.js";
import { ClientConnection, type ClientContext, type ClientLimits } from "./client.js";
import type { Logger } from "./logger.js";
import type { InternalService } from "./service.js";

/** The nats-server release we speak as (INFO `version`; clients gate features on it). */
export const serverVersion = natsServerVersion;
/** nats-server keeps this many closed connections for /connz?state=closed. */
const closedConnectionsMax = 10_000;

export interface ClosedConnection {
  cid: number;
  ip: string;
  port: number;
  startMs: number;
  lastActivityMs: number;
  stopMs: number;
  reason: string;
  rttMs: number;
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  subjects: string[];
  name: string;
  lang: string;
  version: string;
  user: string | undefined;
  tls: { version: string; cipher: string } | undefined;
}

export interface ServerCounters {
  total_connections: number;
  slow_consumers: number;
  stale_connections: number;
}

function serverId(): string {
  // nats-server ids are NKey public keys: "N" + 55 base32 characters.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes = randomBytes(55);
  let id = "N";
  for (const b of bytes) id += alphabet[b & 31];
  return id;
}

export function authSettingsOf(o: ServerOptions): AuthSettings {
  const a = o.authorization;
  const s: AuthSettings = {};
  if (a?.user !== undefined) s.user = a.user;
  if (a?.password !== undefined) s.password = a.password;
  if (a?.token !== undefined) s.token = a.token;
  if (a?.users !== undefined) s.users = a.users;
  if (a?.default_permissions !== undefined) s.default_permissions = a.default_permissions;
  if (o.no_auth_user !== undefined) s.no_auth_user = o.no_auth_user;
  return s;
}

export function limitsOf(o: ServerOptions): ClientLimits {
  const tlsExtra = o.tls === undefined ? 0 : o.tls.timeout_ms + 1000;
  return {
    max_payload_bytes: o.max_payload_bytes,
    max_control_line_bytes: o.max_control_line_bytes,
    max_pending_bytes: o.max_pending_bytes,
    max_subscriptions: o.max_subscriptions,
    ping_interval_ms: o.ping_interval_ms,
    ping_max: o.ping_max,
    write_deadline_ms: o.write_deadline_ms,
    auth_timeout_ms: Math.max(o.authorization?.timeout_ms ?? 2000, tlsExtra),
  };
}

/** Addresses a 0.0.0.0 / :: listener is reachable on, like nats-server lists them. */
export function listenerHosts(host: string, includeLoopback: boolean): string[] {
  if (host !== "0.0.0.0" && host !== "::" && host !== "") return [host];
  const out: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (!includeLoopback && a.internal) continue;
      if (a.family === "IPv6" && host === "0.0.0.0" && a.internal === false && a.address.startsWith("fe80")) continue;
      out.push(a.address);
    }
  }
  return out;
}

export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

export class Server implements ClientContext {
  readonly router: Router;
  readonly serverId = serverId();
  readonly startMs = Date.now();
  readonly clients = new Map<number, ClientConnection>();
  readonly closedConnections: ClosedConnection[] = [];
  readonly counters: ServerCounters = { total_connections: 0, slow_consumers: 0, stale_connections: 0 };
  readonly services: InternalService[] = [];
  opts: ServerOptions;
  limits: ClientLimits;
  authenticator: Authenticator;
  port = 0;
  lameDuck = false;
  private listener: NetServer | undefined;
  private secureContext: SecureContext | undefined;
  private cidSeq = 0;
  private handshaking = 0;
  private toFlush: ClientConnection[] = [];
  private flushScheduled = false;
  private shuttingDown = false;

  constructor(
    opts: ServerOptions,
    readonly log: Logger,
  ) {
    this.opts = opts;
    this.limits = limitsOf(opts);
    this.authenticator = new Authenticator(authSettingsOf(opts));
    this.router = new Router(systemRandom, (err, subject) => log.error(`internal subscriber on "${subject}" failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    if (opts.tls !== undefined) this.secureContext = this.loadTls(opts);
  }

  get serverName(): string {
    return this.opts.server_name === "" ? this.serverId : this.opts.server_name;
  }

  private loadTls(o: ServerOptions): SecureContext {
    const t = o.tls!;
    const ctx: { cert: Buffer; key: Buffer; ca?: Buffer } = { cert: readFileSync(t.cert_file), key: readFileSync(t.key_file) };
    if (t.ca_file !== undefined) ctx.ca = readFileSync(t.ca_file);
    return createSecureContext(ctx);
  }

  /** Listen for clients; resolves with the bound port. */
  async listen(): Promise<number> {
    const listener = createServer({ noDelay: true }, (s) => this.accept(s));
    this.listener = listener;
    const port = this.opts.port === -1 ? 0 : this.opts.port;
    await new Promise<void>((resolve, reject) => {
      listener.once("error", reject);
      listener.listen({ host: this.opts.host, port, backlog: 4096 }, () => {
        listener.off("error", reject);
        resolve();
      });
    });
    listener.on("error", (err) => this.log.error(`client listener: ${err.message}`));
    const addr = listener.address();
    this.port = typeof addr === "object" && addr !== null ? addr.port : port;
    this.log.info(`Listening for client connections on ${hostPort(this.opts.host, this.port)}`);
    if (this.opts.tls !== undefined) this.log.info("TLS required for client connections");
    return this.port;
  }

  /** The INFO a client sees (per connection fields added). */
  info(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const o = this.opts;
    const info: Record<string, unknown> = {
      server_id: this.serverId,
      server_name: this.serverName,
      version: serverVersion,
      proto: 1,
      go: `node${process.version}`,
      host: o.host,
      port: this.port,
      headers: true,
      max_payload: o.max_payload_bytes,
    };
    if (this.authenticator.required) info["auth_required"] = true;
    if (o.tls !== undefined) {
      info["tls_required"] = true;
      if (o.tls.verify) info["tls_verify"] = true;
    }
    if (o.jetstream.enabled) info["jetstream"] = true;
    if (o.cluster !== undefined) info["connect_urls"] = this.clientUrls();
    if (o.jetstream.domain !== undefined) info["domain"] = o.jetstream.domain;
    return Object.assign(info, extra);
  }

  /** host:port strings clients can reach us on (connect_urls). */
  clientUrls(): string[] {
    if (this.opts.client_advertise !== undefined) return [this.opts.client_advertise];
    return listenerHosts(this.opts.host, false).map((h) => hostPort(h, this.port));
  }

  private accept(raw: Socket): void {
    if (this.lameDuck || this.shuttingDown) {
      raw.destroy();
      return;
    }
    raw.on("error", () => {}); // reported by the connection once it exists; never unhandled
    const cid = ++this.cidSeq;
    const ip = raw.remoteAddress ?? "";
    const port = raw.remotePort ?? 0;
    this.counters.total_connections++;
    if (this.clients.size + this.handshaking >= this.opts.max_connections) {
      this.log.error(`${ip}:${port} - cid:${cid} - maximum connections exceeded`);
      raw.end(Buffer.concat([encodeInfo(this.info({ client_id: cid, client_ip: ip })), encodeErr(errText.maxConnections)]));
      setTimeout(() => raw.destroy(), 2000).unref();
      return;
    }
    const tls = this.opts.tls;
    if (tls === undefined || this.secureContext === undefined) {
      this.register(new ClientConnection(cid, raw, this, ip, port, undefined), this.info({ client_id: cid, client_ip: ip }));
      return;
    }
    if (!tls.handshake_first) raw.write(encodeInfo(this.info({ client_id: cid, client_ip: ip })));
    this.handshaking++;
    const t = new TLSSocket(raw, { isServer: true, secureContext: this.secureContext, requestCert: tls.verify, rejectUnauthorized: tls.verify });
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      this.handshaking--;
      clearTimeout(timer);
      return true;
    };
    const timer = setTimeout(() => {
      if (!finish()) return;
      this.log.error(`${ip}:${port} - cid:${cid} - TLS handshake timeout`);
      raw.end(encodeErr(errText.tlsRequired));
      t.destroy();
      setTimeout(() => raw.destroy(), 1000).unref();
    }, tls.timeout_ms);
    timer.unref();
    t.once("secure", () => {
      if (!finish()) return;
      const cipher = t.getCipher();
      const conn = new ClientConnection(cid, t, this, ip, port, { version: t.getProtocol() ?? "", cipher: cipher.name });
      this.register(conn, tls.handshake_first ? this.info({ client_id: cid, client_ip: ip }) : undefined);
    });
    t.on("error", (err) => {
      if (!finish()) return;
      this.log.error(`${ip}:${port} - cid:${cid} - TLS handshake error: ${err.message}`);
      t.destroy();
    });
  }

  private register(conn: ClientConnection, info: object | undefined): void {
    this.clients.set(conn.cid, conn);
    conn.start(info);
  }

  // ---- ClientContext ----

  scheduleFlush(c: ClientConnection): void {
    this.toFlush.push(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const list = this.toFlush;
    this.toFlush = [];
    for (const c of list) c.flush();
  };

  closed(c: ClientConnection): void {
    this.clients.delete(c.cid);
    this.log.debug(`${c.label()} - Client connection closed: ${c.closeReason}`);
    if (this.closedConnections.length >= closedConnectionsMax) this.closedConnections.shift();
    this.closedConnections.push({
      cid: c.cid,
      ip: c.ip,
      port: c.port,
      startMs: c.startMs,
      lastActivityMs: c.lastActivityMs,
      stopMs: c.stopMs,
      reason: c.closeReason,
      rttMs: c.rttMs,
      inMsgs: c.inMsgs,
      outMsgs: c.outMsgs,
      inBytes: c.inBytes,
      outBytes: c.outBytes,
      subjects: [...c.subs.values()].map((s) => s.subject),
      name: c.name,
      lang: c.lang,
      version: c.version,
      user: c.user,
      tls: c.tls,
    });
  }

  countSlowConsumer(): void {
    this.counters.slow_consumers++;
  }

  countStaleConnection(): void {
    this.counters.stale_connections++;
  }

  // ---- services, lame duck, reload, shutdown ----

  async startService(svc: InternalService): Promise<void> {
    await svc.start(this.router, this.opts, this.log);
    this.services.push(svc);
    this.log.debug(`Started internal service ${svc.name}`);
  }

  private async stopServices(): Promise<void> {
    for (const svc of this.services.splice(0).reverse()) {
      try {
        await svc.stop();
      } catch (err) {
        this.log.error(`stopping ${svc.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /**
   * SIGUSR2: stop accepting, tell clients (INFO ldm:true) so they move elsewhere, wait the grace
   * period, then close the remaining clients spread over the rest of lame_duck_duration.
   */
  async enterLameDuck(): Promise<void> {
    if (this.lameDuck || this.shuttingDown) return;
    this.lameDuck = true;
    this.log.info("Entering lame duck mode, stop accepting new clients");
    this.closeListener();
    await this.stopServices();
    const ldm = this.info({ ldm: true });
    for (const c of this.clients.values()) c.sendAsyncInfo(ldm);
    const grace = this.opts.lame_duck_grace_period_ms;
    const duration = Math.max(0, this.opts.lame_duck_duration_ms - grace);
    if (this.clients.size > 0) await sleep(grace);
    const all = [...this.clients.values()];
    if (all.length > 0) {
      const stepMs = duration / all.length;
      this.log.info(`Closing ${all.length} existing clients over ${duration} ms`);
      for (const [i, c] of all.entries()) {
        if (i > 0 && stepMs >= 1) await sleep(stepMs);
        c.close("Server Shutdown");
      }
    }
  }

  /** Apply a reloaded configuration: limits, auth, logging, max_payload for new connections. */
  reload(next: ServerOptions): string[] {
    const changed: string[] = [];
    const o = this.opts;
    for (const k of ["host", "port"] as const) if (next[k] !== o[k] && !(k === "port" && o.port === -1)) changed.push(`${k} (needs restart, ignored)`);
    const keep = { host: o.host, port: o.port };
    this.opts = { ...next, ...keep };
    this.limits = limitsOf(this.opts);
    this.authenticator = new Authenticator(authSettingsOf(this.opts));
    for (const c of this.clients.values()) c.reauthenticate(this.authenticator);
    if (next.tls !== undefined) this.secureContext = this.loadTls(next);
    changed.push("limits", "authorization", "logging");
    return changed;
  }

  /** Stop accepting. (net.Server.close's callback waits for every connection, so we don't.) */
  private closeListener(): void {
    const l = this.listener;
    this.listener = undefined;
    l?.close();
  }

  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.closeListener();
    await this.stopServices();
    for (const c of [...this.clients.values()]) c.close("Server Shutdown");
    this.log.info("Server Exiting..");
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
