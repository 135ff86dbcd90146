import { describe, expect, it } from "vitest";
import { parseCsv } from "./natsbench.js";
import { median, ratio, type Row } from "./report.js";

// Header and rows as natscli v0.5.0 writes them (publisher with latency columns, subscribers without).
const PUB = `#RunID,ClientID,MsgCount,MsgBytes,MsgsPerSec,BytesPerSec,DurationSecs,MinLatencyMicroSecs,AvgLatencyMicroSecs,MaxLatencyMicroSecs,P50LatencyMicroSecs,P90LatencyMicroSecs,P99LatencyMicroSecs,P99.9LatencyMicroSecs,StdDevLatencyMicroSecs
U24n,P0,10000,640000,4686,599822.7,1.06,95.7,212.9,8044.2,187.8,268.8,414.3,4299.5,330.8
`;
const SUBS = `#RunID,ClientID,MsgCount,MsgBytes,MsgsPerSec,BytesPerSec,DurationSecs
a,S0,100000,12800000,100000,1,1
a,S1,100000,12800000,90000,1,1.1
`;

describe("parseCsv", () => {
  it("reads rate and latency of a single client", () => {
    const s = parseCsv(PUB);
    expect(s).toMatchObject({ msgs_per_sec: 4686, avg_latency_us: 212.9, p50_latency_us: 187.8, p99_latency_us: 414.3, clients: 1 });
  });
  it("sums rates over clients and leaves missing latency as NaN", () => {
    const s = parseCsv(SUBS);
    expect(s.msgs_per_sec).toBe(190000);
    expect(s.clients).toBe(2);
    expect(Number.isNaN(s.avg_latency_us)).toBe(true);
  });
  it("rejects output without data or without a rate column", () => {
    expect(() => parseCsv("")).toThrow(/empty/);
    expect(() => parseCsv("#RunID,ClientID,MsgsPerSec\n")).toThrow(/no data rows/);
    expect(() => parseCsv("#RunID,ClientID\nx,y\n")).toThrow(/MsgsPerSec/);
  });
});

describe("report", () => {
  it("median ignores failed runs and fails only when all failed", () => {
    expect(median([{ value: 3 }, { error: "x" }, { value: 1 }, { value: 2 }])).toEqual({ value: 2 });
    expect(median([{ error: "boom" }])).toEqual({ error: "boom" });
  });
  it("ratio is undefined when either side failed", () => {
    const row: Row = { workload: "w", unit: "msgs/s", higher_is_better: true, values: { a: { value: 50 }, b: { value: 100 }, c: { error: "x" } } };
    expect(ratio(row, { label: "a/b", numerator: "a", denominator: "b" })).toBe(0.5);
    expect(ratio(row, { label: "a/c", numerator: "a", denominator: "c" })).toBeUndefined();
  });
});
