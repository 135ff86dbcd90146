/**
 * Size and duration text as nats-server accepts it. Pure functions: they return `undefined` for
 * text they cannot read and let the caller name the key in the error.
 */

const SIZE_STRING = /^\s*(\d+)\s*([a-z]*)\s*$/i;

/**
 * Quoted sizes (`max_mem: "1G"`). nats-server's getStorageSize reads K/M/G/T as powers of 1024;
 * we also accept the KB/KiB spellings (same meaning) and a bare number of bytes.
 */
export function parseSizeString(text: string): number | undefined {
  const m = SIZE_STRING.exec(text);
  if (m === null) return undefined;
  const [, digits = "", unitRaw = ""] = m;
  const unit = unitRaw.toLowerCase();
  const powers: Record<string, number> = { "": 0, b: 0, k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };
  let power: number | undefined;
  if (unit.length <= 1) power = powers[unit];
  else if (unit.length <= 3 && /^[kmgtpe](b|i|ib)$/.test(unit)) power = powers[unit.charAt(0)];
  if (power === undefined) return undefined;
  const bytes = BigInt(digits) * 1024n ** BigInt(power);
  return bytes > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(bytes);
}

const DURATION_UNITS_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "µs": 1e3,
  "μs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Go's time.ParseDuration (`"1h2m3.5s"`, `"500ms"`, `"-1s"`, `"0"`) to milliseconds, rounded.
 * Returns `undefined` for anything Go would reject.
 */
export function parseGoDurationMs(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s.startsWith("-")) sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return undefined;
  let totalNs = 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (s !== "") {
    const m = part.exec(s);
    if (m === null) return undefined;
    const [whole, num = "", unit = ""] = m;
    const factor = DURATION_UNITS_NS[unit];
    if (factor === undefined) return undefined;
    totalNs += Number(num) * factor;
    s = s.slice(whole.length);
  }
  if (!Number.isFinite(totalNs) || totalNs > Number.MAX_SAFE_INTEGER * 1e6) return undefined;
  return sign * Math.round(totalNs / 1e6);
}

/** Renders milliseconds the way Go prints a time.Duration (`2m0s`, `10s`, `500ms`), for messages. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}
