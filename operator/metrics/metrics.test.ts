import { describe, expect, it } from "vitest";
import { OperatorMetrics } from "./metrics.js";

describe("OperatorMetrics", () => {
  it("exposes reconcile counts, durations, errors and queue depth", async () => {
    const m = new OperatorMetrics(false);
    m.reconciles.inc({ result: "success" });
    m.reconcileErrors.inc();
    m.reconcileDuration.observe(0.2);
    m.queueDepth.set(3);
    const text = await m.registry.metrics();
    expect(text).toContain('sluice_operator_reconcile_total{result="success"} 1');
    expect(text).toContain("sluice_operator_reconcile_errors_total 1");
    expect(text).toContain('sluice_operator_reconcile_duration_seconds_bucket{le="0.25"} 1');
    expect(text).toContain("sluice_operator_queue_depth 3");
  });
});
