import { describe, expect, it } from "vitest";
import { toPlain } from "./ast.js";
import { ConfigError } from "./errors.js";
import { parseConfigText, type ConfigIo } from "./parser.js";

const noIo: ConfigIo = { env: {}, readFile: () => { throw new Error("no files in this test"); } };
const parse = (text: string, env: Record<string, string> = {}): unknown => toPlain(parseConfigText(text, "t.conf", { ...noIo, env }));

describe("config syntax", () => {
  const cases: Array<[string, string, unknown]> = [
    ["colon separator", "port: 4222", { port: 4222 }],
    ["equals separator", "port = 4222", { port: 4222 }],
    ["space separator", "port 4222", { port: 4222 }],
    ["no space after colon", "port:4222", { port: 4222 }],
    ["semicolon terminators", "a: 1; b: 2;", { a: 1, b: 2 }],
    ["comma terminators", "a: 1, b: 2", { a: 1, b: 2 }],
    ["hash comment", "# hello\na: 1 # trailing\n", { a: 1 }],
    ["slash comment", "// hello\na: 1 // trailing", { a: 1 }],
    ["blank lines and CRLF", "\r\n\r\na: 1\r\nb: 2\r\n", { a: 1, b: 2 }],
    ["key case preserved", "Max_Payload: 1", { Max_Payload: 1 }],
    ["quoted keys", `"a b": 1\n'c': 2`, { "a b": 1, c: 2 }],
    ["block without separator", "a { b: 1 }", { a: { b: 1 } }],
    ["block with colon", "a: { b: 1 }", { a: { b: 1 } }],
    ["key runs to whitespace or separator", "a,b: 1\nc{d: 2", { "a,b": 1, "c{d": 2 }],
    ["stray top-level } after a value is ignored", "a: 1}\nb: 2", { a: 1, b: 2 }],
    ["multi-line block", "a {\n  b: 1\n  c = 2\n}\n", { a: { b: 1, c: 2 } }],
    ["nested blocks", "a { b { c { d: 1 } } }", { a: { b: { c: { d: 1 } } } }],
    ["block entries with commas", "a { b: 1, c: 2, }", { a: { b: 1, c: 2 } }],
    ["empty block", "a {}", { a: {} }],
    ["whole file in braces", "{\n a: 1\n b: 2\n}\n", { a: 1, b: 2 }],
    ["braces at top level are skipped (nats-server)", "{ a: 1 }\nb: 2\n}\n{", { a: 1, b: 2 }],
    ["block on the line after its key", "authorization\n{\n  user: a\n}", { authorization: { user: "a" } }],
    ["separator on the line after the key", "listen\n: 1", { listen: 1 }],
    ["value on the line after the separator inside a block", "a {\n b:\n   1\n}", { a: { b: 1 } }],
    ["bare string", "a: hello", { a: "hello" }],
    ["bare string with colon", "listen: 0.0.0.0:4222", { listen: "0.0.0.0:4222" }],
    ["bare url", "r: nats-route://h:6222", { r: "nats-route://h:6222" }],
    ["bare path", "d: /var/lib/nats", { d: "/var/lib/nats" }],
    ["single quotes are raw", String.raw`a: 'x\ny'`, { a: String.raw`x\ny` }],
    ["double quote escapes", String.raw`a: "t\tn\nr\rq\"b\\x\x41"`, { a: 't\tn\nr\rq"b\\xA' }],
    ["escape in bare string", String.raw`a: x\ty`, { a: "x\ty" }],
    ["double-quoted keeps # and ;", `a: "x # y; z"`, { a: "x # y; z" }],
    ["multi-line double-quoted", `a: "x\ny"`, { a: "x\ny" }],
    ["block string", "a: (\nline one\nline two\n)\nb: 1", { a: "\nline one\nline two", b: 1 }],
    ["integer", "a: 42", { a: 42 }],
    ["negative integer", "a: -1", { a: -1 }],
    ["float", "a: 2.5", { a: 2.5 }],
    ["negative float", "a: -0.25", { a: -0.25 }],
    ["ip stays a string", "a: 127.0.0.1", { a: "127.0.0.1" }],
    ["number-led text stays a string", "a: 10s", { a: "10s" }],
    ["500ms stays a string", "a: 500ms", { a: "500ms" }],
    ["k = 1000", "a: 2k", { a: 2000 }],
    ["K = 1000", "a: 2K", { a: 2000 }],
    ["kb = 1024", "a: 2kb", { a: 2048 }],
    ["ki = 1024", "a: 2ki", { a: 2048 }],
    ["KiB = 1024", "a: 2KiB", { a: 2048 }],
    ["m = 1e6", "a: 3m", { a: 3_000_000 }],
    ["MB = 1024^2", "a: 3MB", { a: 3 * 1024 ** 2 }],
    ["mib", "a: 1mib", { a: 1024 ** 2 }],
    ["g", "a: 1g", { a: 1e9 }],
    ["GB", "a: 1GB", { a: 1024 ** 3 }],
    ["t", "a: 1t", { a: 1e12 }],
    ["TB", "a: 1TB", { a: 1024 ** 4 }],
    ["p", "a: 1p", { a: 1e15 }],
    ["invalid suffix combination stays a string", "a: 1kbi", { a: "1kbi" }],
    ["bools", "a: true\nb: FALSE\nc: yes\nd: no\ne: on\nf: Off", { a: true, b: false, c: true, d: false, e: true, f: false }],
    ["quoted bool is a string", `a: "true"`, { a: "true" }],
    ["datetime", "a: 2024-01-02T03:04:05Z", { a: new Date("2024-01-02T03:04:05Z") }],
    ["array with commas", "a: [1, 2, 3]", { a: [1, 2, 3] }],
    ["array with new lines", "a: [\n 1\n 2\n]", { a: [1, 2] }],
    ["array mixed separators and trailing comma", "a: [1,\n 2, 3,\n]", { a: [1, 2, 3] }],
    ["array with comments", "a: [ # first\n x // second\n y ]", { a: ["x", "y"] }],
    ["empty array", "a: []", { a: [] }],
    ["nested arrays", "a: [[1], [2, [3]]]", { a: [[1], [2, [3]]] }],
    ["array of maps", "a: [{b: 1}, {c: 2}]", { a: [{ b: 1 }, { c: 2 }] }],
    ["map value in array without commas", "a: [\n {b: 1}\n {c: 2}\n]", { a: [{ b: 1 }, { c: 2 }] }],
    ["bcrypt hash is a literal", "p: $2a$11$abc.def/ghi", { p: "$2a$11$abc.def/ghi" }],
    ["$2b$ bcrypt literal", "p: $2b$10$xyz", { p: "$2b$10$xyz" }],
    ["last duplicate wins in plain form", "a: 1\na: 2", { a: 2 }],
    ["empty file", "", {}],
    ["only comments", "# a\n// b\n", {}],
    ["utf-8 text", "name: \"héllo wörld\"", { name: "héllo wörld" }],
  ];
  it.each(cases)("%s", (_name, text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it("records file, line and column for keys and values", () => {
    const root = parseConfigText("a: 1\n  b {\n    c: 'x'\n  }", "f.conf", noIo);
    const b = root.entries[1]!;
    expect(b.keyPos).toEqual({ file: "f.conf", line: 2, col: 3 });
    expect(b.value.kind).toBe("map");
    if (b.value.kind !== "map") return;
    const c = b.value.entries[0]!;
    expect(c.keyPos).toEqual({ file: "f.conf", line: 3, col: 5 });
    expect(c.value.pos).toEqual({ file: "f.conf", line: 3, col: 8 });
  });

  it("keeps the raw text of sized integers", () => {
    const root = parseConfigText("a: 64MB", "f.conf", noIo);
    const v = root.entries[0]!.value;
    expect(v).toMatchObject({ kind: "int", value: 64 * 1024 * 1024, raw: "64MB" });
  });
});

describe("syntax errors name file, line and column", () => {
  const cases: Array<[string, string, string]> = [
    ["unterminated double quote", 'a: "abc', 't.conf:1:4: unterminated string (missing closing ")'],
    ["unterminated single quote", "a: 'abc", "t.conf:1:4: unterminated string (missing closing ')"],
    ["unterminated block", "a {\n b: 1\n", "t.conf:3:1: unexpected end of file: missing '}' for the block opened at line 1"],
    ["unterminated array", "a: [1, 2", "t.conf:1:9: unexpected end of file: missing ']' for the array opened at line 1"],
    ["key glued to a block", "a{ b: 1 }", "t.conf:1:7: expected a new line, ';' or ',' after the value, got '1'"],
    ["key without value", "a: \nb: 1", 't.conf:1:1: key "a" has no value'],
    ["key at end of file", "a", 't.conf:1:1: key "a" has no value'],
    ["key before a closing brace", "x { a }", 't.conf:1:5: key "a" has no value'],
    ["top-level value on the line after the separator", "a:\n1", 't.conf:1:1: key "a" has no value'],
    ["key with separator and no value", "a:\n", 't.conf:1:1: key "a" has no value'],
    ["key followed by comment only", "a: # nothing", 't.conf:1:1: key "a" has no value'],
    ["two values on a line", "a: 1 2", "t.conf:1:6: expected a new line, ';' or ',' after the value, got '2'"],
    ["empty array slot", "a: [1,,2]", "t.conf:1:7: unexpected ',' in array: expected a value"],
    ["garbage after array value", "a: [1 2]", "t.conf:1:7: expected ',', new line or ']' after an array value, got '2'"],
    ["bad escape", String.raw`a: "\q"`, String.raw`t.conf:1:5: invalid escape '\q': only \t \n \r \" \\ and \xHH are allowed`],
    ["bad hex escape", String.raw`a: "\xZZ"`, String.raw`t.conf:1:5: invalid escape: expected two hexadecimal digits after '\x'`],
    ["integer out of range", "a: 99999999999999999999", "t.conf:1:4: integer 99999999999999999999 is out of range (at most 9007199254740991)"],
    ["sized integer out of range", "a: 100000e", "t.conf:1:4: integer 100000e is out of range (at most 9007199254740991)"],
    ["invalid datetime", "a: 2024-13-45T99:99:99Z", "t.conf:1:4: invalid datetime 2024-13-45T99:99:99Z"],
    ["value is a separator", "a: ;", "t.conf:1:4: expected a value, got ';'"],
    ["lone $", "a: $", "t.conf:1:4: expected a variable name after '$'"],
    ["unterminated block string", "a: (\nxyz", "t.conf:1:4: unterminated block string: expected ')' alone on a line"],
    ["key starting with separator", ": 1", "t.conf:1:1: expected a key, got ':'"],
    ["key starting with a terminator", "; a: 1", "t.conf:1:6: expected a new line, ';' or ',' after the value, got '1'"],
    ["unterminated quoted key", '"abc', "t.conf:1:1: unterminated quoted key"],
  ];
  it.each(cases)("%s", (_name, text, message) => {
    let error: unknown;
    try {
      parseConfigText(text, "t.conf", noIo);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(message);
  });

  it("rejects nesting deeper than the limit without overflowing the stack", () => {
    expect(() => parseConfigText("a: " + "[".repeat(100_000), "t.conf", noIo)).toThrow(/nested more than 64 deep/);
    expect(() => parseConfigText("a " + "{ b ".repeat(100_000), "t.conf", noIo)).toThrow(/nested more than 64 deep/);
  });
});
