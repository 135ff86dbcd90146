/**
 * Loopback mode's stand-in for a pod's own network namespace, for Node programs (every image in
 * the local image map is one): a listener on the wildcard address would take the port on every
 * address of the host, so two replicas of one StatefulSet would collide. These pure rewrites turn
 * wildcard binds into binds of the pod IP, exactly the set of addresses a wildcard bind covers
 * inside a real pod's namespace (apart from its private loopback). Applied by `preload.ts`.
 */

const WILDCARDS = new Set(["", "0.0.0.0", "::", "::0", "0:0:0:0:0:0:0:0"]);

export function isWildcardHost(host: unknown): boolean {
  return host === undefined || host === null || (typeof host === "string" && WILDCARDS.has(host));
}

function isPortLike(v: unknown): boolean {
  return typeof v === "number" || (typeof v === "string" && /^\d+$/.test(v));
}

/**
 * `net.Server#listen` arguments with a wildcard host replaced by `podIp`. Unix sockets, handles
 * and file descriptors are left alone. Forms (Node's own): (options[, cb]), (port[, host][,
 * backlog][, cb]), (path[, backlog][, cb]), (handle[, backlog][, cb]), () and (cb).
 */
export function rewriteListenArgs(args: readonly unknown[], podIp: string): unknown[] {
  const [first, second] = args;
  if (typeof first === "object" && first !== null) {
    const o = first as Record<string, unknown>;
    if ("path" in o || "_handle" in o || "handle" in o || "fd" in o) return [...args];
    if (!isWildcardHost(o["host"])) return [...args];
    return [{ ...o, host: podIp, ...(o["port"] === undefined ? { port: 0 } : {}) }, ...args.slice(1)];
  }
  if (args.length === 0 || typeof first === "function") return [0, podIp, ...args];
  if (!isPortLike(first)) return [...args]; // a pipe path
  if (typeof second === "string") return isWildcardHost(second) ? [first, podIp, ...args.slice(2)] : [...args];
  // (port[, backlog][, cb]): a host inserted at index 1 keeps Node's backlog detection working
  // (it reads args[1] and then args[2] as numbers; an IP string is not one).
  return [first, podIp, ...args.slice(1)];
}

/** `dgram.Socket#bind` arguments: (port[, address][, cb]) or (options[, cb]). */
export function rewriteDgramBindArgs(args: readonly unknown[], podIp: string): unknown[] {
  const [first, second] = args;
  if (typeof first === "object" && first !== null) {
    const o = first as Record<string, unknown>;
    if ("fd" in o || !isWildcardHost(o["address"])) return [...args];
    return [{ ...o, address: podIp }, ...args.slice(1)];
  }
  if (args.length === 0 || typeof first === "function") return [0, podIp, ...args];
  if (typeof second === "string") return isWildcardHost(second) ? [first, podIp, ...args.slice(2)] : [...args];
  return [first, podIp, ...args.slice(1)];
}

/**
 * Names only cluster DNS could answer. In loopback mode there is no cluster DNS (it needs port 53
 * on a pod-reachable address), and asking the host's resolver would send the query off this
 * machine: such lookups fail at once with ENOTFOUND instead.
 */
export function isClusterName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  return n === "cluster.local" || n.endsWith(".cluster.local") || /\.svc$/.test(n);
}
