/**
 * Property tests: (1) arbitrary input never makes the parser or the loader throw anything but
 * ConfigError (the loader never throws at all); (2) generated documents, written in any of the
 * syntax's styles, parse back to the values they were generated from. Fixed seeds keep CI
 * deterministic; a failure prints the counterexample.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toPlain } from "./ast.js";
import { ConfigError } from "./errors.js";
import { parseConfigText, type ConfigIo } from "./parser.js";
import { load } from "./test-helpers.js";

const io: ConfigIo = {
  env: { HOME: "/root", PORT: "4222", LOOP: "$LOOP", SIZE: "1MB" },
  readFile: (path) => {
    if (path.endsWith("inc.conf")) return "port: 1\ninclude inc.conf\n";
    throw new Error(`ENOENT ${path}`);
  },
};

/** Text biased towards the syntax's special characters so the fuzzer reaches deep states. */
const syntaxChar = fc.constantFrom(
  ..."{}[]():=;,#/\\\"'$ \t\n\r.-_*>0123456789abcdefkmgtKMGTiIbBxZ".split(""),
  "include ",
  "true",
  "$2a$",
  "//",
  "\\x4",
  "2024-01-02T03:04:05Z",
  "port",
  "max_payload",
  "jetstream",
  "authorization",
  "users",
  "é",
  "\u0000",
);
const fuzzText = fc.oneof(
  fc.array(syntaxChar, { maxLength: 200 }).map((parts) => parts.join("")),
  fc.string({ maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 100 }),
);

describe("fuzz: bad input only ever produces ConfigError", () => {
  it("parser", () => {
    fc.assert(
      fc.property(fuzzText, (text) => {
        try {
          parseConfigText(text, "fuzz.conf", io);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          expect(err.message.startsWith("fuzz.conf:") || err.message.includes("inc.conf")).toBe(true);
        }
      }),
      { seed: 20251125, numRuns: 3000 },
    );
  });

  it("whole loader (config file → options), never throws", () => {
    fc.assert(
      fc.property(fuzzText, (text) => {
        const r = load({ conf: text, env: { PORT: "4222" } });
        expect(["ok", "exit"]).toContain(r.kind);
        if (r.kind === "exit") expect(r.code).toBe(1);
      }),
      { seed: 1125, numRuns: 3000 },
    );
  });

  it("loader with random argv never throws", () => {
    const arg = fc.oneof(
      fc.constantFrom("-p", "-js", "-sd", "-DV", "--cluster", "--routes", "--tls", "-c", "-t", "--user", "--pass", "-m", "--", "-", "help", "-v", "-x", "--port=", "-T=false"),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 8 }), (argv) => {
        const r = load({ argv });
        expect(["ok", "exit"]).toContain(r.kind);
      }),
      { seed: 77, numRuns: 3000 },
    );
  });
});

type Plain = number | string | boolean | Plain[] | { [key: string]: Plain };

const BARE_SAFE = /^[a-z][a-z0-9_./]*$/;
const RESERVED = new Set(["true", "false", "yes", "no", "on", "off", "include"]);
const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((k) => !RESERVED.has(k));
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.stringMatching(/^[a-z][a-z0-9_./]{0,10}$/));
const scalar: fc.Arbitrary<Plain> = fc.oneof(
  fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
  fc.integer({ min: 0, max: 100_000 }).map((n) => Number((n / 100 + 0.5).toFixed(2))),
  fc.boolean(),
  text,
);
const { tree } = fc.letrec<{ tree: Plain; map: Record<string, Plain> }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, fc.array(tie("tree"), { maxLength: 4 }), tie("map")),
  map: fc.dictionary(key, tie("tree"), { maxKeys: 4 }),
}));
const document = fc.dictionary(key, tree, { maxKeys: 6 });

interface Style {
  sep: string;
  term: string;
  arraySep: string;
  quote: "double" | "single" | "bare";
  comment: boolean;
}
const style: fc.Arbitrary<Style> = fc.record({
  sep: fc.constantFrom(": ", " = ", " ", ":", "="),
  term: fc.constantFrom("\n", ";\n", ",\n", "; ", ", ", "\n\n"),
  arraySep: fc.constantFrom(", ", ",", "\n", ",\n"),
  quote: fc.constantFrom("double", "single", "bare"),
  comment: fc.boolean(),
});

function writeString(s: string, st: Style): string {
  if (st.quote === "bare" && BARE_SAFE.test(s) && !RESERVED.has(s)) return s;
  if (st.quote === "single" && !s.includes("'")) return `'${s}'`;
  const escaped = [...s]
    .map((c) => {
      if (c === "\\") return "\\\\";
      if (c === '"') return '\\"';
      if (c === "\n") return "\\n";
      if (c === "\t") return "\\t";
      if (c === "\r") return "\\r";
      if (c.charCodeAt(0) < 0x20) return "\\x" + c.charCodeAt(0).toString(16).padStart(2, "0");
      return c;
    })
    .join("");
  return `"${escaped}"`;
}

function writeValue(v: Plain, st: Style): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return writeString(v, st);
  if (Array.isArray(v)) return `[${v.map((x) => writeValue(x, st)).join(st.arraySep)}]`;
  return `{\n${writeEntries(v, st)}}`;
}

function writeEntries(m: Record<string, Plain>, st: Style): string {
  return Object.entries(m)
    .map(([k, v]) => (st.comment ? `# about ${k}\n` : "") + `${k}${st.sep}${writeValue(v, st)}${st.term}`)
    .join("");
}

describe("property: generated documents parse back to their values", () => {
  it("round-trips in every separator, terminator and quoting style", () => {
    fc.assert(
      fc.property(document, style, (doc, st) => {
        const source = writeEntries(doc, st);
        expect(toPlain(parseConfigText(source, "gen.conf", io))).toEqual(doc);
      }),
      { seed: 4222, numRuns: 1500 },
    );
  });
});
