/** Small HTTPS/HTTP helpers for readiness checks against local endpoints. */
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";

/** GET `url`; resolves with the status code and (bounded) body, never throws for HTTP errors. */
export function httpGet(
  url: string,
  opts: { ca?: Buffer; token?: string; insecure?: boolean; timeout_ms?: number; body_bytes_max?: number } = {},
): Promise<{ status: number; body: string }> {
  const limit = opts.body_bytes_max ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: "GET",
        timeout: opts.timeout_ms ?? 2000,
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        rejectUnauthorized: opts.insecure !== true,
        headers: opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= limit) chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`timeout GET ${url}`)));
    req.on("error", reject);
    req.end();
  });
}

/** A currently free TCP port on `host` (the kernel picks it; a tiny race with other binders remains). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
