import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../paths.js";
import { isClusterName, isWildcardHost, rewriteDgramBindArgs, rewriteListenArgs } from "./bindrewrite.js";

const IP = "127.77.9.10";
const cb = (): void => undefined;

describe("wildcard bind rewriting (loopback mode)", () => {
  it("recognises wildcard hosts only", () => {
    for (const h of [undefined, null, "", "0.0.0.0", "::", "::0"]) expect(isWildcardHost(h)).toBe(true);
    for (const h of ["127.0.0.1", "localhost", "10.0.0.1", "::1"]) expect(isWildcardHost(h)).toBe(false);
  });

  it("rewrites every listen form that binds the wildcard, and nothing else", () => {
    expect(rewriteListenArgs([8080], IP)).toEqual([8080, IP]);
    expect(rewriteListenArgs([8080, cb], IP)).toEqual([8080, IP, cb]);
    expect(rewriteListenArgs([8080, 511, cb], IP)).toEqual([8080, IP, 511, cb]);
    expect(rewriteListenArgs(["8080", "0.0.0.0", cb], IP)).toEqual(["8080", IP, cb]);
    expect(rewriteListenArgs([8080, "::", 100, cb], IP)).toEqual([8080, IP, 100, cb]);
    expect(rewriteListenArgs([], IP)).toEqual([0, IP]);
    expect(rewriteListenArgs([cb], IP)).toEqual([0, IP, cb]);
    expect(rewriteListenArgs([{ port: 4222, host: "0.0.0.0", backlog: 4096 }, cb], IP)).toEqual([{ port: 4222, host: IP, backlog: 4096 }, cb]);
    expect(rewriteListenArgs([{ port: 8222 }], IP)).toEqual([{ port: 8222, host: IP }]);
    expect(rewriteListenArgs([{}], IP)).toEqual([{ host: IP, port: 0 }]);
    // Specific addresses, unix sockets and handles are the program's business.
    expect(rewriteListenArgs([8080, "127.0.0.1"], IP)).toEqual([8080, "127.0.0.1"]);
    expect(rewriteListenArgs([{ port: 1, host: "10.1.1.1" }], IP)).toEqual([{ port: 1, host: "10.1.1.1" }]);
    expect(rewriteListenArgs(["/run/x.sock", cb], IP)).toEqual(["/run/x.sock", cb]);
    expect(rewriteListenArgs([{ path: "/run/x.sock" }], IP)).toEqual([{ path: "/run/x.sock" }]);
    expect(rewriteListenArgs([{ fd: 3 }], IP)).toEqual([{ fd: 3 }]);
  });

  it("rewrites UDP binds the same way", () => {
    expect(rewriteDgramBindArgs([5353], IP)).toEqual([5353, IP]);
    expect(rewriteDgramBindArgs([5353, "0.0.0.0", cb], IP)).toEqual([5353, IP, cb]);
    expect(rewriteDgramBindArgs([{ port: 5353 }, cb], IP)).toEqual([{ port: 5353, address: IP }, cb]);
    expect(rewriteDgramBindArgs([5353, "127.0.0.1"], IP)).toEqual([5353, "127.0.0.1"]);
  });

  it("knows which names only cluster DNS could answer", () => {
    for (const n of ["web-1.web.ns.svc.cluster.local", "WEB.NS.SVC.CLUSTER.LOCAL.", "web.ns.svc", "cluster.local"]) expect(isClusterName(n)).toBe(true);
    for (const n of ["localhost", "example.org", "svc.example.org", "mycluster.localdomain"]) expect(isClusterName(n)).toBe(false);
  });

  it("makes a real Node process bind its pod IP and refuse cluster names (dist/ preload)", async () => {
    const preload = join(repoRoot(), "dist", "localkube", "net", "preload.js");
    expect(existsSync(preload), `${preload} missing: run npx tsc -p .`).toBe(true);
    const script = `
      import net from "node:net"; import http from "node:http"; import { lookup } from "node:dns/promises";
      const a = net.createServer().listen(0, "0.0.0.0");
      await new Promise((r) => a.once("listening", r));
      const b = http.createServer().listen({ port: 0 });
      await new Promise((r) => b.once("listening", r));
      const err = await lookup("web-0.web.ns.svc.cluster.local").then(() => "resolved", (e) => e.code);
      console.log(JSON.stringify({ a: a.address().address, b: b.address().address, err }));
      a.close(); b.close();`;
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        { env: { PATH: process.env["PATH"] ?? "", NODE_OPTIONS: `--import=${pathToFileURL(preload).href}`, LOCALKUBE_POD_IP: IP }, timeout: 20_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(JSON.parse(out)).toEqual({ a: IP, b: IP, err: "ENOTFOUND" });
  });
});
