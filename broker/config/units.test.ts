import { describe, expect, it } from "vitest";
import { editDistance, suggest } from "./errors.js";
import { formatDurationMs, parseGoDurationMs, parseSizeString } from "./units.js";

describe("parseSizeString (quoted sizes, 1024-based like nats-server's getStorageSize)", () => {
  const cases: Array<[string, number | undefined]> = [
    ["0", 0],
    ["1024", 1024],
    ["1K", 1024],
    ["1k", 1024],
    ["1KB", 1024],
    ["1KiB", 1024],
    ["2M", 2 * 1024 ** 2],
    ["1G", 1024 ** 3],
    ["10G", 10 * 1024 ** 3],
    ["1T", 1024 ** 4],
    ["1 GB", 1024 ** 3],
    [" 5m ", 5 * 1024 ** 2],
    ["3B", 3],
    ["", undefined],
    ["abc", undefined],
    ["1.5G", undefined],
    ["-1G", undefined],
    ["1X", undefined],
    ["1KBB", undefined],
    ["99999999E", undefined],
  ];
  it.each(cases)("%j → %j", (text, bytes) => expect(parseSizeString(text)).toBe(bytes));
});

describe("parseGoDurationMs (Go's time.ParseDuration)", () => {
  const cases: Array<[string, number | undefined]> = [
    ["0", 0],
    ["2m", 120_000],
    ["500ms", 500],
    ["10s", 10_000],
    ["1h", 3_600_000],
    ["1h2m3s", 3_723_000],
    ["1.5s", 1_500],
    [".5s", 500],
    ["1500us", 2],
    ["1500µs", 2],
    ["3000000ns", 3],
    ["-1s", -1_000],
    ["+2s", 2_000],
    ["", undefined],
    ["2", undefined],
    ["2 m", undefined],
    ["1d", undefined],
    ["abc", undefined],
    ["s", undefined],
  ];
  it.each(cases)("%j → %j", (text, ms) => expect(parseGoDurationMs(text)).toBe(ms));
});

describe("formatDurationMs (Go's Duration.String)", () => {
  const cases: Array<[number, string]> = [
    [0, "0s"],
    [500, "500ms"],
    [10_000, "10s"],
    [1_500, "1.5s"],
    [120_000, "2m0s"],
    [3_723_000, "1h2m3s"],
  ];
  it.each(cases)("%d → %s", (ms, text) => expect(formatDurationMs(ms)).toBe(text));
});

describe("suggestions for misspelt keys", () => {
  const known = ["max_payload", "max_pending", "port", "store_dir", "max_connections", "ping_interval"];
  const cases: Array<[string, string | undefined]> = [
    ["max_paylod", "max_payload"],
    ["MAX_PAYLAOD", "max_payload"],
    ["prot", "port"],
    ["sotre_dir", "store_dir"],
    ["ping_intervall", "ping_interval"],
    ["max_conections", "max_connections"],
    ["store", "store_dir"],
    ["completely_different", undefined],
    ["xyz", undefined],
  ];
  it.each(cases)("%s → %s", (typo, hint) => expect(suggest(typo, known)).toBe(hint));

  it("bounds the edit distance", () => {
    expect(editDistance("kitten", "sitting", 5)).toBe(3);
    expect(editDistance("a", "abcdefgh", 2)).toBe(3);
  });
});
