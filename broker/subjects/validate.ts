/**
 * Subject rules (nats-compat.md §1.9): tokens split by `.`, none empty; no whitespace; `*` matches
 * exactly one token, `>` one or more and only as the last token; wildcards only as whole tokens.
 */

function hasBadChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) return true;
  }
  return false;
}

/** A valid subscription subject (wildcards allowed). */
export function isValidSubject(subject: string): boolean {
  if (subject.length === 0 || hasBadChar(subject)) return false;
  const tokens = subject.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.length === 0) return false;
    if (t === ">" && i !== tokens.length - 1) return false;
  }
  return true;
}

/** A valid subject without wildcards (what publishers should use). */
export function isValidLiteralSubject(subject: string): boolean {
  return isValidSubject(subject) && isLiteral(subject);
}

/** No `*` or `>` token. */
export function isLiteral(subject: string): boolean {
  if (subject.indexOf("*") < 0 && subject.indexOf(">") < 0) return true;
  for (const t of subject.split(".")) if (t === "*" || t === ">") return false;
  return true;
}

export function isValidQueueName(queue: string): boolean {
  return queue.length > 0 && !hasBadChar(queue);
}

/** Does the (possibly wildcard) filter match the literal subject? */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === subject) return true;
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    const ft = f[i]!;
    if (ft === ">") return s.length > i;
    if (i >= s.length) return false;
    if (ft !== "*" && ft !== s[i]) return false;
  }
  return f.length === s.length;
}

/**
 * Is every subject matched by `sub` also matched by `filter`? (`filter` ⊇ `sub`; both may hold
 * wildcards.) Used to decide whether a wildcard subscription is covered by a permission.
 */
export function subjectIsSubsetOf(sub: string, filter: string): boolean {
  const s = sub.split(".");
  const f = filter.split(".");
  for (let i = 0; i < f.length; i++) {
    const ft = f[i]!;
    if (ft === ">") return s.length > i;
    if (i >= s.length) return false;
    const st = s[i]!;
    if (st === ">") return false;
    if (ft === "*") continue;
    if (st === "*" || st !== ft) return false;
  }
  return f.length === s.length;
}

/** Could some literal subject match both (wildcard) subjects? */
export function subjectsIntersect(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const xt = x[i];
    const yt = y[i];
    if (xt === ">" || yt === ">") return xt !== undefined && yt !== undefined;
    if (xt === undefined || yt === undefined) return false;
    if (xt !== "*" && yt !== "*" && xt !== yt) return false;
  }
  return true;
}
