/**
 * Per-connection write coalescing. Frames are copied into a chunk buffer; the server flushes every
 * dirty connection once per event-loop turn (setImmediate), so a burst of deliveries becomes one
 * socket write. After a flush we keep writing into the rest of the same chunk (the socket only
 * holds the flushed slice), so steady traffic allocates a new chunk only when one fills up.
 */
const chunkBytes = 64 * 1024;
/** Below this much room left after a flush, start a fresh chunk next time. */
const chunkTailBytesMin = 1024;

export class Outbound {
  private buf: Buffer | undefined = undefined;
  private start = 0;
  private pos = 0;
  /** Full chunks waiting for the next flush. */
  private full: Buffer[] = [];
  private fullBytes = 0;

  /** Bytes buffered here (not yet handed to the socket). */
  get bufferedBytes(): number {
    return this.fullBytes + (this.pos - this.start);
  }

  /** Reserve n contiguous bytes; returns the buffer and the offset to write at. Call commit after. */
  reserve(n: number): Buffer {
    const buf = this.buf;
    if (buf !== undefined && this.pos + n <= buf.length) return buf;
    if (buf !== undefined && this.pos > this.start) {
      this.full.push(buf.subarray(this.start, this.pos));
      this.fullBytes += this.pos - this.start;
    }
    this.buf = Buffer.allocUnsafe(Math.max(chunkBytes, n));
    this.start = 0;
    this.pos = 0;
    return this.buf;
  }

  get offset(): number {
    return this.pos;
  }

  commit(end: number): void {
    this.pos = end;
  }

  append(bytes: Uint8Array): void {
    const buf = this.reserve(bytes.length);
    buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Take everything buffered, in order, for one (corked) socket write. */
  take(): Buffer[] {
    const out = this.full;
    if (this.buf !== undefined && this.pos > this.start) out.push(this.buf.subarray(this.start, this.pos));
    this.full = [];
    this.fullBytes = 0;
    if (this.buf !== undefined && this.buf.length - this.pos < chunkTailBytesMin) this.buf = undefined;
    else this.start = this.pos;
    return out;
  }

  clear(): void {
    this.full = [];
    this.fullBytes = 0;
    this.buf = undefined;
    this.start = 0;
    this.pos = 0;
  }
}
