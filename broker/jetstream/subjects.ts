/**
 * Subject helpers JetStream needs beyond plain routing: matching a literal subject against a
 * filter, deciding whether two filters can match a common subject (stream overlap checks), and
 * whether one filter is a subset of another (consumer filters inside stream subjects).
 */

export function tokens(subject: string): string[] {
  return subject.split(".");
}

/** Valid subject or filter: non-empty tokens, no whitespace, `>` only last, wildcards whole tokens. */
export function isValidSubject(subject: string, allowWildcards = true): boolean {
  if (subject.length === 0 || /[\s]/.test(subject)) return false;
  const ts = tokens(subject);
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (t.length === 0) return false;
    if (t === ">" && (!allowWildcards || i !== ts.length - 1)) return false;
    if (t === "*" && !allowWildcards) return false;
  }
  return true;
}

export function hasWildcard(subject: string): boolean {
  return tokens(subject).some((t) => t === "*" || t === ">");
}

/** Does literal `subject` match `filter` (which may contain wildcards)? */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === subject || filter === ">") return true;
  const f = tokens(filter);
  const s = tokens(subject);
  for (let i = 0; i < f.length; i++) {
    const ft = f[i]!;
    if (ft === ">") return s.length > i;
    const st = s[i];
    if (st === undefined) return false;
    if (ft !== "*" && ft !== st) return false;
  }
  return f.length === s.length;
}

/** Could some literal subject match both filters? */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = tokens(a);
  const y = tokens(b);
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return p === undefined && q === undefined;
    if (p === ">" || q === ">") return true;
    if (p !== "*" && q !== "*" && p !== q) return false;
  }
}

/** Is every subject matched by `inner` also matched by `outer`? */
export function isSubsetOf(inner: string, outer: string): boolean {
  const x = tokens(inner);
  const y = tokens(outer);
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (q === ">") return p !== undefined;
    if (p === undefined || q === undefined) return p === undefined && q === undefined;
    if (p === ">") return false;
    if (q === "*") continue;
    if (p === "*" || p !== q) return false;
  }
}

/** Matches any of the filters (an empty list matches everything). */
export function matchesAny(filters: readonly string[], subject: string): boolean {
  if (filters.length === 0) return true;
  return filters.some((f) => subjectMatches(f, subject));
}

/**
 * Subject transform as in nats-server's `subject_transform{src,dest}`, for the common forms:
 * `{{wildcard(n)}}` / `$n` refer to the n-th wildcard token of src (1-based).
 */
export function compileTransform(src: string, dest: string): ((subject: string) => string | undefined) | string {
  const srcTokens = tokens(src);
  const wildcardPositions: number[] = [];
  srcTokens.forEach((t, i) => {
    if (t === "*") wildcardPositions.push(i);
  });
  const destTokens = tokens(dest);
  const parts: Array<{ literal: string } | { wildcard: number } | { rest: true }> = [];
  for (const t of destTokens) {
    const m = /^\{\{\s*wildcard\s*\(\s*(\d+)\s*\)\s*\}\}$/i.exec(t) ?? /^\$(\d+)$/.exec(t);
    if (m) {
      const n = Number(m[1]);
      if (n < 1 || n > wildcardPositions.length) return `invalid subject transform destination: wildcard index ${n} out of range`;
      parts.push({ wildcard: n });
    } else if (t === ">") {
      if (srcTokens[srcTokens.length - 1] !== ">") return "invalid subject transform destination: '>' needs '>' in source";
      parts.push({ rest: true });
    } else if (t.includes("{{")) {
      return `invalid subject transform destination: unsupported function in ${t}`;
    } else parts.push({ literal: t });
  }
  return (subject: string) => {
    if (!subjectMatches(src, subject)) return undefined;
    const s = tokens(subject);
    const out: string[] = [];
    for (const p of parts) {
      if ("literal" in p) out.push(p.literal);
      else if ("wildcard" in p) out.push(s[wildcardPositions[p.wildcard - 1]!]!);
      else out.push(...s.slice(srcTokens.length - 1));
    }
    return out.join(".");
  };
}
