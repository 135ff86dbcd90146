/**
 * Work queue keyed by "namespace/name": a key is queued at most once, never processed by two
 * workers at once (an add while processing marks it dirty and it runs again after), and failed
 * keys come back with exponential back-off. Bounded: at most `keysMax` distinct keys.
 */
export interface QueueOptions {
  backoffBaseMs: number;
  backoffMaxMs: number;
  keysMax: number;
}

export const defaultQueueOptions: QueueOptions = { backoffBaseMs: 500, backoffMaxMs: 60_000, keysMax: 10_000 };

export class WorkQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly opts: QueueOptions = defaultQueueOptions) {}

  depth(): number {
    return this.ready.length;
  }

  add(key: string): void {
    if (this.closed) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    if (this.queued.size >= this.opts.keysMax) throw new Error(`work queue full (${this.opts.keysMax} keys)`);
    this.queued.add(key);
    this.ready.push(key);
    const w = this.waiters.shift();
    w?.();
  }

  addAfter(key: string, delayMs: number): void {
    if (this.closed) return;
    const existing = this.timers.get(key);
    if (existing !== undefined) clearTimeout(existing);
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    t.unref();
    this.timers.set(key, t);
  }

  /** Next key, or undefined once the queue is shut down. */
  async get(): Promise<string | undefined> {
    while (this.ready.length === 0) {
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.ready.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  /** Marks a key finished; `ok` resets its back-off, a failure schedules a retry. */
  done(key: string, result: { ok: true; requeueAfterMs?: number } | { ok: false }): void {
    this.processing.delete(key);
    if (result.ok) {
      this.failures.delete(key);
      if (result.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } else {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.addAfter(key, this.backoffMs(n));
    }
    if (this.dirty.delete(key)) this.add(key);
  }

  backoffMs(failures: number): number {
    return Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** Math.min(failures - 1, 20));
  }

  shutdown(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters) w();
    this.waiters = [];
  }
}
