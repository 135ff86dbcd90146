import { describe, expect, it } from "vitest";
import type { Op } from "./batch_builder.js";
import { takeBatch } from "./batch_builder.js";
import { frameOverheadBytes } from "./record.js";

const noop = { resolve: (): void => undefined, reject: (): void => undefined };
const append = (payloadBytes: number): Op => ({ t: "append", input: { subject: "a.b", headers: undefined, payload: new Uint8Array(payloadBytes) }, d: noop });
const frame = (payloadBytes: number): number => payloadBytes + 3 + frameOverheadBytes;

describe("takeBatch", () => {
  it("takes everything queued within the count and byte bounds", () => {
    const q = Array.from({ length: 10 }, () => append(100));
    expect(takeBatch(q, { ops_max: 4, bytes_max: 1 << 20, split_bytes_min: 0 })).toHaveLength(4);
    expect(q).toHaveLength(6);
    // The op that reaches the byte bound is included (a batch always makes progress).
    expect(takeBatch(q, { ops_max: 100, bytes_max: 2 * frame(100) + 1, split_bytes_min: 0 })).toHaveLength(3);
    expect(takeBatch(q, { ops_max: 100, bytes_max: 1, split_bytes_min: 0 })).toHaveLength(1);
    expect(takeBatch(q, { ops_max: 100, bytes_max: 1 << 20, split_bytes_min: 0 })).toHaveLength(2);
    expect(q).toHaveLength(0);
  });

  it("splits a large backlog in half when asked, and leaves small backlogs whole", () => {
    const big = Array.from({ length: 256 }, () => append(4096));
    expect(takeBatch(big, { ops_max: 4096, bytes_max: 4 << 20, split_bytes_min: 128 * 1024 })).toHaveLength(128);
    expect(big).toHaveLength(128);
    // The second half, taken while the first half's fsync runs (no split requested): whole.
    expect(takeBatch(big, { ops_max: 4096, bytes_max: 4 << 20, split_bytes_min: 0 })).toHaveLength(128);
    const small = Array.from({ length: 256 }, () => append(128));
    expect(takeBatch(small, { ops_max: 4096, bytes_max: 4 << 20, split_bytes_min: 128 * 1024 })).toHaveLength(256);
  });
});
