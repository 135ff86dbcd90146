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
  const f = filter.split(".");
  const s = subject.split(".");
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
