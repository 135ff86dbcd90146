import { describe, expect, it } from "vitest";
import { compileFilter, isLiteralSubject, subjectMatches } from "./subject_match.js";

describe("subjectMatches", () => {
  it.each([
    ["foo.bar", "foo.bar", true],
    ["foo.bar", "foo.baz", false],
    ["foo.*", "foo.bar", true],
    ["foo.*", "foo.bar.baz", false],
    ["foo.*", "foo", false],
    ["foo.>", "foo.bar", true],
    ["foo.>", "foo.bar.baz", true],
    ["foo.>", "foo", false],
    ["*.bar", "foo.bar", true],
    ["*.*", "a.b", true],
    ["*.*", "a", false],
    [">", "anything.at.all", true],
    ["*", "one", true],
    ["*", "one.two", false],
    ["a.*.c.>", "a.b.c.d.e", true],
    ["a.*.c.>", "a.b.x.d", false],
  ])("filter %s vs %s -> %s", (filter, subject, want) => {
    expect(subjectMatches(filter, subject)).toBe(want);
    expect(compileFilter(filter)(subject)).toBe(want);
  });

  it("classifies literal filters", () => {
    expect(isLiteralSubject("a.b")).toBe(true);
    expect(isLiteralSubject("a.*")).toBe(false);
    expect(isLiteralSubject("a.>")).toBe(false);
    expect(isLiteralSubject("a.b*")).toBe(true);
  });
});
