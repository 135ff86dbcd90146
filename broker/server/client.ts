/**
 * One client connection: the socket shell around the pure parser. It applies CONNECT options,
 * authentication, permissions and limits, routes PUB/HPUB through the Router, and encodes
 * deliveries into its Outbound buffer. Reactions (which -ERR, whether to close) follow
 * nats-server; see nats-compat.md §1.
 */
import type { Socket } from "node:net";
import type { AuthDecision, Authenticator, Credentials } from "../auth/authenticate.js";
import type { PermissionChecker } from "../auth/permissions.js";
import { ResponseGrants } from "../auth/responses.js";
import { Subscription, copyLoopBytesMax, type Router, type Subscriber } from "../core/router.js";
import { OK, PING, PONG, encodeErr, encodeInfo, msgHeaderBytesMax, writeMsgHeader } from "../protocol/encode.js";
import { errText, pubReplyViolation, pubViolation, subViolation } from "../protocol/errors.js";
import { ClientParser, type ClientOpHandler, type ParseErrorKind } from "../protocol/parser.js";
import { isValidLiteralSubject, isValidQueueName, isValidSubject } from "../subjects/validate.js";
import type { Logger } from "./logger.js";
import { Outbound } from "./outbound.js";

/** Limits a connection reads on every use, so a reload applies to live connections. */
export interface ClientLimits {
  max_payload_bytes: number;
  max_control_line_bytes: number;
  max_pending_bytes: number;
  max_subscriptions: number;
  ping_interval_ms: number;
  ping_max: number;
  write_deadline_ms: number;
  auth_timeout_ms: number;
}

/** What a connection needs from its server (implemented by Server; keeps imports one-way). */
export interface ClientContext {
  readonly router: Router;
  readonly log: Logger;
  readonly limits: ClientLimits;
  readonly authenticator: Authenticator;
  scheduleFlush(c: ClientConnection): void;
  closed(c: ClientConnection): void;
  countSlowConsumer(): void;
  countStaleConnection(): void;
}

/** Reply subjects only the server may use (JetStream acks, service imports, gateways). */
function isReservedReply(reply: string): boolean {
  return reply.startsWith("$JS.ACK.") || reply.startsWith("_R_.") || reply.startsWith("_GR_.");
}

/** CONNECT lines carry JWTs and tokens; bounded separately from max_control_line. */
const connectLineBytesMax = 64 * 1024;
/** nats-server's first PING after CONNECT (firstPingInterval). */
const firstPingDelayMs = 2_000;
/** Write at once instead of waiting for the end of the event-loop turn. */
const flushNowBytes = 256 * 1024;
/** After close, how long a peer that does not read may keep the socket half-open. */
const closeLingerMs = 2_000;

export class ClientConnection implements Subscriber, ClientOpHandler {
  readonly subs = new Map<string, Subscription>();
  readonly startMs = Date.now();
  lastActivityMs = this.startMs;
  // CONNECT options (nats-server defaults before CONNECT).
  verbose = true;
  pedantic = true;
  echo = true;
  headers = false;
  noResponders = false;
  protocol = 0;
  name = "";
  lang = "";
  version = "";
  user: string | undefined = undefined;
  // State.
  authorized: boolean;
  connectReceived = false;
  closedFlag = false;
  closeReason = "";
  stopMs = 0;
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;
  rttMs = 0;
  private perms: PermissionChecker | undefined = undefined;
  /** Kept to re-check after a config reload (nats-server closes clients whose auth is gone). */
  private creds: Credentials = {};
  private grants: ResponseGrants | undefined = undefined;
  private readonly parser: ClientParser;
  private readonly out = new Outbound();
  private dirty = false;
  private socketPending = 0;
  private pingsOut = 0;
  /** performance.now() when the outstanding server PING was sent: sub-millisecond RTTs on loopback must not read as 0. */
  private pingSentMs = 0;
  private activeSincePing = false;
  private paused = false;
  private held: Buffer[] = [];
  private authTimer: NodeJS.Timeout | undefined = undefined;
  private pingTimer: NodeJS.Timeout | undefined = undefined;
  private firstPingTimer: NodeJS.Timeout | undefined = undefined;
  private writeDeadlineTimer: NodeJS.Timeout | undefined = undefined;

  constructor(
    readonly cid: number,
    private readonly socket: Socket,
    private readonly ctx: ClientContext,
    readonly ip: string,
    readonly port: number,
    readonly tls: { version: string; cipher: string } | undefined,
  ) {
    const auth = ctx.authenticator;
    this.authorized = !auth.required || auth.hasNoAuthUser;
    this.parser = new ClientParser(
      { controlLineBytesMax: ctx.limits.max_control_line_bytes, payloadBytesMax: ctx.limits.max_payload_bytes, connectLineBytesMax },
      this,
    );
  }

  /** Start reading; send INFO unless it already went out before a TLS upgrade. */
  start(info: object | undefined): void {
    const s = this.socket;
    s.setNoDelay(true);
    s.on("data", (chunk: Buffer) => this.onData(chunk));
    s.on("drain", () => this.onDrain());
    s.on("error", (err) => {
      this.ctx.log.debug(`${this.label()} - Client connection error: ${err.message}`);
      this.close("Read Error");
    });
    s.on("close", () => this.close("Client Closed"));
    if (info !== undefined) this.send(encodeInfo(info));
    if (this.ctx.authenticator.required) {
      this.authTimer = setTimeout(() => this.fail(errText.authTimeout, "Authentication Timeout"), this.ctx.limits.auth_timeout_ms);
      this.authTimer.unref();
    }
    const interval = this.ctx.limits.ping_interval_ms;
    if (interval > 0) {
      this.pingTimer = setInterval(() => this.onPingTimer(), interval);
      this.pingTimer.unref();
    }
  }

  get pendingBytes(): number {
    return this.out.bufferedBytes + this.socketPending;
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  label(): string {
    return `${this.ip}:${this.port} - cid:${this.cid}`;
  }

  // ---- inbound ----

  private onData(chunk: Buffer): void {
    this.lastActivityMs = Date.now();
    this.activeSincePing = true;
    if (this.paused) {
      this.held.push(chunk);
      return;
    }
    this.feed(chunk);
  }

  private feed(chunk: Buffer): void {
    // A plain Uint8Array view: its subarray() (one per PUB payload) is much cheaper than Buffer's.
    const view = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const used = this.parser.push(view);
    if (used < chunk.length && !this.closedFlag) {
      // Paused at CONNECT while credentials are checked; keep the rest for later.
      this.held.unshift(chunk.subarray(used));
    }
  }

  private resume(): void {
    this.paused = false;
    this.socket.resume();
    while (this.held.length > 0 && !this.paused && !this.closedFlag) this.feed(this.held.shift()!);
  }

  connect(json: string): boolean {
    if (this.ctx.log.traceEnabled) this.ctx.log.trace(`${this.label()} - <<- [CONNECT ${json.replace(/"(pass|auth_token)":"[^"]*"/g, '"$1":"[REDACTED]"')}]`);
    let o: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(json);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
      o = parsed as Record<string, unknown>;
    } catch (err) {
      this.ctx.log.debug(`${this.label()} - bad CONNECT JSON: ${(err as Error).message}`);
      this.close("Protocol Violation");
      return false;
    }
    const bool = (k: string, dflt: boolean): boolean => (typeof o[k] === "boolean" ? (o[k] as boolean) : dflt);
    const str = (k: string): string | undefined => (typeof o[k] === "string" ? (o[k] as string) : undefined);
    this.verbose = bool("verbose", false);
    this.pedantic = bool("pedantic", false);
    this.echo = bool("echo", true);
    this.headers = bool("headers", false);
    this.noResponders = bool("no_responders", false);
    this.name = str("name") ?? "";
    this.lang = str("lang") ?? "";
    this.version = str("version") ?? "";
    const protocol = o["protocol"] ?? 0;
    if (typeof protocol !== "number" || protocol < 0 || protocol > 1) {
      this.fail(errText.invalidProtocol, "Protocol Violation");
      return false;
    }
    this.protocol = protocol;
    if (this.noResponders && !this.headers) {
      this.fail(errText.noRespondersNeedsHeaders, "Protocol Violation");
      return false;
    }
    this.connectReceived = true;
    // The client presented its credentials in time; how long bcrypt takes on a busy host is ours,
    // not the client's, so the auth timer stops here rather than after verification.
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    this.authTimer = undefined;
    const auth = this.ctx.authenticator;
    if (!auth.required) {
      this.connected();
      return false;
    }
    if (o["account"] !== undefined || o["new_account"] !== undefined) {
      this.fail(errText.authViolation, "Authentication Failure");
      return false;
    }
    this.paused = true;
    this.socket.pause();
    this.creds = { user: str("user"), pass: str("pass"), auth_token: str("auth_token") };
    auth.authenticate(this.creds).then(
      (d) => {
        if (this.closedFlag || !this.applyAuth(d)) return;
        this.connected();
        this.resume();
      },
      (err: unknown) => {
        this.ctx.log.error(`${this.label()} - authentication error: ${String(err)}`);
        this.fail(errText.authViolation, "Authentication Failure");
      },
    );
    return true;
  }

  /** Adopt an authentication decision; a failure closes with Authorization Violation. */
  private applyAuth(d: AuthDecision): boolean {
    if (!d.ok) {
      this.ctx.log.error(`${this.label()} - authentication error: ${d.reason}`);
      this.fail(errText.authViolation, "Authentication Failure");
      return false;
    }
    this.user = d.user;
    this.perms = d.permissions;
    const r = d.permissions?.responses;
    this.grants = r === undefined ? undefined : new ResponseGrants(r.max, r.expires_ms);
    this.authorized = true;
    return true;
  }

  /** After a reload: check the credentials this client connected with against the new config. */
  reauthenticate(auth: Authenticator): void {
    if (!this.connectReceived || this.closedFlag) return;
    auth.authenticate(auth.required ? this.creds : {}).then(
      (d) => {
        if (!this.closedFlag) this.applyAuth(d);
      },
      (err: unknown) => this.ctx.log.error(`${this.label()} - re-authentication error: ${String(err)}`),
    );
  }

  private connected(): void {
    // Like nats-server: one early PING (~2 s after CONNECT, with jitter) measures the RTT shown
    // in /connz; the regular ping_interval timer takes over after that.
    const interval = this.ctx.limits.ping_interval_ms;
    if (interval > 0 && this.firstPingTimer === undefined) {
      const delay = Math.min(interval, firstPingDelayMs * (1 + Math.random() * 0.2));
      this.firstPingTimer = setTimeout(() => {
        if (this.closedFlag || this.pingsOut > 0) return;
        this.sendPing();
      }, delay);
      this.firstPingTimer.unref();
    }
    this.ctx.log.debug(`${this.label()} - Client connection created${this.name === "" ? "" : ` (${this.name})`}`);
    if (this.verbose) this.send(OK);
  }

  /** Before CONNECT with auth required (and no no_auth_user), any op is a violation. */
  private admit(): boolean {
    if (this.authorized && !this.paused) return true;
    this.fail(errText.authViolation, "Authentication Failure");
    return false;
  }

  pub(subject: string, reply: string | undefined, headerBytes: number, buf: Uint8Array, start: number, end: number): void {
    if (!this.admit()) return;
    if (headerBytes >= 0 && !this.headers) {
      this.close("Protocol Violation");
      return;
    }
    const size = end - start;
    this.inMsgs++;
    this.inBytes += size;
    if (this.pedantic && !isValidLiteralSubject(subject)) {
      this.sendErr(errText.invalidPublishSubject);
      return;
    }
    if (reply !== undefined && isReservedReply(reply)) {
      this.sendErr(pubReplyViolation(reply));
      return;
    }
    const perms = this.perms;
    if (perms !== undefined && !perms.canPublish(subject) && !(this.grants?.use(subject, Date.now()) ?? false)) {
      this.ctx.log.debug(`${this.label()} - ${pubViolation(subject)}`);
      this.sendErr(pubViolation(subject));
      return;
    }
    if (this.ctx.log.traceEnabled) this.ctx.log.trace(`${this.label()} - <<- [${headerBytes >= 0 ? "HPUB" : "PUB"} ${subject}${reply === undefined ? "" : " " + reply} ${size}]`);
    const delivered = this.ctx.router.routeRange(this, subject, reply, headerBytes, buf, start, end);
    if (delivered === 0 && reply !== undefined && this.noResponders) this.ctx.router.sendNoResponders(this, subject, reply);
    if (this.verbose) this.send(OK);
  }

  sub(subject: string, queue: string | undefined, sid: string): void {
    if (this.ctx.log.traceEnabled) this.ctx.log.trace(`${this.label()} - <<- [SUB ${subject}${queue === undefined ? "" : " " + queue} ${sid}]`);
    if (!this.admit()) return;
    if (!isValidSubject(subject) || (queue !== undefined && !isValidQueueName(queue))) {
      this.sendErr(errText.invalidSubject);
      return;
    }
    if (this.perms !== undefined && !this.perms.canSubscribe(subject, queue)) {
      this.sendErr(subViolation(subject, queue));
      return;
    }
    const max = this.ctx.limits.max_subscriptions;
    if (max > 0 && this.subs.size >= max) {
      this.sendErr(errText.maxSubscriptions);
      return;
    }
    if (!this.subs.has(sid)) {
      const s = new Subscription(subject, queue, sid, this);
      this.subs.set(sid, s);
      this.ctx.router.add(s);
    }
    if (this.verbose) this.send(OK);
  }

  unsub(sid: string, max: number): void {
    if (this.ctx.log.traceEnabled) this.ctx.log.trace(`${this.label()} - <<- [UNSUB ${sid}${max >= 0 ? " " + max : ""}]`);
    if (!this.admit()) return;
    const s = this.subs.get(sid);
    if (s !== undefined) {
      if (max > 0 && s.delivered < max) s.max = max;
      else {
        this.subs.delete(sid);
        this.ctx.router.remove(s);
      }
    }
    if (this.verbose) this.send(OK);
  }

  ping(): void {
    if (!this.admit()) return;
    this.send(PONG);
  }

  pong(): void {
    if (this.pingsOut > 0 && this.pingSentMs > 0) this.rttMs = performance.now() - this.pingSentMs;
    this.pingsOut = 0;
  }

  error(kind: ParseErrorKind, detail: string): void {
    this.ctx.log.debug(`${this.label()} - protocol error (${kind}): ${detail}`);
    switch (kind) {
      case "unknown_op":
        return this.fail(errText.unknownOp, "Protocol Violation");
      case "control_line":
        return this.fail(errText.controlLine, "Maximum Control Line Exceeded");
      case "max_payload":
        return this.fail(errText.maxPayload, "Maximum Message Payload Exceeded");
      case "bad_args":
        return this.close("Protocol Violation");
      case "client_err":
        return this.close("Client Closed");
    }
  }

  // ---- outbound ----

  deliver(sub: Subscription, subject: string, reply: string | undefined, headerBytes: number, data: Uint8Array): boolean {
    return this.deliverRange(sub, subject, reply, headerBytes, data, 0, data.length);
  }

  deliverRange(sub: Subscription, subject: string, reply: string | undefined, headerBytes: number, src: Uint8Array, start: number, end: number): boolean {
    if (this.closedFlag) return false;
    const perms = this.perms;
    if (perms !== undefined && perms.hasSubscribeDeny && !perms.canDeliver(subject)) return false;
    if (headerBytes >= 0 && !this.headers) {
      start += headerBytes;
      headerBytes = -1;
    }
    const total = end - start;
    const out = this.out;
    const buf = out.reserve(msgHeaderBytesMax(subject, sub.sidBytes, reply) + total + 2);
    let pos = writeMsgHeader(buf, out.offset, subject, sub.sidBytes, reply, headerBytes, total);
    if (total > copyLoopBytesMax) {
      buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), pos);
      pos += total;
    } else {
      // Small payloads: a loop beats TypedArray.set's call overhead (and needs no subarray).
      for (let i = start; i < end; i++) buf[pos++] = src[i]!;
    }
    buf[pos++] = 13;
    buf[pos++] = 10;
    out.commit(pos);
    this.outMsgs++;
    this.outBytes += total;
    if (this.ctx.log.traceEnabled) this.ctx.log.trace(`${this.label()} - ->> [${headerBytes >= 0 ? "HMSG" : "MSG"} ${subject} ${sub.sid}${reply === undefined ? "" : " " + reply} ${total}]`);
    if (reply !== undefined && this.grants !== undefined) this.grants.grant(reply, Date.now());
    this.queued();
    return true;
  }

  autoUnsubscribed(sub: Subscription): void {
    if (this.subs.get(sub.sid) === sub) this.subs.delete(sub.sid);
  }

  send(bytes: Uint8Array): void {
    if (this.closedFlag) return;
    this.out.append(bytes);
    this.queued();
  }

  sendErr(text: string): void {
    this.send(encodeErr(text));
  }

  /** Async INFO (lame duck, topology) for clients that speak protocol 1. */
  sendAsyncInfo(info: object): void {
    if (this.protocol >= 1) this.send(encodeInfo(info));
  }

  private queued(): void {
    if (!this.dirty) {
      this.dirty = true;
      this.ctx.scheduleFlush(this);
    }
    const buffered = this.out.bufferedBytes;
    if (buffered + this.socketPending > this.ctx.limits.max_pending_bytes) this.slowConsumer("Pending Bytes");
    else if (buffered > flushNowBytes) this.flush();
  }

  /** Hand everything buffered to the socket in one corked write. */
  flush(): void {
    this.dirty = false;
    if (this.socket.destroyed) {
      this.out.clear();
      return;
    }
    const chunks = this.out.take();
    if (chunks.length === 0) return;
    let ok = true;
    if (chunks.length === 1) ok = this.socket.write(chunks[0]!);
    else {
      this.socket.cork();
      for (const c of chunks) ok = this.socket.write(c);
      this.socket.uncork();
    }
    this.socketPending = this.socket.writableLength;
    if (!ok && this.writeDeadlineTimer === undefined && !this.closedFlag) {
      const deadline = this.ctx.limits.write_deadline_ms;
      this.writeDeadlineTimer = setTimeout(() => this.slowConsumer("Write Deadline"), deadline);
      this.writeDeadlineTimer.unref();
    }
  }

  private onDrain(): void {
    this.socketPending = this.socket.writableLength;
    if (this.writeDeadlineTimer !== undefined) clearTimeout(this.writeDeadlineTimer);
    this.writeDeadlineTimer = undefined;
  }

  private slowConsumer(kind: "Pending Bytes" | "Write Deadline"): void {
    if (this.closedFlag) return;
    const l = this.ctx.limits;
    const what = kind === "Pending Bytes" ? `MaxPending of ${l.max_pending_bytes} exceeded` : `WriteDeadline of ${l.write_deadline_ms}ms exceeded`;
    this.ctx.log.info(`${this.label()} - Slow Consumer Detected: ${what}`);
    this.ctx.countSlowConsumer();
    // nats-server sends no -ERR to a slow consumer: the socket is cut.
    this.out.clear();
    this.close(`Slow Consumer (${kind})`, true);
  }

  private onPingTimer(): void {
    if (this.closedFlag) return;
    if (this.activeSincePing && this.pingsOut === 0) {
      // Traffic within the interval proves the client is alive; no PING needed.
      this.activeSincePing = false;
      return;
    }
    this.activeSincePing = false;
    if (this.pingsOut + 1 > this.ctx.limits.ping_max) {
      this.ctx.log.debug(`${this.label()} - Stale Client Connection - Closing`);
      this.ctx.countStaleConnection();
      this.fail(errText.staleConnection, "Stale Connection");
      return;
    }
    this.sendPing();
  }

  /** A server PING; its PONG measures the RTT shown in /connz. */
  private sendPing(): void {
    this.pingsOut++;
    this.pingSentMs = performance.now();
    this.send(PING);
  }

  /** -ERR then close. */
  fail(text: string, reason: string): void {
    if (this.closedFlag) return;
    this.sendErr(text);
    this.close(reason);
  }

  /** Close once: drop subscriptions, flush what is queued (unless cut), record why. */
  close(reason: string, cut = false): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closeReason = reason;
    this.stopMs = Date.now();
    for (const t of [this.authTimer, this.writeDeadlineTimer, this.firstPingTimer]) if (t !== undefined) clearTimeout(t);
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    for (const s of this.subs.values()) this.ctx.router.remove(s);
    this.held = [];
    const socket = this.socket;
    if (cut || socket.destroyed) socket.destroy();
    else {
      const chunks = this.out.take();
      for (const c of chunks) socket.write(c);
      socket.end();
      // A peer that never reads must not hold the socket open forever.
      setTimeout(() => socket.destroy(), closeLingerMs).unref();
    }
    this.out.clear();
    this.ctx.closed(this);
  }
}
