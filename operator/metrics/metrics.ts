/** Operator metrics (prom-client), served on /metrics. Names: sluice_operator_*. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: "sluice_operator_reconcile_total",
    help: "Reconciles run, by result (success, error).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: "sluice_operator_reconcile_errors_total",
    help: "Reconciles that failed and were requeued with back-off.",
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: "sluice_operator_reconcile_duration_seconds",
    help: "Time spent in one reconcile.",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "sluice_operator_queue_depth",
    help: "MessageQueue keys waiting to be reconciled.",
    registers: [this.registry],
  });
  readonly apiWrites = new Gauge({
    name: "sluice_operator_api_writes",
    help: "Write requests sent to the Kubernetes API since start, by verb.",
    labelNames: ["verb"] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: "sluice_operator_leader",
    help: "1 while this replica holds the leader Lease.",
    registers: [this.registry],
  });

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: "sluice_operator_" });
  }
}
