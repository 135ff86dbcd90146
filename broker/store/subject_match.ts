/**
 * NATS subject filters for store lookups: tokens split on ".", "*" matches exactly one token,
 * ">" (last token only) matches one or more. The store keeps its own small matcher so it
 * imports only common/ (broker/subjects is a sibling core, not a dependency of the store).
 */

export function isLiteralSubject(filter: string): boolean {
  return !filter.split(".").some((t) => t === "*" || t === ">");
}

/** True when the filter means "every subject". */
export function matchesAll(filter: string | undefined): boolean {
  return filter === undefined || filter === "" || filter === ">";
}

export function subjectMatches(filter: string, subject: string): boolean {
  if (matchesAll(filter)) return true;
  if (filter === subject) return true;
  return tokensMatch(filter.split("."), subject.split("."));
}

function tokensMatch(f: readonly string[], s: readonly string[]): boolean {
  for (let i = 0; i < f.length; i++) {
    const ft = f[i]!;
    if (ft === ">") return i === f.length - 1 && s.length > i;
    const st = s[i];
    if (st === undefined) return false;
    if (ft !== "*" && ft !== st) return false;
  }
  return f.length === s.length;
}

/** A compiled filter: cheap repeated matching for scans over many subjects. */
export function compileFilter(filter: string | undefined): (subject: string) => boolean {
  if (filter === undefined || matchesAll(filter)) return () => true;
  if (isLiteralSubject(filter)) return (s) => s === filter;
  return (s) => subjectMatches(filter, s);
}

const compiledFilters = new WeakMap<readonly string[], (subject: string) => boolean>();

/**
 * A matcher for "any of `filters`" (none = all), compiled once per filters array: callers such
 * as consumers pass the same array on every lookup, so hot paths do not re-split filters.
 */
export function compileFilters(filters: readonly string[]): (subject: string) => boolean {
  const hit = compiledFilters.get(filters);
  if (hit !== undefined) return hit;
  let fn: (subject: string) => boolean;
  if (filters.length === 0 || filters.some(matchesAll)) fn = () => true;
  else if (filters.length === 1 && isLiteralSubject(filters[0]!)) {
    const only = filters[0]!;
    fn = (s) => s === only;
  } else {
    const literals = new Set(filters.filter(isLiteralSubject));
    const wild = filters.filter((f) => !isLiteralSubject(f)).map((f) => f.split("."));
    fn = (s) => literals.has(s) || (wild.length > 0 && wild.some((f) => tokensMatch(f, s.split("."))));
  }
  compiledFilters.set(filters, fn);
  return fn;
}
