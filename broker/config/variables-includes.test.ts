import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toPlain } from "./ast.js";
import { ConfigError } from "./errors.js";
import { parseConfigFile, parseConfigText, type ConfigIo } from "./parser.js";

/** In-memory files for include tests; paths are compared as written (joined with node:path). */
function memIo(files: Record<string, string>, env: Record<string, string> = {}): ConfigIo {
  return {
    env,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  };
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("variables", () => {
  const cases: Array<[string, string, Record<string, string>, unknown]> = [
    ["top-level variable", "P: 4222\nport: $P", {}, { P: 4222, port: 4222 }],
    ["equals-defined variable", "P = nats\nname = $P", {}, { P: "nats", name: "nats" }],
    ["block-local variable", "a { X: 1\n y: $X }", {}, { a: { X: 1, y: 1 } }],
    ["outer variable from inside a block", "X: 1\na { b { y: $X } }", {}, { X: 1, a: { b: { y: 1 } } }],
    ["inner shadows outer", "X: 1\na { X: 2\n y: $X }\nz: $X", {}, { X: 1, a: { X: 2, y: 2 }, z: 1 }],
    ["variable in an array", "R: nats://h:1\nroutes: [$R, x]", {}, { R: "nats://h:1", routes: ["nats://h:1", "x"] }],
    ["variable holding a block", "P: { allow: a }\nperm: $P", {}, { P: { allow: "a" }, perm: { allow: "a" } }],
    ["latest definition before the use", "X: 1\nX: 2\ny: $X", {}, { X: 2, y: 2 }],
    ["environment fallback", "port: $NATS_PORT", { NATS_PORT: "4333" }, { port: 4333 }],
    ["environment value parsed as a size", "m: $MAX", { MAX: "1MB" }, { m: 1024 * 1024 }],
    ["environment value parsed as a bool", "d: $DEBUG", { DEBUG: "true" }, { d: true }],
    ["environment text with spaces stays text", "n: $NAME", { NAME: "a b c" }, { n: "a b c" }],
    ["environment quoted text", "n: $NAME", { NAME: '"quoted"' }, { n: "quoted" }],
    ["environment chain", "x: $A", { A: "$B", B: "7" }, { x: 7 }],
    ["config wins over environment", "P: 1\nx: $P", { P: "2" }, { P: 1, x: 1 }],
    ["no interpolation inside quotes", 'x: "$P"', {}, { x: "$P" }],
  ];
  it.each(cases)("%s", (_name, text, env, expected) => {
    expect(toPlain(parseConfigText(text, "v.conf", memIo({}, env)))).toEqual(expected);
  });

  it("marks entries used as variables (so they are not reported as unknown keys)", () => {
    const root = parseConfigText("P: 1\nQ: 2\nport: $P", "v.conf", memIo({}));
    expect(root.entries.map((e) => [e.key, e.usedAsVariable])).toEqual([
      ["P", true],
      ["Q", false],
      ["port", false],
    ]);
  });

  it("reports the reference position for values taken from a variable", () => {
    const root = parseConfigText("P: abc\n\nport:  $P", "v.conf", memIo({}));
    expect(root.entries[1]!.value.pos).toEqual({ file: "v.conf", line: 3, col: 8 });
  });

  const errors: Array<[string, string, Record<string, string>, string]> = [
    ["undefined variable", "port: $NOPE", {}, 'v.conf:1:7: variable reference "$NOPE" cannot be resolved: not defined above and not in the environment'],
    ["use before definition", "port: $P\nP: 1", {}, 'v.conf:1:7: variable reference "$P" cannot be resolved: not defined above and not in the environment'],
    ["names are case-sensitive", "p: 1\nport: $P", {}, 'v.conf:2:7: variable reference "$P" cannot be resolved: not defined above and not in the environment'],
    ["sibling block is not in scope", "a { X: 1 }\nb { y: $X }", {}, 'v.conf:2:8: variable reference "$X" cannot be resolved: not defined above and not in the environment'],
    ["environment self loop", "x: $A", { A: "$A" }, 'v.conf:1:4: variable reference "$A" loops through the environment (A -> A)'],
    ["environment two-step loop", "x: $A", { A: "$B", B: "$A" }, 'v.conf:1:4: variable reference "$A" loops through the environment (A -> B -> A)'],
  ];
  it.each(errors)("error: %s", (_name, text, env, message) => {
    expect(errorOf(() => parseConfigText(text, "v.conf", memIo({}, env))).message).toBe(message);
  });
});

describe("include", () => {
  it("merges the included file's keys into the including block, relative to the including file", () => {
    const io = memIo({
      "conf/main.conf": "port: 1\ninclude 'sub/auth.conf'\nafter: 3",
      "conf/sub/auth.conf": "authorization { include \"users.conf\" }",
      "conf/sub/users.conf": "users: [{user: a, password: b}]",
    });
    expect(toPlain(parseConfigFile("conf/main.conf", io))).toEqual({
      port: 1,
      authorization: { users: [{ user: "a", password: "b" }] },
      after: 3,
    });
  });

  it("accepts bare, single- and double-quoted paths and is case-insensitive", () => {
    const io = memIo({ "m.conf": "include a.conf\nINCLUDE 'b.conf'\nInclude \"c.conf\";", "a.conf": "a: 1", "b.conf": "b: 2", "c.conf": "c: 3" });
    expect(toPlain(parseConfigFile("m.conf", io))).toEqual({ a: 1, b: 2, c: 3 });
  });

  it("lets later keys override included ones and included files see only their own variables", () => {
    const io = memIo({ "m.conf": "X: 1\ninclude 'i.conf'\nport: 9", "i.conf": "port: 5\ny: $X" }, {});
    expect(errorOf(() => parseConfigFile("m.conf", io)).message).toBe(
      'i.conf:2:4: variable reference "$X" cannot be resolved: not defined above and not in the environment',
    );
    const ok = memIo({ "m.conf": "include 'i.conf'\nport: 9\nz: $Y", "i.conf": "port: 5\nY: 7" });
    const root = parseConfigFile("m.conf", ok);
    expect(root.entries.map((e) => e.key)).toEqual(["port", "Y", "port", "z"]);
    expect(toPlain(root)).toEqual({ port: 9, Y: 7, z: 7 });
  });

  it("reports errors inside an included file with that file's name", () => {
    const io = memIo({ "d/m.conf": "a: 1\ninclude 'bad.conf'", "d/bad.conf": "\n\nx: [1 2]" });
    expect(errorOf(() => parseConfigFile("d/m.conf", io)).message).toBe(
      "d/bad.conf:3:7: expected ',', new line or ']' after an array value, got '2'",
    );
  });

  it("reports a missing include at the include's position", () => {
    const io = memIo({ "m.conf": "a: 1\ninclude  'gone.conf'" });
    expect(errorOf(() => parseConfigFile("m.conf", io)).message).toBe(
      "m.conf:2:10: cannot read included file gone.conf: ENOENT: no such file or directory, open 'gone.conf'",
    );
  });

  it("stops include cycles at the depth limit", () => {
    const io = memIo({ "a.conf": "include b.conf", "b.conf": "include a.conf" });
    expect(errorOf(() => parseConfigFile("a.conf", io)).detail).toMatch(/includes nested more than 10 deep \(an include cycle\?\)/);
  });

  it("reports a missing main config file without a position", () => {
    const err = errorOf(() => parseConfigFile("nope.conf", memIo({})));
    expect(err.pos).toBeUndefined();
    expect(err.message).toBe("cannot read config file nope.conf: ENOENT: no such file or directory, open 'nope.conf'");
  });

  it("reads real files relative to the including file", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-conf-"));
    writeFileSync(join(dir, "main.conf"), "include ./part.conf\nport: $P\n");
    writeFileSync(join(dir, "part.conf"), "P: 4999\n");
    expect(toPlain(parseConfigFile(join(dir, "main.conf")))).toEqual({ P: 4999, port: 4999 });
  });

  it("rejects an include without a path", () => {
    expect(errorOf(() => parseConfigText("include [a]", "m.conf", memIo({}))).message).toBe(
      "m.conf:1:9: include: expected a file path, got '['",
    );
  });
});
