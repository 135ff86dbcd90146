/**
 * Loads the hardware CRC32C (`@node-rs/crc32`, a prebuilt N-API module using the SSE4.2 / ARMv8
 * CRC32C instruction) when it is installed for this platform. Optional by design: when the module
 * or its platform binary is missing, or `SLUICE_CRC32C=software` is set, `nativeCrc32c` is
 * undefined and crc32c.ts uses its TypeScript implementation; crc32c.ts also checks the module
 * against known values before trusting it.
 */
import { createRequire } from "node:module";

export type Crc32cFn = (data: Uint8Array, crc: number) => number;

function load(): Crc32cFn | undefined {
  if (process.env.SLUICE_CRC32C === "software") return undefined;
  try {
    const mod = createRequire(import.meta.url)("@node-rs/crc32") as { crc32c?: unknown };
    if (typeof mod.crc32c !== "function") return undefined;
    const f = mod.crc32c as (input: Uint8Array, initialState?: number) => number;
    return (data, crc) => f(data, crc);
  } catch {
    return undefined;
  }
}

/** The raw native function, not yet verified (see crc32c.ts). */
export const nativeCrc32cUnverified: Crc32cFn | undefined = load();
