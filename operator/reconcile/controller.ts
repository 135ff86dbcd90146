/**
 * Wires watches to the work queue and workers to the Reconciler. Watches carry no decisions:
 * every event only enqueues the owning MessageQueue's key (level-triggered).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { apiVersion, kind } from "../api/types.js";
import { fieldManager, messageQueueLabel } from "../builders/meta.js";
import type { OperatorMetrics } from "../metrics/metrics.js";
import type { Kube } from "./kube.js";
import { errorMessage, type Logger } from "./log.js";
import { WorkQueue } from "./queue.js";
import type { Reconciler } from "./reconciler.js";

export interface ControllerOptions {
  /** Undefined: all namespaces. */
  namespace: string | undefined;
  workers: number;
}

const ownedSelector = `app.kubernetes.io/managed-by=${fieldManager}`;
/** Owned kinds whose changes (drift, pod readiness, deletion) need a reconcile. */
const ownedKinds: [string, string][] = [
  ["apps/v1", "StatefulSet"],
  ["v1", "Pod"],
  ["v1", "Service"],
  ["v1", "ConfigMap"],
  ["v1", "Secret"],
  ["v1", "ServiceAccount"],
  ["policy/v1", "PodDisruptionBudget"],
];

export class Controller {
  readonly queue = new WorkQueue();
  private readonly abort = new AbortController();
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly kube: Kube,
    private readonly reconciler: Reconciler,
    private readonly opts: ControllerOptions,
    private readonly log: Logger,
    private readonly metrics?: OperatorMetrics,
  ) {}

  start(): void {
    this.running.push(
      this.informer(apiVersion, kind, undefined, (o) => (o.metadata?.namespace !== undefined && o.metadata.name !== undefined ? `${o.metadata.namespace}/${o.metadata.name}` : undefined)),
    );
    for (const [av, k] of ownedKinds) {
      this.running.push(
        this.informer(av, k, ownedSelector, (o) => {
          const owner = o.metadata?.labels?.[messageQueueLabel];
          return owner !== undefined && o.metadata?.namespace !== undefined ? `${o.metadata.namespace}/${owner}` : undefined;
        }),
      );
    }
    for (let i = 0; i < this.opts.workers; i++) this.running.push(this.worker());
  }

  /** Stops watches, lets in-flight reconciles finish, then resolves. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutdown();
    await Promise.allSettled(this.running);
  }

  private async informer(av: string, k: string, selector: string | undefined, keyOf: (o: KubernetesObject) => string | undefined): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        const list = await this.kube.list(av, k, this.opts.namespace, selector);
        for (const item of list.items) {
          const key = keyOf(item);
          if (key !== undefined) this.queue.add(key);
        }
        let rv = list.resourceVersion;
        failures = 0;
        while (rv !== "" && !this.abort.signal.aborted) {
          rv = await this.kube.watch(av, k, this.opts.namespace, selector, rv, (e) => {
            const key = keyOf(e.object);
            if (key !== undefined) this.queue.add(key);
          }, this.abort.signal);
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        failures++;
        const delayMs = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
        this.log.warn("watch failed; relisting", { kind: k, error: errorMessage(err), delayMs });
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  }

  private async worker(): Promise<void> {
    for (;;) {
      this.metrics?.queueDepth.set(this.queue.depth());
      const key = await this.queue.get();
      if (key === undefined) return;
      const [namespace, name] = key.split("/") as [string, string];
      const started = performance.now();
      try {
        const outcome = await this.reconciler.reconcile({ namespace, name });
        this.metrics?.reconciles.inc({ result: "success" });
        if (outcome.actions.length > 0) this.log.info("reconciled", { mq: key, actions: outcome.actions.join(", ") });
        this.queue.done(key, { ok: true, ...(outcome.requeueAfterMs !== undefined ? { requeueAfterMs: outcome.requeueAfterMs } : {}) });
      } catch (err) {
        this.metrics?.reconciles.inc({ result: "error" });
        this.metrics?.reconcileErrors.inc();
        this.log.warn("reconcile failed; will retry", { mq: key, error: errorMessage(err) });
        this.queue.done(key, { ok: false });
      } finally {
        this.metrics?.reconcileDuration.observe((performance.now() - started) / 1000);
        for (const [verb, n] of this.kube.writes) this.metrics?.apiWrites.set({ verb }, n);
      }
    }
  }
}
