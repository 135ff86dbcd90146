/**
 * The recovery scan's handling of preallocated zero tails: a write torn anywhere over zeros is a
 * torn tail (cut, no damage, no acknowledged record lost), while bit rot in the last record with
 * zeros behind it is still reported, or, when only the checksum's top byte was cleared, the
 * intact record is kept and its trailer repaired.
 */
import { describe, expect, it } from "vitest";
import { Prng } from "../../common/prng.js";
import type { FileHandle } from "./fs.js";
import { encodeSegmentHeader, FrameBuffer, RecordKind } from "./record.js";
import { scanSegment, zeroTailMinBytes } from "./segment_scan.js";

class MemHandle implements FileHandle {
  constructor(public data: Uint8Array) {}
  size(): Promise<number> {
    return Promise.resolve(this.data.length);
  }
  read(offset_bytes: number, length_bytes: number): Promise<Uint8Array> {
    return Promise.resolve(this.data.slice(offset_bytes, offset_bytes + length_bytes));
  }
  write(): Promise<void> {
    return Promise.reject(new Error("read-only in this test"));
  }
  truncate(): Promise<void> {
    return Promise.reject(new Error("read-only in this test"));
  }
  sync(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const enc = new TextEncoder();

/** A segment with `n` message records; returns the bytes and each frame's start offset. */
function segment(n: number, payloadBytes: number, prng: Prng): { bytes: Uint8Array; starts: number[] } {
  const fb = new FrameBuffer(1024);
  const starts: number[] = [];
  const header = encodeSegmentHeader(1, 0);
  for (let seq = 1; seq <= n; seq++) {
    const payload = Uint8Array.from({ length: payloadBytes }, () => prng.int(256));
    starts.push(header.length + fb.msg(seq, BigInt(seq), { subject: "t.a", headers: undefined, payload }, undefined, enc.encode("t.a")));
  }
  const out = new Uint8Array(header.length + fb.length);
  out.set(header);
  out.set(fb.bytes(), header.length);
  return { bytes: out, starts };
}

function withZeros(b: Uint8Array, zeros: number): Uint8Array {
  const out = new Uint8Array(b.length + zeros);
  out.set(b);
  return out;
}

const scan = (data: Uint8Array, repairTrailers = true): ReturnType<typeof scanSegment> =>
  scanSegment(new MemHandle(data), data.length, { tail: true, prevSeq: 0, cipher: undefined, repairTrailers });

describe("segment scan over a preallocated zero tail", () => {
  it("a clean zero tail is cut without damage", async () => {
    const { bytes } = segment(5, 100, new Prng(1));
    const r = await scan(withZeros(bytes, 3 * zeroTailMinBytes));
    expect(r).toMatchObject({ torn: true, end: bytes.length, damage: [], repairs: [] });
    expect(r.records.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("a write torn at every byte of the last two frames is a torn tail: cut before the first incomplete frame, no damage", async () => {
    const prng = new Prng(2);
    const { bytes, starts } = segment(6, 150, prng);
    const prealloc = withZeros(bytes, zeroTailMinBytes + 100);
    for (let cut = starts[4]!; cut <= bytes.length; cut++) {
      const file = prealloc.slice();
      file.fill(0, cut, bytes.length);
      const r = await scan(file);
      expect(r.damage, `cut at ${cut}`).toEqual([]);
      expect(r.torn).toBe(true);
      const complete = starts.filter((_, i) => (starts[i + 1] ?? bytes.length) <= cut).length;
      // Frames wholly before the cut survive; a frame cut inside its trailer keeps its body
      // (the trailer is repaired); any other cut frame is dropped.
      const kept = r.records.map((x) => x.seq);
      expect(kept.length === complete || (kept.length === complete + 1 && r.repairs.length === 1), `cut at ${cut}: kept ${kept.length}`).toBe(true);
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
      expect(r.end).toBe(kept.length === 6 ? bytes.length : starts[kept.length]!);
      if (r.repairs.length === 1) {
        const rep = r.repairs[0]!;
        expect(rep.offset + 4).toBe(r.end);
        expect(rep.bytes).toEqual(bytes.slice(rep.offset, rep.offset + 4));
      }
    }
  });

  it("without room to repair, a record whose trailer was torn is dropped as a torn tail", async () => {
    const { bytes } = segment(3, 80, new Prng(3));
    const file = withZeros(bytes, zeroTailMinBytes);
    file[bytes.length - 1] = 0;
    file[bytes.length - 2] = 0;
    const r = await scan(file, false);
    expect(r).toMatchObject({ torn: true, damage: [], repairs: [] });
    expect(r.records.map((x) => x.seq)).toEqual([1, 2]);
  });

  it("bit rot anywhere in the last frame, zeros behind it, is reported or (top checksum byte cleared) repaired: never a silent loss", async () => {
    const prng = new Prng(4);
    const { bytes, starts } = segment(4, 200, prng);
    const last = starts[3]!;
    // Every bit of the header and trailer, and a sample of the body.
    const bits = [...Array.from({ length: 28 * 8 }, (_, i) => last * 8 + i), ...Array.from({ length: 32 }, (_, i) => bytes.length * 8 - 32 + i)];
    for (let k = 0; k < 150; k++) bits.push((last + 28) * 8 + prng.int((bytes.length - last - 32) * 8));
    for (const bit of bits) {
      const file = withZeros(bytes, zeroTailMinBytes * 2);
      file[bit >> 3]! ^= 1 << (bit & 7);
      const r = await scan(file);
      const seqs = r.records.map((x) => x.seq);
      if (seqs.includes(4)) {
        // Only possible when the flip cleared the last byte of the checksum: the body is intact.
        expect(r.repairs.length, `bit ${bit}`).toBe(1);
        expect(file[bytes.length - 1]).toBe(0);
      } else {
        expect(r.damage.length, `bit ${bit}`).toBeGreaterThan(0);
        expect(r.damage.some((d) => d.first_seq <= 4 && d.last_seq >= 4)).toBe(true);
      }
      expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);
    }
  });

  it("without the zero tail (no preallocation), a last frame missing its trailer bytes is corruption, as before", async () => {
    const { bytes } = segment(3, 80, new Prng(5));
    const file = bytes.slice();
    file[file.length - 1] = 0;
    const r = await scan(file);
    expect(r.damage.length).toBe(1);
    expect(r.records.map((x) => x.seq)).toEqual([1, 2]);
  });

  it("a control record torn over zeros is a torn tail too", async () => {
    const fb = new FrameBuffer(64);
    fb.control(RecordKind.tombstone, 9);
    const header = encodeSegmentHeader(1, 0);
    const file = new Uint8Array(header.length + zeroTailMinBytes + 64);
    file.set(header);
    file.set(fb.bytes().subarray(0, 20), header.length);
    const r = await scan(file);
    expect(r).toMatchObject({ torn: true, end: header.length, damage: [], records: [] });
  });
});
