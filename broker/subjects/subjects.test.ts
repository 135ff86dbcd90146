import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Sublist, isOneShot, type SubjectSub } from "./sublist.js";
import { isLiteral, isValidSubject, subjectIsSubsetOf, subjectMatches, subjectsIntersect } from "./validate.js";

interface TestSub extends SubjectSub {
  id: string;
}
const sub = (id: string, subject: string, queue?: string): TestSub => ({ id, subject, queue });
const ids = (subs: readonly TestSub[]): string[] => subs.map((s) => s.id).sort();

describe("subject validation", () => {
  const cases: Array<[string, boolean, boolean]> = [
    // subject, valid, literal
    ["foo", true, true],
    ["foo.bar", true, true],
    ["foo.*", true, false],
    ["foo.>", true, false],
    [">", true, false],
    ["*.*", true, false],
    ["foo*.bar", true, true],
    ["foo.>.bar", false, false],
    ["", false, true],
    ["foo..bar", false, true],
    [".foo", false, true],
    ["foo.", false, true],
    ["foo bar", false, true],
    ["foo\tbar", false, true],
    ["ö.ü", true, true],
  ];
  it.each(cases)("%j valid=%s literal=%s", (subject, valid, literal) => {
    expect(isValidSubject(subject)).toBe(valid);
    if (valid) expect(isLiteral(subject)).toBe(literal);
  });

  const matchCases: Array<[string, string, boolean]> = [
    ["foo.bar", "foo.bar", true],
    ["foo.*", "foo.bar", true],
    ["foo.*", "foo.bar.baz", false],
    ["foo.>", "foo.bar.baz", true],
    ["foo.>", "foo", false],
    [">", "foo", true],
    ["*.bar", "foo.bar", true],
    ["*", "foo.bar", false],
    ["foo.*.baz", "foo.x.baz", true],
    ["foo.*.baz", "foo.x.bar", false],
  ];
  it.each(matchCases)("%s matches %s: %s", (filter, subject, want) => {
    expect(subjectMatches(filter, subject)).toBe(want);
  });

  const subsetCases: Array<[string, string, boolean]> = [
    ["foo.bar", "foo.>", true],
    ["foo.*", "foo.>", true],
    ["foo.>", "foo.*", false],
    ["foo.>", "foo.>", true],
    ["foo.*", "foo.bar", false],
    [">", ">", true],
    ["foo.bar.>", "foo.*.>", true],
  ];
  it.each(subsetCases)("%s within %s: %s", (s, f, want) => {
    expect(subjectIsSubsetOf(s, f)).toBe(want);
  });

  it("intersects wildcard subjects", () => {
    expect(subjectsIntersect("foo.*", "*.bar")).toBe(true);
    expect(subjectsIntersect("foo.>", "bar.>")).toBe(false);
    expect(subjectsIntersect("foo.*", "foo.bar.baz")).toBe(false);
    expect(subjectsIntersect("foo.>", "foo.bar.baz")).toBe(true);
  });
});

describe("Sublist", () => {
  it("matches literals and wildcards", () => {
    const sl = new Sublist<TestSub>();
    const subs = [sub("lit", "foo.bar"), sub("pwc", "foo.*"), sub("fwc", "foo.>"), sub("all", ">"), sub("other", "bar.*"), sub("mid", "*.bar")];
    for (const s of subs) sl.insert(s);
    expect(ids(sl.match("foo.bar").plain)).toEqual(["all", "fwc", "lit", "mid", "pwc"]);
    expect(ids(sl.match("foo.bar.baz").plain)).toEqual(["all", "fwc"]);
    expect(ids(sl.match("foo").plain)).toEqual(["all"]);
    expect(ids(sl.match("bar.x").plain)).toEqual(["all", "other"]);
    expect(sl.match("foo..bar").plain).toEqual([]);
  });

  it("groups queue subscribers across wildcard levels", () => {
    const sl = new Sublist<TestSub>();
    sl.insert(sub("a", "jobs.*", "w"));
    sl.insert(sub("b", "jobs.>", "w"));
    sl.insert(sub("c", "jobs.x", "other"));
    sl.insert(sub("p", "jobs.x"));
    const r = sl.match("jobs.x");
    expect(ids(r.plain)).toEqual(["p"]);
    expect(r.queues.map((g) => ids(g)).sort()).toEqual([["a", "b"], ["c"]]);
  });

  it("serves repeats from the cache and invalidates on insert/remove", () => {
    const sl = new Sublist<TestSub>();
    const a = sub("a", "x.y");
    sl.insert(a);
    const first = sl.match("x.y");
    expect(sl.match("x.y")).toBe(first); // cached object
    const w = sub("w", "x.*");
    sl.insert(w);
    expect(ids(sl.match("x.y").plain)).toEqual(["a", "w"]);
    sl.remove(a);
    expect(ids(sl.match("x.y").plain)).toEqual(["w"]);
    sl.remove(w);
    expect(sl.match("x.y").plain).toEqual([]);
    expect(sl.size).toBe(0);
    expect(sl.stats().cache_hit_rate).toBeGreaterThan(0);
  });

  it("keeps the cache bounded", () => {
    const sl = new Sublist<TestSub>(16);
    sl.insert(sub("all", ">"));
    for (let i = 0; i < 1000; i++) sl.match(`s.${i}`);
    expect(sl.stats().num_cache).toBeLessThanOrEqual(16);
  });

  it("does not cache one-shot ack and inbox subjects, so repeating subjects stay cached", () => {
    const sl = new Sublist<TestSub>(16);
    sl.insert(sub("acks", "$JS.ACK.>"));
    sl.insert(sub("inbox", "_INBOX.abc.*"));
    sl.insert(sub("orders", "orders.new"));
    const hot = sl.match("orders.new");
    for (let i = 0; i < 1000; i++) {
      expect(ids(sl.match(`$JS.ACK.S.C.1.${i}.${i}.0.0`).plain)).toEqual(["acks"]);
      expect(ids(sl.match(`_INBOX.abc.${i}`).plain)).toEqual(["inbox"]);
    }
    expect(sl.stats().num_cache).toBe(1);
    expect(sl.match("orders.new")).toBe(hot); // still the cached object
    expect(isOneShot("$JS.ACK.S.C.1.1.1.0.0")).toBe(true);
    expect(isOneShot("$JS.API.INFO")).toBe(false);
  });

  it("removes only what is there and prunes empty nodes", () => {
    const sl = new Sublist<TestSub>();
    const a = sub("a", "a.b.c");
    expect(sl.remove(a)).toBe(false);
    sl.insert(a);
    expect(sl.remove(sub("a", "a.b.c"))).toBe(false); // different object
    expect(sl.remove(a)).toBe(true);
    expect(sl.all()).toEqual([]);
  });

  it("agrees with subjectMatches for random subscriptions (property)", () => {
    const token = fc.constantFrom("a", "b", "c", "*", ">");
    const subjectArb = fc.array(token, { minLength: 1, maxLength: 4 }).map((ts) => {
      const i = ts.indexOf(">");
      return (i >= 0 ? ts.slice(0, i + 1) : ts).join(".");
    });
    const literalArb = fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 4 }).map((ts) => ts.join("."));
    fc.assert(
      fc.property(fc.array(subjectArb, { maxLength: 12 }), fc.array(literalArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (subjects, pubs, removals) => {
        const sl = new Sublist<TestSub>(4);
        const live = subjects.map((s, i) => sub(String(i), s));
        for (const s of live) sl.insert(s);
        for (const p of pubs) sl.match(p); // warm the cache so removals must invalidate it
        for (const r of removals) {
          if (live.length === 0) break;
          const [gone] = live.splice(r % live.length, 1);
          sl.remove(gone!);
        }
        for (const p of pubs) {
          expect(ids(sl.match(p).plain)).toEqual(ids(live.filter((s) => subjectMatches(s.subject, p))));
        }
      }),
      { numRuns: 300 },
    );
  });
});
