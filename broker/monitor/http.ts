/**
 * The monitoring HTTP server (`-m` / `http_port`): nats-server's endpoints plus /metrics.
 * JSON responses are indented, with `Access-Control-Allow-Origin: *` like nats-server.
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import { cpus } from "node:os";
import type { Registry } from "prom-client";
import { createMetrics } from "./metrics.js";
import type { MonitorSource } from "./source.js";
import { BadRequest, connz, healthz, jsz, routez, subsz, varz, type ProcessStats } from "./views.js";

const paths = ["/", "/varz", "/connz", "/subsz", "/subscriptionsz", "/routez", "/healthz", "/jsz", "/metrics"] as const;

export class MonitorServer {
  private readonly http: HttpServer;
  /** The /metrics registry; internal services add their series to it. */
  readonly metrics: Registry;
  private readonly reqStats: Record<string, number> = {};
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();
  private cpuPct = 0;
  port = 0;

  constructor(
    private readonly src: MonitorSource,
    private readonly onError: (msg: string) => void,
  ) {
    this.metrics = createMetrics(src);
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.onError(`monitor ${req.url ?? ""}: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.http.headersTimeout = 10_000;
    this.http.requestTimeout = 30_000;
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen({ host, port: port === -1 ? 0 : port }, () => {
        this.http.off("error", reject);
        resolve();
      });
    });
    const addr = this.http.address();
    this.port = typeof addr === "object" && addr !== null ? addr.port : port;
    return this.port;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private processStats(): ProcessStats {
    const now = performance.now();
    const elapsedMs = now - this.lastCpuAt;
    if (elapsedMs > 500) {
      const used = process.cpuUsage(this.lastCpu);
      this.cpuPct = Math.round(((used.user + used.system) / 1000 / elapsedMs) * 1000) / 10;
      this.lastCpu = process.cpuUsage();
      this.lastCpuAt = now;
    }
    return { mem: process.memoryUsage().rss, cores: cpus().length, cpu: this.cpuPct };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://monitor");
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    const known = (paths as readonly string[]).includes(path);
    if (known) this.reqStats[path] = (this.reqStats[path] ?? 0) + 1;
    const now = Date.now();
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" });
      res.end(JSON.stringify(body, null, 2));
    };
    try {
      switch (path) {
        case "/":
          res.writeHead(200, { "Content-Type": "text/html" });
          res.end(`<html><body><h1>Sluice broker</h1>${paths.slice(1).map((p) => `<a href=".${p}">${p}</a><br/>`).join("")}</body></html>`);
          return;
        case "/varz":
          return json(200, varz(this.src.facts(), this.src.counters(), this.processStats(), this.reqStats, now));
        case "/connz":
          return json(200, connz(this.src, url.searchParams, now));
        case "/subsz":
        case "/subscriptionsz":
          return json(200, subsz(this.src, url.searchParams, now));
        case "/routez":
          return json(200, routez(this.src, now));
        case "/jsz":
          return json(200, jsz(this.src, now));
        case "/healthz": {
          const h = healthz(this.src);
          return json(h.status, h.body);
        }
        case "/metrics": {
          const text = await this.metrics.metrics();
          res.writeHead(200, { "Content-Type": this.metrics.contentType });
          res.end(text);
          return;
        }
        default:
          res.writeHead(404, { "Content-Type": "text/plain" });
          res.end("404 page not found\n");
      }
    } catch (err) {
      if (err instanceof BadRequest) {
        res.writeHead(400, { "Content-Type": "text/plain" });
        res.end(`${err.message}\n`);
        return;
      }
      throw err;
    }
  }
}
