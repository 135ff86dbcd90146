/** Invariant check: a failure is a bug in Sluice, never bad input. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export function unreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
