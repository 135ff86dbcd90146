/**
 * Bench results: a printed table (one column per server, ratios Sluice/reference) and a JSON file
 * under bench/results/. Failed measurements are kept as errors, never as numbers.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../test/clients/lib/server-process.js";

export const RESULTS_DIR = join(REPO_ROOT, "bench/results");

export type Measured = { value: number; detail?: Record<string, number> } | { error: string };

export interface Row {
  workload: string;
  unit: string;
  /** true for throughput, false for latency */
  higher_is_better: boolean;
  /** server label → measurement */
  values: Record<string, Measured>;
  /** Goal from the issue, e.g. ">= 0.8x nats-server" (printed, not enforced). */
  target?: string;
}

export interface RatioSpec {
  label: string;
  numerator: string;
  denominator: string;
}

export function ratio(row: Row, spec: RatioSpec): number | undefined {
  const a = row.values[spec.numerator];
  const b = row.values[spec.denominator];
  if (!a || !b || "error" in a || "error" in b || b.value === 0) return undefined;
  return a.value / b.value;
}

function fmt(m: Measured | undefined): string {
  if (!m) return "-";
  if ("error" in m) return "FAILED";
  return m.value >= 100 ? Math.round(m.value).toLocaleString("en-US") : m.value.toFixed(1);
}

export function printTable(title: string, servers: string[], rows: Row[], ratios: RatioSpec[]): void {
  const header = ["workload", "unit", ...servers, ...ratios.map((r) => r.label), "target"];
  const body = rows.map((row) => [
    row.workload,
    row.unit,
    ...servers.map((s) => fmt(row.values[s])),
    ...ratios.map((spec) => {
      const r = ratio(row, spec);
      return r === undefined ? "-" : `${r.toFixed(2)}x`;
    }),
    row.target ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const b of body) console.log(line(b));
  for (const row of rows) {
    for (const [server, m] of Object.entries(row.values)) {
      if ("error" in m) console.log(`\n${row.workload} on ${server} failed: ${m.error.split("\n").slice(0, 6).join("\n  ")}`);
    }
  }
}

export function writeResults(suite: string, payload: Record<string, unknown>, rows: Row[], ratios: RatioSpec[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = join(RESULTS_DIR, `${suite}-${stamp}.json`);
  const out = {
    suite,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? "?", mem_bytes: totalmem(), node: process.version },
    ...payload,
    rows: rows.map((r) => ({
      ...r,
      ratios: Object.fromEntries(ratios.map((spec) => [spec.label, ratio(r, spec) ?? null])),
    })),
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  return file;
}

/** Median of the successful runs; an error only when every run failed. */
export function median(runs: Measured[]): Measured {
  const ok = runs.filter((r): r is { value: number; detail?: Record<string, number> } => !("error" in r));
  if (ok.length === 0) return runs[0] ?? { error: "no runs" };
  ok.sort((a, b) => a.value - b.value);
  return ok[Math.floor((ok.length - 1) / 2)]!;
}
