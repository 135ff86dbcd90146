/**
 * Leader election with a coordination.k8s.io Lease (client-go's LeaseLock semantics): acquire
 * when the Lease is free or expired, renew well before it expires, give up leadership when a
 * renew deadline passes. Updates use resourceVersion, so two candidates never both win.
 */
import { KubeApiError, type Kube } from "./kube.js";
import { errorMessage, type Logger } from "./log.js";

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationS: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export const defaultLeaderTimings = { leaseDurationS: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 } as const;

/** MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date) => d.toISOString().replace("Z", "000Z");

interface LeaseObject {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    acquireTime?: string;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly kube: Kube,
    private readonly opts: LeaderOptions,
    private readonly log: Logger,
  ) {}

  /** One attempt to acquire or renew. True when we hold the Lease afterwards. */
  async tryAcquireOrRenew(now = new Date()): Promise<boolean> {
    const ref = { apiVersion: "coordination.k8s.io/v1" as const, kind: "Lease" as const, namespace: this.opts.namespace, name: this.opts.name };
    const lease = await this.kube.get<LeaseObject>(ref);
    const spec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.opts.leaseDurationS,
      renewTime: microTime(now),
    };
    if (lease === undefined) {
      try {
        const created: LeaseObject = {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ref.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        };
        await this.kube.create(created);
        return true;
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 409) return false;
        throw err;
      }
    }
    const holder = lease.spec?.holderIdentity ?? "";
    const renewed = lease.spec?.renewTime !== undefined ? new Date(lease.spec.renewTime).getTime() : 0;
    const expired = renewed + (lease.spec?.leaseDurationSeconds ?? this.opts.leaseDurationS) * 1000 < now.getTime();
    if (holder !== this.opts.identity && holder !== "" && !expired) return false;
    const takeover = holder !== this.opts.identity;
    const updated: LeaseObject = {
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        ...(takeover ? { acquireTime: microTime(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } : {}),
      },
    };
    try {
      await this.kube.replace(updated);
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return false;
      throw err;
    }
  }

  /**
   * Blocks until elected, then renews in the background; calls `onLost` once if a renew
   * deadline passes (the process should then exit: another replica may already lead).
   */
  async run(onLost: () => void): Promise<boolean> {
    for (;;) {
      if (this.stopped) return false;
      try {
        if (await this.tryAcquireOrRenew()) break;
      } catch (err) {
        this.log.warn("leader election attempt failed", { error: errorMessage(err) });
      }
      await new Promise((r) => setTimeout(r, this.opts.retryPeriodMs));
    }
    this.log.info("acquired leadership", { lease: `${this.opts.namespace}/${this.opts.name}`, identity: this.opts.identity });
    let lastRenew = Date.now();
    const renew = async () => {
      if (this.stopped) return;
      try {
        if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
      } catch (err) {
        this.log.warn("lease renew failed", { error: errorMessage(err) });
      }
      if (Date.now() - lastRenew > this.opts.renewDeadlineMs) {
        this.log.error("lost leadership: renew deadline passed", { renewDeadlineMs: this.opts.renewDeadlineMs });
        this.stopped = true;
        onLost();
        return;
      }
      this.timer = setTimeout(() => void renew(), this.opts.retryPeriodMs);
    };
    this.timer = setTimeout(() => void renew(), this.opts.retryPeriodMs);
    return true;
  }

  /** Stops renewing and releases the Lease so a successor need not wait for it to expire. */
  async release(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const ref = { apiVersion: "coordination.k8s.io/v1" as const, kind: "Lease" as const, namespace: this.opts.namespace, name: this.opts.name };
    try {
      const lease = await this.kube.get<LeaseObject>(ref);
      if (lease?.spec?.holderIdentity !== this.opts.identity) return;
      const released: LeaseObject = { ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 } };
      await this.kube.replace(released);
    } catch (err) {
      this.log.warn("lease release failed", { error: errorMessage(err) });
    }
  }
}
