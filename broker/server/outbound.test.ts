import { describe, expect, it } from "vitest";
import { Outbound } from "./outbound.js";

const text = (chunks: Buffer[]): string => Buffer.concat(chunks).toString();

describe("Outbound", () => {
  it("coalesces appends into one chunk and keeps order across flushes", () => {
    const o = new Outbound();
    o.append(Buffer.from("a"));
    o.append(Buffer.from("bc"));
    expect(o.bufferedBytes).toBe(3);
    const first = o.take();
    expect(first).toHaveLength(1);
    expect(text(first)).toBe("abc");
    expect(o.bufferedBytes).toBe(0);
    o.append(Buffer.from("de"));
    const second = o.take();
    expect(text(second)).toBe("de");
    // The flushed slice is untouched by later writes into the same chunk.
    expect(text(first)).toBe("abc");
  });

  it("spills into new chunks when full and handles frames larger than a chunk", () => {
    const o = new Outbound();
    const big = Buffer.alloc(100 * 1024, 0x61);
    o.append(Buffer.from("x"));
    o.append(big);
    o.append(Buffer.from("y"));
    expect(o.bufferedBytes).toBe(big.length + 2);
    const out = o.take();
    expect(out.length).toBeGreaterThan(1);
    const all = Buffer.concat(out);
    expect(all.length).toBe(big.length + 2);
    expect(all[0]).toBe(0x78);
    expect(all[all.length - 1]).toBe(0x79);
  });

  it("reserve/commit writes in place", () => {
    const o = new Outbound();
    const buf = o.reserve(4);
    let pos = o.offset;
    for (const c of "PING") buf[pos++] = c.charCodeAt(0);
    o.commit(pos);
    expect(text(o.take())).toBe("PING");
  });

  it("clear drops everything", () => {
    const o = new Outbound();
    o.append(Buffer.from("gone"));
    o.clear();
    expect(o.bufferedBytes).toBe(0);
    expect(o.take()).toEqual([]);
  });
});
