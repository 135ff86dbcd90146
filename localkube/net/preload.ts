/**
 * Loaded into every Node process of a loopback-mode pod (`NODE_OPTIONS=--import=<this file>`, set
 * by the process kubelet together with LOCALKUBE_POD_IP): wildcard listeners bind the pod IP, and
 * cluster-DNS names fail fast instead of reaching the host's resolver. See bindrewrite.ts.
 * Side effects only; nothing imports this module.
 */
import dgram from "node:dgram";
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import { isClusterName, rewriteDgramBindArgs, rewriteListenArgs } from "./bindrewrite.js";

const podIp = process.env["LOCALKUBE_POD_IP"];

function notFound(hostname: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname} (localkube loopback mode has no cluster DNS)`);
  err.code = "ENOTFOUND";
  err.syscall = "getaddrinfo";
  return Object.assign(err, { hostname });
}

if (podIp !== undefined && podIp !== "") {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    return (listen as (...a: unknown[]) => net.Server).apply(this, rewriteListenArgs(args, podIp));
  } as typeof listen;
  const bind = dgram.Socket.prototype.bind;
  dgram.Socket.prototype.bind = function (this: dgram.Socket, ...args: unknown[]) {
    return (bind as (...a: unknown[]) => dgram.Socket).apply(this, rewriteDgramBindArgs(args, podIp));
  } as typeof bind;

  const lookup = dns.lookup;
  dns.lookup = function (hostname: string, ...rest: unknown[]) {
    const cb = rest[rest.length - 1];
    if (typeof hostname === "string" && isClusterName(hostname) && typeof cb === "function") {
      process.nextTick(() => (cb as (e: Error) => void)(notFound(hostname)));
      return {};
    }
    return (lookup as (...a: unknown[]) => unknown)(hostname, ...rest);
  } as typeof lookup;
  const lookupP = dns.promises.lookup;
  dns.promises.lookup = function (hostname: string, ...rest: unknown[]) {
    if (typeof hostname === "string" && isClusterName(hostname)) return Promise.reject(notFound(hostname));
    return (lookupP as (...a: unknown[]) => Promise<unknown>)(hostname, ...rest);
  } as typeof lookupP;
  // ESM importers of node:dns / node:dns/promises see the patched functions too.
  syncBuiltinESMExports();
}
