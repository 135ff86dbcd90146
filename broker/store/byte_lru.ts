/** A least-recently-used cache bounded by total bytes (as measured by `sizeOf`). */
export class ByteLru<V> {
  private readonly map = new Map<number, { v: V; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly bytesMax: number,
    private readonly sizeOf: (v: V) => number,
  ) {}

  get(key: number): V | undefined {
    const hit = this.map.get(key);
    if (hit === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, hit); // Map keeps insertion order: re-inserting marks it most recent
    return hit.v;
  }

  set(key: number, v: V): void {
    this.delete(key);
    const bytes = this.sizeOf(v);
    if (bytes > this.bytesMax) return;
    this.map.set(key, { v, bytes });
    this.bytes += bytes;
    for (const [k, old] of this.map) {
      if (this.bytes <= this.bytesMax) break;
      this.map.delete(k);
      this.bytes -= old.bytes;
    }
  }

  delete(key: number): void {
    const hit = this.map.get(key);
    if (hit === undefined) return;
    this.map.delete(key);
    this.bytes -= hit.bytes;
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  get sizeBytes(): number {
    return this.bytes;
  }
}
