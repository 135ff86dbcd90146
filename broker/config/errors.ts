/**
 * The one error type the config loader throws for bad input. Every message starts with
 * `file:line:col:` when the input has a position, and names the key when one is involved, so a
 * user can jump straight to the offending line: `sluice.conf:4:14: max_payload: expected a size, got "abc"`.
 */

/** A position in a config source. `line` and `col` are 1-based; `file` is the path as the user gave it. */
export interface Pos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export function formatPos(pos: Pos): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    /** The problem without the position prefix. */
    readonly detail: string,
    readonly pos?: Pos,
    /** Dotted key path the problem belongs to (`jetstream.max_mem`), when there is one. */
    readonly key?: string,
  ) {
    super(pos === undefined ? detail : `${formatPos(pos)}: ${detail}`);
  }
}

/** Levenshtein distance, bounded: returns `limit + 1` as soon as the distance must exceed `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

/** The closest known name to a misspelt one, if it is close enough to be a plausible typo. */
export function suggest(unknown: string, known: Iterable<string>): string | undefined {
  const needle = unknown.toLowerCase();
  const limit = needle.length <= 4 ? 1 : needle.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const d = editDistance(needle, candidate, limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Prefix typos ("store" for "store_dir") are common too; accept those when nothing closer exists.
  if (best === undefined && needle.length >= 3) {
    for (const candidate of known) if (candidate.startsWith(needle)) return candidate;
  }
  return best;
}

export function didYouMean(unknown: string, known: Iterable<string>): string {
  const hint = suggest(unknown, known);
  return hint === undefined ? "" : ` (did you mean "${hint}"?)`;
}
