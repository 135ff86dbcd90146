/**
 * allow_responses: a client may publish to the reply subject of a request it received, up to
 * `max` times within `expires_ms`. Times are passed in (no clock here). The table is bounded:
 * when full, expired entries are swept, then the oldest are dropped.
 */
export class ResponseGrants {
  private readonly grants = new Map<string, { left: number; expiresAtMs: number }>();

  constructor(
    private readonly max: number,
    private readonly expiresMs: number,
    private readonly entriesMax = 10_000,
  ) {}

  /** A request with this reply subject was delivered to the client. */
  grant(reply: string, nowMs: number): void {
    if (this.grants.size >= this.entriesMax) this.sweep(nowMs);
    this.grants.set(reply, { left: Math.max(1, this.max), expiresAtMs: this.expiresMs > 0 ? nowMs + this.expiresMs : Infinity });
  }

  /** Consume one reply to subject if granted. */
  use(subject: string, nowMs: number): boolean {
    const g = this.grants.get(subject);
    if (g === undefined) return false;
    if (nowMs > g.expiresAtMs) {
      this.grants.delete(subject);
      return false;
    }
    if (--g.left <= 0) this.grants.delete(subject);
    return true;
  }

  get size(): number {
    return this.grants.size;
  }

  private sweep(nowMs: number): void {
    for (const [k, g] of this.grants) if (nowMs > g.expiresAtMs) this.grants.delete(k);
    for (const k of this.grants.keys()) {
      if (this.grants.size < this.entriesMax) break;
      this.grants.delete(k);
    }
  }
}
