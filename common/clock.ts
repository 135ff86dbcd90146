/** Time source for pure cores. Shells pass `systemClock`; simulations pass a fake. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  /** Nanoseconds since the Unix epoch, as a bigint (stream timestamps). */
  nowNs(): bigint;
  /** Monotonic milliseconds, for durations and deadlines. */
  monotonicMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  nowNs: () => BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n),
  monotonicMs: () => performance.now(),
};

/** A clock that only moves when told to; for deterministic tests and the simulator. */
export class ManualClock implements Clock {
  constructor(private ms = 1_700_000_000_000) {}
  nowMs(): number {
    return this.ms;
  }
  nowNs(): bigint {
    return BigInt(Math.floor(this.ms)) * 1_000_000n;
  }
  monotonicMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
