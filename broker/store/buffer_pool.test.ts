import { describe, expect, it } from "vitest";
import { BufferPool } from "./buffer_pool.js";
import { checkHeader, frameChecksumOk, FrameBuffer, RecordKind } from "./record.js";

describe("BufferPool", () => {
  it("hands out power-of-two buffers of at least the size asked for, and reuses released ones", () => {
    const pool = new BufferPool(1 << 20, 1 << 18, 1024);
    const a = pool.acquire(1500);
    expect(a.length).toBe(2048);
    pool.release(a);
    expect(pool.pooled_bytes).toBe(2048);
    expect(pool.acquire(100)).toBe(a);
    expect(pool.pooled_bytes).toBe(0);
  });

  it("does not keep buffers above buffer_bytes_max or beyond pooled_bytes_max, nor foreign views, nor the same buffer twice", () => {
    const pool = new BufferPool(4096, 2048, 1024);
    const big = pool.acquire(4000);
    pool.release(big);
    expect(pool.pooled_bytes).toBe(0);
    const a = pool.acquire(2048);
    const b = pool.acquire(2048);
    const c = pool.acquire(2048);
    pool.release(a);
    pool.release(a);
    pool.release(b);
    pool.release(c);
    expect(pool.pooled_bytes).toBe(4096);
    pool.release(new Uint8Array(new ArrayBuffer(2048), 1024, 1024));
    expect(pool.pooled_bytes).toBe(4096);
  });

  it("does not hand out a buffer far larger than needed", () => {
    const pool = new BufferPool(1 << 22, 1 << 22, 1024);
    const big = pool.acquire(1 << 20);
    pool.release(big);
    expect(pool.acquire(1000)).not.toBe(big);
    expect(pool.pooled_bytes).toBe(1 << 20);
  });
});

describe("FrameBuffer", () => {
  it("encodes frames back to back over stale pooled bytes, growing as needed, each frame verifying", () => {
    const pool = new BufferPool(1 << 20, 1 << 20, 64);
    const dirty = pool.acquire(64);
    dirty.fill(0xee);
    pool.release(dirty);
    const fb = new FrameBuffer(64, pool);
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const subject = new TextEncoder().encode("a.b");
    const offs: number[] = [];
    for (let seq = 1; seq <= 5; seq++) offs.push(fb.msg(seq, BigInt(seq) * 1000n, { subject: "a.b", headers: seq % 2 ? undefined : new Uint8Array([1, 2]), payload }, undefined, subject));
    offs.push(fb.control(RecordKind.tombstone, 3));
    const bytes = fb.bytes();
    expect(bytes.length).toBe(offs[5]! + 32);
    for (const [i, off] of offs.entries()) {
      const hc = checkHeader(bytes.subarray(off));
      expect(hc.kind).toBe("ok");
      if (hc.kind !== "ok") continue;
      expect(hc.header.seq).toBe(i < 5 ? i + 1 : 3);
      expect(frameChecksumOk(bytes.subarray(off, off + hc.header.frame_bytes))).toBe(true);
      if (i < 5) expect(offs[i + 1]).toBe(off + hc.header.frame_bytes);
    }
    fb.release();
    expect(fb.length).toBe(0);
    expect(pool.pooled_bytes).toBeGreaterThan(0);
  });

  it("writes sequences above 2^32 exactly", () => {
    const fb = new FrameBuffer(64);
    const seq = 2 ** 40 + 12345;
    fb.control(RecordKind.lastSeq, seq);
    const hc = checkHeader(fb.bytes());
    expect(hc.kind === "ok" && hc.header.seq).toBe(seq);
  });
});
