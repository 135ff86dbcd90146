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

/**
 * Edit distance counting insertions, deletions, substitutions and adjacent transpositions
 * ("prot" → "port" is one edit). Returns `limit + 1` when the distance exceeds `limit`.
 */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const up = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  const d = rows[a.length]?.[b.length] ?? limit + 1;
  return d > limit ? limit + 1 : d;
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
