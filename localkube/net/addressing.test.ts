import { describe, expect, it } from "vitest";
import {
  allocateHostPart,
  capEffFromStatus,
  defaultNetworkMode,
  hostPartOf,
  loopbackAdvertiseAddress,
  netnsUnavailableReason,
  parseNetworkMode,
  POD_IP_FIRST,
  POD_IP_LAST,
  SLOT_CLAIM_GRACE_MS,
  slotClaimIsStale,
  slotInfo,
} from "./addressing.js";

const STATUS_ROOT = "Name:\tnode\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n";
// Docker's default set: no CAP_NET_ADMIN (12), no CAP_SYS_ADMIN (21).
const STATUS_DOCKER_DEFAULT = "CapEff:\t00000000a80425fb\n";
const STATUS_NONE = "CapEff:\t0000000000000000\n";

describe("network mode selection", () => {
  it("parses the mode flag and rejects anything else with the choices", () => {
    expect(parseNetworkMode("netns")).toBe("netns");
    expect(parseNetworkMode("loopback")).toBe("loopback");
    expect(() => parseNetworkMode("host")).toThrow('network mode must be one of netns, loopback, got "host"');
  });

  it("reads the effective capability mask from /proc/self/status", () => {
    expect(capEffFromStatus(STATUS_ROOT)).toBe(0x1ffffffffffn);
    expect(capEffFromStatus("Name:\tx\n")).toBeUndefined();
  });

  it("picks netns only for root with CAP_NET_ADMIN and CAP_SYS_ADMIN", () => {
    expect(defaultNetworkMode(0, capEffFromStatus(STATUS_ROOT))).toBe("netns");
    expect(netnsUnavailableReason(0, capEffFromStatus(STATUS_ROOT))).toBeUndefined();
    expect(defaultNetworkMode(1000, capEffFromStatus(STATUS_ROOT))).toBe("loopback");
    expect(netnsUnavailableReason(1000, 0n)).toBe("not running as root (uid 1000)");
    expect(defaultNetworkMode(0, capEffFromStatus(STATUS_DOCKER_DEFAULT))).toBe("loopback");
    expect(netnsUnavailableReason(0, capEffFromStatus(STATUS_DOCKER_DEFAULT))).toBe("root without CAP_NET_ADMIN and CAP_SYS_ADMIN");
    expect(netnsUnavailableReason(0, (1n << 12n) | 1n)).toBe("root without CAP_SYS_ADMIN");
    expect(defaultNetworkMode(0, capEffFromStatus(STATUS_NONE))).toBe("loopback");
    expect(defaultNetworkMode(undefined, undefined)).toBe("loopback");
  });
});

describe("address plans", () => {
  it("gives netns slots a bridge and 10.244 addresses, loopback slots 127.77 addresses and no bridge", () => {
    expect(slotInfo(3)).toEqual({ index: 3, bridge: "lk3", gateway: "10.244.3.1", prefix: "10.244.3.", podCidr: "10.244.3.0/24", serviceCidr: "10.96.3.0/24", firstServiceIp: "10.96.3.1" });
    expect(slotInfo(3, "loopback")).toEqual({ index: 3, bridge: "", gateway: "127.77.3.1", prefix: "127.77.3.", podCidr: "127.77.3.0/24", serviceCidr: "10.96.3.0/24", firstServiceIp: "10.96.3.1" });
    expect(() => slotInfo(0, "loopback")).toThrow("slot must be 1..250");
    expect(() => slotInfo(251)).toThrow("slot must be 1..250");
  });

  it("side-by-side loopback slots never share a pod address", () => {
    const a = slotInfo(1, "loopback");
    const b = slotInfo(2, "loopback");
    expect(a.prefix).not.toBe(b.prefix);
    expect(hostPartOf(b, `${a.prefix}10`)).toBeUndefined();
  });

  it("reclaims a slot only from a vanished owner or an up that never produced a cluster", () => {
    expect(slotClaimIsStale({ ownerExists: false, ownerHasRecord: false, claimAge_ms: 0 })).toBe(true);
    expect(slotClaimIsStale({ ownerExists: true, ownerHasRecord: true, claimAge_ms: 10 * SLOT_CLAIM_GRACE_MS })).toBe(false);
    // An `up` in progress (state directory made, record not yet written) keeps its slot.
    expect(slotClaimIsStale({ ownerExists: true, ownerHasRecord: false, claimAge_ms: 5_000 })).toBe(false);
    expect(slotClaimIsStale({ ownerExists: true, ownerHasRecord: false, claimAge_ms: SLOT_CLAIM_GRACE_MS + 1 })).toBe(true);
  });

  it("allocates the lowest free host part and reports exhaustion", () => {
    expect(allocateHostPart(new Set())).toBe(POD_IP_FIRST);
    expect(allocateHostPart(new Set([10, 11, 13]))).toBe(12);
    const full = new Set<number>();
    for (let h = POD_IP_FIRST; h <= POD_IP_LAST; h++) full.add(h);
    expect(allocateHostPart(full)).toBeUndefined();
  });

  it("maps a pod IP back to its host part only inside the slot's pod range", () => {
    const s = slotInfo(5, "loopback");
    expect(hostPartOf(s, "127.77.5.42")).toBe(42);
    expect(hostPartOf(s, "127.77.5.1")).toBeUndefined(); // the gateway
    expect(hostPartOf(s, "127.77.5.x")).toBeUndefined();
    expect(hostPartOf(s, "127.77.50.42")).toBeUndefined();
  });

  it("advertises a non-loopback host address, or TEST-NET-1 when the host has none", () => {
    expect(loopbackAdvertiseAddress({ lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }], eth0: [{ address: "fe80::1", family: "IPv6", internal: false }, { address: "172.17.0.5", family: "IPv4", internal: false }] })).toBe("172.17.0.5");
    expect(loopbackAdvertiseAddress({ lo: [{ address: "127.0.0.1", family: "IPv4", internal: true }] })).toBe("192.0.2.1");
  });
});
