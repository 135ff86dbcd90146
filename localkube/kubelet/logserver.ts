/**
 * The kubelet's read-only log endpoint (`GET /containerLogs/<ns>/<pod>/<container>`) over HTTPS on
 * the node's kubelet port, so `kubectl logs [-f] [--previous] [--tail]` works through the
 * apiserver. One server per node; all nodes share the gateway address, each with its own port.
 */
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface LogSource {
  /** Log file of the container's current (or previous) attempt, if the pod is on this node. */
  logPath: (node: string, namespace: string, pod: string, container: string, previous: boolean) => string | undefined;
  /** Still running (follow keeps streaming)? */
  running: (namespace: string, pod: string, container: string) => boolean;
}

export const LOG_TAIL_LINES_MAX = 100_000;
export const LOG_FOLLOW_MS_MAX = 3_600_000;

function tail(text: string, n: number): string {
  const lines = text.split("\n");
  const last = lines[lines.length - 1] === "" ? lines.slice(0, -1) : lines;
  return last.slice(Math.max(0, last.length - n)).join("\n") + (last.length > 0 ? "\n" : "");
}

export function startLogServer(opts: { node: string; address: string; port: number; cert: Buffer; key: Buffer; source: LogSource }): Promise<Server> {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "https://localhost");
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== "GET" || !m) {
      res.writeHead(404).end("not found\n");
      return;
    }
    const [ns, pod, container] = [m[1] ?? "", m[2] ?? "", m[3] ?? ""].map(decodeURIComponent) as [string, string, string];
    const previous = url.searchParams.get("previous") === "true";
    const path = opts.source.logPath(opts.node, ns, pod, container, previous);
    if (path === undefined || !existsSync(path)) {
      res.writeHead(404).end(`container "${container}" in pod "${pod}" has no ${previous ? "previous " : ""}logs\n`);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    const tailParam = url.searchParams.get("tailLines");
    let offset = 0;
    if (tailParam !== null) {
      const n = Math.min(LOG_TAIL_LINES_MAX, Math.max(0, Number.parseInt(tailParam, 10) || 0));
      const text = readFileSync(path, "utf8");
      res.write(tail(text, n));
      offset = Buffer.byteLength(text);
    }
    const follow = url.searchParams.get("follow") === "true" && !previous;
    if (!follow) {
      if (tailParam !== null) res.end();
      else createReadStream(path).pipe(res);
      return;
    }
    // Follow: stream what exists, then poll for growth until the client leaves or the container stops.
    const started = Date.now();
    const pump = (): void => {
      let size = 0;
      try {
        size = statSync(path).size;
      } catch {
        res.end();
        return;
      }
      if (size > offset) {
        const from = offset;
        offset = size;
        createReadStream(path, { start: from, end: size - 1 }).on("data", (c) => res.write(c)).on("end", schedule);
      } else if (!opts.source.running(ns, pod, container) || Date.now() - started > LOG_FOLLOW_MS_MAX) res.end();
      else schedule();
    };
    const timer: { t?: NodeJS.Timeout } = {};
    const schedule = (): void => {
      timer.t = setTimeout(pump, 200);
    };
    req.on("close", () => clearTimeout(timer.t));
    pump();
  };
  const server = createServer({ cert: opts.cert, key: opts.key }, handle);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.address, () => resolve(server));
  });
}
