/**
 * Pod networking (root): one Linux bridge per cluster (`lk<slot>`, 10.244.<slot>.1/24 = node,
 * apiserver-advertise and DNS address) and one network namespace + veth pair per pod. Pod and
 * service addresses exist only on interfaces created here; nothing routes them off this host.
 * Slots are claimed in a host-wide directory so several clusters run side by side.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { slotDir } from "../paths.js";
import { SLOT_MAX, slotClaimIsStale, slotInfo, type NetworkMode, type Slot } from "./addressing.js";

export { POD_IP_FIRST, POD_IP_LAST, SLOT_MAX, slotInfo, type Slot } from "./addressing.js";

export function ip(args: string[]): string {
  try {
    return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`ip ${args.join(" ")}: ${stderr.trim() || String(err)}`);
  }
}

function ipQuiet(args: string[]): void {
  try {
    ip(args);
  } catch {
    // teardown of something already gone
  }
}

export function canUseNetns(): boolean {
  return process.getuid?.() === 0 && existsSync("/usr/sbin/ip") !== false;
}

function addressInUse(prefix: string): boolean {
  return ip(["-o", "-4", "addr", "show"]).includes(` ${prefix}`);
}

/**
 * Claim a free slot for `stateDir` (reclaiming stale claims, see slotClaimIsStale). netns slots
 * live in a root-only registry; loopback slots in a sticky world-writable one, so clusters of
 * different users on one host get different 127.77.<slot> ranges.
 */
export function claimSlot(stateDir: string, mode: NetworkMode = "netns"): Slot {
  const dir = slotDir(mode);
  mkdirSync(dir, { recursive: true });
  if (mode === "loopback") {
    try {
      if ((statSync(dir).mode & 0o1777) !== 0o1777 && statSync(dir).uid === process.getuid?.()) chmodSync(dir, 0o1777);
    } catch {
      // someone else's directory: usable as long as we may create files in it
    }
  }
  for (let n = 1; n <= SLOT_MAX; n++) {
    const file = join(dir, String(n));
    if (existsSync(file)) {
      let owner = "";
      let age_ms = 0;
      try {
        owner = readFileSync(file, "utf8").trim();
        age_ms = Date.now() - statSync(file).mtimeMs;
      } catch {
        continue;
      }
      if (owner === stateDir) continue;
      if (!slotClaimIsStale({ ownerExists: owner !== "" && existsSync(owner), ownerHasRecord: existsSync(join(owner, "cluster.json")), claimAge_ms: age_ms })) continue;
      try {
        unlinkSync(file);
      } catch {
        continue;
      }
      if (mode === "netns") ipQuiet(["link", "del", slotInfo(n).bridge]);
    }
    const slot = slotInfo(n, mode);
    if (mode === "netns" && addressInUse(slot.prefix)) continue;
    try {
      writeFileSync(file, stateDir, { flag: "wx" });
      return slot;
    } catch {
      continue; // raced with another cluster
    }
  }
  throw new Error(`localkube: no free network slot (all ${SLOT_MAX} claimed in ${dir})`);
}

export function releaseSlot(slot: Slot, stateDir: string): void {
  const file = join(slotDir(slot.bridge === "" ? "loopback" : "netns"), String(slot.index));
  try {
    if (readFileSync(file, "utf8").trim() === stateDir) unlinkSync(file);
  } catch {
    // not ours or gone
  }
}

export function createBridge(slot: Slot): void {
  ipQuiet(["link", "del", slot.bridge]);
  ip(["link", "add", slot.bridge, "type", "bridge"]);
  ip(["addr", "add", `${slot.gateway}/24`, "dev", slot.bridge]);
  ip(["link", "set", slot.bridge, "up"]);
}

export function deleteBridge(slot: Slot): void {
  if (slot.bridge === "") return;
  ipQuiet(["link", "del", slot.bridge]);
}

export interface Sandbox {
  netns: string;
  hostVeth: string;
  ip: string;
}

export function sandboxNames(slot: Slot, podUid: string): { netns: string; hostVeth: string } {
  const id = podUid.replace(/-/g, "").slice(0, 8);
  return { netns: `lk${slot.index}-${id}`, hostVeth: `lkv${slot.index}-${id}` };
}

export function netnsEtcDir(netns: string): string {
  return join("/etc/netns", netns);
}

/**
 * Create the pod's namespace, wire it to the bridge and write the files `ip netns exec` binds
 * over /etc (resolv.conf pointing at the cluster DNS on the gateway, hosts with the pod's names).
 */
export function createSandbox(
  slot: Slot,
  podUid: string,
  podIp: string,
  names: { hostname: string; fqdn: string | undefined; namespace: string },
): Sandbox {
  const { netns, hostVeth } = sandboxNames(slot, podUid);
  deleteSandbox(netns);
  // A namespace outlives `ip netns del` while a process of a dead predecessor still runs in it, and
  // so does its veth pair: drop our side so the name is free (deleting one end removes both).
  ipQuiet(["link", "del", hostVeth]);
  ip(["netns", "add", netns]);
  ip(["link", "add", hostVeth, "type", "veth", "peer", "name", "eth0", "netns", netns]);
  ip(["link", "set", hostVeth, "master", slot.bridge, "up"]);
  ip(["-n", netns, "addr", "add", `${podIp}/24`, "dev", "eth0"]);
  ip(["-n", netns, "link", "set", "eth0", "up"]);
  ip(["-n", netns, "link", "set", "lo", "up"]);
  ip(["-n", netns, "route", "add", "default", "via", slot.gateway]);
  const etc = netnsEtcDir(netns);
  mkdirSync(etc, { recursive: true });
  writeFileSync(
    join(etc, "resolv.conf"),
    `nameserver ${slot.gateway}\nsearch ${names.namespace}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`,
  );
  const aliases = names.fqdn !== undefined ? `${names.fqdn} ${names.hostname}` : names.hostname;
  writeFileSync(join(etc, "hosts"), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${podIp}\t${aliases}\n`);
  return { netns, hostVeth, ip: podIp };
}

export function deleteSandbox(netns: string): void {
  ipQuiet(["netns", "del", netns]);
  rmSync(netnsEtcDir(netns), { recursive: true, force: true });
}

/** Every namespace of a slot (for `down`'s sweep). */
export function listSandboxes(slot: Slot): string[] {
  if (slot.bridge === "") return [];
  let out = "";
  try {
    out = ip(["netns", "list"]);
  } catch {
    return [];
  }
  return out
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`lk${slot.index}-`));
}

/** Fault injection: take the pod's link down (true) or up again (false). */
export function setPodLinkDown(hostVeth: string, down: boolean): void {
  ip(["link", "set", hostVeth, down ? "down" : "up"]);
}
