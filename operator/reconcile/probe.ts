/**
 * Reads broker state through the monitoring HTTP endpoints on each pod IP (never exec into
 * pods): /healthz for health, /jsz for the JetStream meta group. Bounded time and size.
 */
import http from "node:http";

const probeTimeoutMs = 2_000;
const probeBytesMax = 1024 * 1024;

export interface HttpResult {
  status: number;
  body: string;
}

export function httpGet(host: string, port: number, path: string, timeoutMs = probeTimeoutMs): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > probeBytesMax) req.destroy(new Error(`${path}: response larger than ${probeBytesMax} bytes`));
        else chunks.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

export interface BrokerHealth {
  healthy: boolean;
  error?: string;
  metaLeader?: string;
  clusterSize?: number;
}

export async function probeBroker(podIp: string, port: number): Promise<BrokerHealth> {
  let health: BrokerHealth;
  try {
    const r = await httpGet(podIp, port, "/healthz");
    if (r.status === 200) health = { healthy: true };
    else {
      let error = `HTTP ${r.status}`;
      try {
        error = (JSON.parse(r.body) as { error?: string }).error ?? error;
      } catch {
        // not JSON: keep the status line
      }
      health = { healthy: false, error };
    }
  } catch (err) {
    return { healthy: false, error: err instanceof Error ? err.message : String(err) };
  }
  try {
    const r = await httpGet(podIp, port, "/jsz");
    if (r.status === 200) {
      const jsz = JSON.parse(r.body) as { meta_cluster?: { leader?: string; cluster_size?: number } };
      if (jsz.meta_cluster?.leader !== undefined && jsz.meta_cluster.leader !== "") health.metaLeader = jsz.meta_cluster.leader;
      if (jsz.meta_cluster?.cluster_size !== undefined) health.clusterSize = jsz.meta_cluster.cluster_size;
    }
  } catch {
    // /jsz is informational: health already decided above
  }
  return health;
}

export interface ClientProbe {
  /** Undefined when auth.mode is none. */
  user?: string;
  pass?: string;
  /** PEM CA when the broker requires TLS; the chain is verified, the host name is not (we dial pod IPs). */
  caPem?: string;
}

/**
 * Connects over the NATS protocol as the operator's system user and round-trips a PING: proves
 * the client port is up and the generated credentials are accepted, which /healthz cannot show.
 */
export async function probeClientPort(podIp: string, port: number, auth: ClientProbe): Promise<string | undefined> {
  const { connect } = await import("@nats-io/transport-node");
  const scheme = auth.caPem !== undefined ? "tls" : "nats";
  try {
    const opts: Parameters<typeof connect>[0] & object = {
      servers: `${scheme}://${podIp}:${port}`,
      name: "sluice-operator",
      reconnect: false,
      timeout: probeTimeoutMs,
    };
    if (auth.user !== undefined && auth.pass !== undefined) {
      opts.user = auth.user;
      opts.pass = auth.pass;
    }
    if (auth.caPem !== undefined) {
      // Passed through to tls.connect by the Node transport.
      const tls = { ca: auth.caPem, checkServerIdentity: () => undefined };
      opts.tls = tls;
    }
    const nc = await connect(opts);
    try {
      await nc.flush();
    } finally {
      await nc.close();
    }
    return undefined;
  } catch (err) {
    return `NATS connect as the system user failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
