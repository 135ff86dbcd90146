#!/usr/bin/env node
// localkube/http-echo: the tiny HTTP server behind the `localkube/http-echo` test image.
//   GET  /               -> {"hostname", "ip"}          GET /healthz, /readyz -> 200 unless failed
//   POST /fail/liveness, /fail/readiness, /heal         toggles for probe tests (in memory)
//   PUT  /data/<key>     -> write $DATA_DIR/<key>        GET /data/<key> -> read it
//   GET  /fetch?url=http://<name>:<port>/<path>         fetch from inside the pod (DNS + network test)
//   GET  /resolve?name=<host>                           getaddrinfo result
// Env: PORT (8080), DATA_DIR (/data). SIGTERM: exits 0 after closing the listener.
import { createServer } from "node:http";
import { hostname, networkInterfaces } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lookup } from "node:dns/promises";

const port = Number(process.env.PORT ?? 8080);
const dataDir = process.env.DATA_DIR ?? "/data";
const BODY_MAX = 1 << 20;
let liveFail = false;
let readyFail = false;

// The address this server listens on when it is a specific one (loopback-mode pods bind their pod
// IP), else the first non-internal IPv4 (a netns pod's eth0).
const ip = () => {
  const bound = server.address()?.address;
  if (bound && bound !== "0.0.0.0" && bound !== "::") return bound;
  return Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address ?? "";
};
const send = (res, code, body) => {
  res.writeHead(code, { "content-type": typeof body === "string" ? "text/plain" : "application/json" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  console.log(`${new Date().toISOString()} ${req.method} ${url.pathname}${url.search}`);
  try {
    if (req.method === "GET" && url.pathname === "/") return send(res, 200, { hostname: hostname(), ip: ip() });
    if (url.pathname === "/healthz") return send(res, liveFail ? 500 : 200, liveFail ? "failing\n" : "ok\n");
    if (url.pathname === "/readyz") return send(res, readyFail ? 503 : 200, readyFail ? "not ready\n" : "ok\n");
    if (req.method === "POST" && url.pathname === "/fail/liveness") return (liveFail = true), send(res, 200, "ok\n");
    if (req.method === "POST" && url.pathname === "/fail/readiness") return (readyFail = true), send(res, 200, "ok\n");
    if (req.method === "POST" && url.pathname === "/heal") return (liveFail = readyFail = false), send(res, 200, "ok\n");
    const data = /^\/data\/([A-Za-z0-9._-]+)$/.exec(url.pathname);
    if (data) {
      const file = join(dataDir, data[1]);
      if (req.method === "PUT") {
        let body = "";
        for await (const c of req) {
          body += c;
          if (body.length > BODY_MAX) return send(res, 413, "too large\n");
        }
        mkdirSync(dataDir, { recursive: true });
        writeFileSync(file, body);
        return send(res, 200, "stored\n");
      }
      try {
        return send(res, 200, readFileSync(file, "utf8"));
      } catch {
        return send(res, 404, "no such key\n");
      }
    }
    if (url.pathname === "/fetch") {
      const target = url.searchParams.get("url") ?? "";
      if (!/^http:\/\//.test(target)) return send(res, 400, "url must be http://\n");
      const r = await fetch(target, { signal: AbortSignal.timeout(3000) });
      return send(res, r.status, await r.text());
    }
    if (url.pathname === "/resolve") {
      const addrs = await lookup(url.searchParams.get("name") ?? "", { all: true, family: 4 });
      return send(res, 200, addrs.map((a) => a.address));
    }
    return send(res, 404, "not found\n");
  } catch (err) {
    return send(res, 502, `${err?.cause?.code ?? err?.code ?? ""} ${err?.message ?? err}\n`);
  }
});
server.listen(port, "0.0.0.0", () => console.log(`http-echo ${hostname()} listening on :${port}`));
process.on("SIGTERM", () => {
  console.log("SIGTERM: shutting down");
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
