/** Snapshots of a Server for broker/monitor (which never sees the server itself). */
import type { ConnView, Counters, JetStreamStats, MonitorSource, ServerFacts, SubView } from "../monitor/source.js";
import type { SublistStats } from "../subjects/sublist.js";
import type { ClientConnection } from "./client.js";
import type { Server } from "./server.js";

export class ServerMonitorSource implements MonitorSource {
  constructor(
    private readonly server: Server,
    private readonly httpPort: () => number,
  ) {}

  facts(): ServerFacts {
    const s = this.server;
    const o = s.opts;
    const js = o.jetstream;
    return {
      server_id: s.serverId,
      server_name: s.serverName,
      version: String(s.info()["version"]),
      go: String(s.info()["go"]),
      host: o.host,
      port: s.port,
      auth_required: s.authenticator.required,
      tls_required: o.tls !== undefined,
      tls_verify: o.tls?.verify ?? false,
      max_connections: o.max_connections,
      ping_interval_ms: o.ping_interval_ms,
      ping_max: o.ping_max,
      http_host: o.http_host,
      http_port: this.httpPort(),
      auth_timeout_ms: s.limits.auth_timeout_ms,
      max_control_line: o.max_control_line_bytes,
      max_payload: o.max_payload_bytes,
      max_pending: o.max_pending_bytes,
      write_deadline_ms: o.write_deadline_ms,
      max_subscriptions: o.max_subscriptions,
      lame_duck_mode: s.lameDuck,
      connect_urls: s.clientUrls(),
      system_account: o.system_account ?? "$SYS",
      startMs: s.startMs,
      cluster:
        o.cluster === undefined ? undefined : { name: o.cluster.name, addr: o.cluster.host, cluster_port: o.cluster.port, urls: o.cluster.routes },
      jetstream: {
        enabled: js.enabled,
        store_dir: js.store_dir,
        max_memory: js.max_memory_store_bytes,
        max_storage: js.max_file_store_bytes,
        domain: js.domain,
        sync_interval_ms: js.sync_interval_ms,
        sync_always: js.sync === "always",
      },
      ...(js.enabled ? jetStreamStats(this.jsz()) : {}),
    };
  }

  counters(): Counters {
    const s = this.server;
    const r = s.router.stats;
    return {
      connections: s.clients.size,
      total_connections: s.counters.total_connections,
      slow_consumers: s.counters.slow_consumers,
      stale_connections: s.counters.stale_connections,
      in_msgs: r.in_msgs,
      out_msgs: r.out_msgs,
      in_bytes: r.in_bytes,
      out_bytes: r.out_bytes,
      subscriptions: s.router.sublist.size,
    };
  }

  openConnections(): ConnView[] {
    return [...this.server.clients.values()].map((c) => view(c));
  }

  closedConnections(): ConnView[] {
    return this.server.closedConnections.map((c) => ({
      cid: c.cid,
      ip: c.ip,
      port: c.port,
      startMs: c.startMs,
      lastActivityMs: c.lastActivityMs,
      stopMs: c.stopMs,
      reason: c.reason,
      rttMs: c.rttMs,
      pendingBytes: 0,
      inMsgs: c.inMsgs,
      outMsgs: c.outMsgs,
      inBytes: c.inBytes,
      outBytes: c.outBytes,
      subs: c.subjects.map((subject) => ({ subject, queue: undefined, sid: "", msgs: 0, max: 0, cid: c.cid })),
      name: c.name,
      lang: c.lang,
      version: c.version,
      user: c.user,
      tls: c.tls,
    }));
  }

  sublistStats(): SublistStats {
    return this.server.router.sublist.stats();
  }

  subscriptions(): SubView[] {
    return this.server.router.sublist.all().map((s) => ({ subject: s.subject, queue: s.queue, sid: s.sid, msgs: s.delivered, max: s.max, cid: s.owner.cid }));
  }

  jsz(): object | undefined {
    for (const svc of this.server.services) if (svc.monitor !== undefined) return svc.monitor();
    return undefined;
  }

  healthProblems(): string[] {
    const s = this.server;
    const problems: string[] = [];
    if (s.opts.jetstream.enabled && !s.services.some((x) => x.monitor !== undefined) && !s.lameDuck) problems.push("JetStream not running");
    for (const svc of s.services) if (svc.healthy !== undefined && !svc.healthy()) problems.push(`${svc.name} is not healthy`);
    return problems;
  }
}

function view(c: ClientConnection): ConnView {
  return {
    cid: c.cid,
    ip: c.ip,
    port: c.port,
    startMs: c.startMs,
    lastActivityMs: c.lastActivityMs,
    stopMs: undefined,
    reason: undefined,
    rttMs: c.rttMs,
    pendingBytes: c.pendingBytes,
    inMsgs: c.inMsgs,
    outMsgs: c.outMsgs,
    inBytes: c.inBytes,
    outBytes: c.outBytes,
    subs: [...c.subs.values()].map((s) => ({ subject: s.subject, queue: s.queue, sid: s.sid, msgs: s.delivered, max: s.max, cid: c.cid })),
    name: c.name,
    lang: c.lang,
    version: c.version,
    user: c.user,
    tls: c.tls,
  };
}

/** Picks varz `jetstream.stats` out of the service's /jsz body (same field names as nats-server). */
function jetStreamStats(jsz: object | undefined): { jetstream_stats?: JetStreamStats } {
  if (jsz === undefined) return {};
  const b = jsz as Partial<Record<keyof JetStreamStats, unknown>>;
  const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const api = (typeof b.api === "object" && b.api !== null ? b.api : {}) as Record<string, unknown>;
  return {
    jetstream_stats: {
      memory: num(b.memory),
      storage: num(b.storage),
      reserved_memory: num(b.reserved_memory),
      reserved_storage: num(b.reserved_storage),
      accounts: num(b.accounts),
      ha_assets: num(b.ha_assets),
      api: { level: num(api["level"]), total: num(api["total"]), errors: num(api["errors"]) },
    },
  };
}
