/**
 * Wait for a condition with a deadline: the only way tests and shells wait for state.
 * Polls `check` until it returns a value other than undefined/false, or throws on timeout.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeout_ms?: number; interval_ms?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeout_ms ?? 30_000;
  const intervalMs = opts.interval_ms ?? 50;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() > deadline) {
      const suffix = lastError instanceof Error ? `: last error: ${lastError.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${suffix}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
