/**
 * Pod network modes and address plans (pure: no I/O, so it is unit-tested by value).
 *
 * - `netns` (root): a bridge per cluster, `10.244.<slot>.1/24` gateway, one network namespace per
 *   pod. Needs CAP_NET_ADMIN and CAP_SYS_ADMIN.
 * - `loopback` (any user): pods share the host network namespace; each gets its own address in
 *   `127.77.<slot>.0/24` (the whole 127/8 is local on Linux, so no interface is created). The
 *   slot keeps side-by-side clusters apart; `.1` is the node/gateway address.
 */

export const NETWORK_MODES = ["netns", "loopback"] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

export const SLOT_MAX = 250;
export const POD_IP_FIRST = 10;
export const POD_IP_LAST = 250;
/** Second octet of every loopback-mode address: 127.77.<slot>.<host>. */
export const LOOPBACK_OCTET = 77;

export interface Slot {
  index: number;
  /** Bridge interface (netns mode); "" in loopback mode, where no interface is created. */
  bridge: string;
  /** Node address: kubelet endpoints, DNS (netns), what pods use to reach the apiserver. */
  gateway: string;
  prefix: string; // pod IPs are prefix + host part
  podCidr: string;
  /** The apiserver's service range; ClusterIPs are served only in netns mode. */
  serviceCidr: string;
  firstServiceIp: string;
}

export function parseNetworkMode(s: string): NetworkMode {
  const m = NETWORK_MODES.find((x) => x === s);
  if (m === undefined) throw new Error(`network mode must be one of ${NETWORK_MODES.join(", ")}, got "${s}"`);
  return m;
}

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

/** The `CapEff:` hex mask from /proc/self/status text, or undefined when absent. */
export function capEffFromStatus(statusText: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(statusText);
  return m?.[1] === undefined ? undefined : BigInt(`0x${m[1]}`);
}

/** Why netns mode cannot work for this process (uid, effective capabilities), or undefined. */
export function netnsUnavailableReason(uid: number | undefined, capEff: bigint | undefined): string | undefined {
  if (uid !== 0) return `not running as root (uid ${uid ?? "unknown"})`;
  if (capEff === undefined) return "effective capabilities unknown (/proc/self/status has no CapEff)";
  const missing = [
    ...((capEff >> CAP_NET_ADMIN) & 1n ? [] : ["CAP_NET_ADMIN"]),
    ...((capEff >> CAP_SYS_ADMIN) & 1n ? [] : ["CAP_SYS_ADMIN"]),
  ];
  return missing.length === 0 ? undefined : `root without ${missing.join(" and ")}`;
}

/** netns when it can work, loopback otherwise. */
export function defaultNetworkMode(uid: number | undefined, capEff: bigint | undefined): NetworkMode {
  return netnsUnavailableReason(uid, capEff) === undefined ? "netns" : "loopback";
}

export function slotInfo(index: number, mode: NetworkMode = "netns"): Slot {
  if (!Number.isInteger(index) || index < 1 || index > SLOT_MAX) throw new Error(`slot must be 1..${SLOT_MAX}, got ${index}`);
  const service = { serviceCidr: `10.96.${index}.0/24`, firstServiceIp: `10.96.${index}.1` };
  if (mode === "loopback") {
    const net = `127.${LOOPBACK_OCTET}.${index}.`;
    return { index, bridge: "", gateway: `${net}1`, prefix: net, podCidr: `${net}0/24`, ...service };
  }
  return { index, bridge: `lk${index}`, gateway: `10.244.${index}.1`, prefix: `10.244.${index}.`, podCidr: `10.244.${index}.0/24`, ...service };
}

/** How long a slot claim may exist without its cluster record before it counts as abandoned. */
export const SLOT_CLAIM_GRACE_MS = 10 * 60_000;

/**
 * A slot claim is stale when its owner's state directory is gone, or when the owner never wrote a
 * cluster record within the grace period (an `up` that crashed). A young claim without a record
 * is an `up` in progress: taking it would give two clusters one address range.
 */
export function slotClaimIsStale(o: { ownerExists: boolean; ownerHasRecord: boolean; claimAge_ms: number }): boolean {
  if (!o.ownerExists) return true;
  return !o.ownerHasRecord && o.claimAge_ms > SLOT_CLAIM_GRACE_MS;
}

/** Lowest free host part in POD_IP_FIRST..POD_IP_LAST, or undefined when the range is exhausted. */
export function allocateHostPart(used: ReadonlySet<number>): number | undefined {
  for (let h = POD_IP_FIRST; h <= POD_IP_LAST; h++) if (!used.has(h)) return h;
  return undefined;
}

/** Host part of `ip` if it lies in the slot's pod range, else undefined. */
export function hostPartOf(slot: Slot, ip: string): number | undefined {
  if (!ip.startsWith(slot.prefix)) return undefined;
  const h = Number(ip.slice(slot.prefix.length));
  return Number.isInteger(h) && h >= POD_IP_FIRST && h <= POD_IP_LAST ? h : undefined;
}

/**
 * The apiserver's --advertise-address must not be loopback (the `kubernetes` Service endpoints are
 * validated), and in loopback mode no bridge exists: use this host's first non-internal IPv4, or a
 * TEST-NET-1 address (never routed) when the host has none. Nothing in the cluster connects to it:
 * pods reach the apiserver through KUBERNETES_SERVICE_HOST (the gateway).
 */
export function loopbackAdvertiseAddress(interfaces: Record<string, { address: string; family: string | number; internal: boolean }[] | undefined>): string {
  for (const name of Object.keys(interfaces).sort()) {
    for (const a of interfaces[name] ?? []) if (!a.internal && (a.family === "IPv4" || a.family === 4)) return a.address;
  }
  return "192.0.2.1";
}
