/**
 * Parser for nats-server's config syntax: entries (`key: value`, `key = value`, `key value`),
 * blocks, arrays, `$variables` and `include`. Produces a `ConfMap` whose values carry positions.
 *
 * Variables resolve like nats-server's conf/parse.go: the innermost enclosing block first, then
 * outward, then the environment (whose text is itself parsed as a value, so `PORT=4222` gives an
 * int). Only entries defined *before* the reference are visible. An included file is parsed on its
 * own (its own variable scope) and its entries are merged into the block holding the `include`.
 *
 * File access goes through `ConfigIo` so tests (and the fuzzer) need no real files.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { withPos, type ConfEntry, type ConfMap, type ConfValue } from "./ast.js";
import { ConfigError, type Pos } from "./errors.js";
import { Lexer } from "./lexer.js";

export interface ConfigIo {
  /** Environment for `$VAR` fallback lookups. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a whole file as UTF-8; throws (any error) when it cannot. */
  readonly readFile: (path: string) => string;
}

export const parserLimits = {
  /** Blocks and arrays nested deeper than this are rejected (stack safety). */
  nestingDepthMax: 64,
  /** nats-server has no limit; a cycle (`a` includes `b` includes `a`) would otherwise recurse forever. */
  includeDepthMax: 10,
  /** Config files are small; anything larger is a mistake (a log file passed with -c). */
  fileBytesMax: 8 * 1024 * 1024,
  /** `$A` whose environment value is `$B` whose value is `$A`... */
  envDepthMax: 8,
} as const;

export const defaultConfigIo: ConfigIo = {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
};

export function parseConfigFile(file: string, io: ConfigIo = defaultConfigIo): ConfMap {
  return parseConfigText(readConfigFile(file, io, undefined), file, io);
}

export function parseConfigText(text: string, file: string, io: ConfigIo = defaultConfigIo): ConfMap {
  return new Parser(text, file, io, 0, []).parseDocument();
}

function readConfigFile(file: string, io: ConfigIo, from: Pos | undefined): string {
  let text: string;
  try {
    text = io.readFile(file);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConfigError(`cannot read ${from === undefined ? "config file" : "included file"} ${file}: ${why}`, from);
  }
  if (text.length > parserLimits.fileBytesMax) {
    throw new ConfigError(`${file} is larger than ${parserLimits.fileBytesMax} bytes; is it really a config file?`, from);
  }
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}

class Parser {
  private readonly lx: Lexer;
  /** Entry lists of the blocks enclosing the current position, innermost last. */
  private readonly scopes: ConfEntry[][] = [];

  constructor(
    text: string,
    private readonly file: string,
    private readonly io: ConfigIo,
    private readonly includeDepth: number,
    /** Environment variables being resolved right now (cycle detection). */
    private readonly envChain: readonly string[],
  ) {
    this.lx = new Lexer(text, file);
  }

  parseDocument(): ConfMap {
    const pos = this.lx.pos();
    const entries: ConfEntry[] = [];
    this.parseEntries(entries, undefined, 0);
    return { kind: "map", entries, pos };
  }

  /**
   * Entries up to the `}` matching `open` (consumed), or up to end of input when `open` is
   * undefined. At the top level nats-server skips `{` and `}` where a key could start, which is
   * how files wrapped in braces (JSON-like configs) parse; we do the same.
   */
  private parseEntries(entries: ConfEntry[], open: Pos | undefined, depth: number): void {
    this.scopes.push(entries);
    try {
      for (;;) {
        this.lx.skipGaps();
        const c = this.lx.peek();
        if (c === "") {
          if (open !== undefined) this.lx.fail(`unexpected end of file: missing '}' for the block opened at line ${open.line}`);
          return;
        }
        if (open === undefined && (c === "{" || c === "}")) {
          this.lx.advance();
          continue;
        }
        if (c === "}") {
          this.lx.advance();
          return;
        }
        this.parseEntry(entries, depth, open !== undefined);
        this.endOfValue(open !== undefined);
      }
    } finally {
      this.scopes.pop();
    }
  }

  private parseEntry(entries: ConfEntry[], depth: number, inBlock: boolean): void {
    const key = this.lx.readKey();
    if (!key.quoted && key.text.toLowerCase() === "include" && /[ \t]/.test(this.lx.peek())) {
      this.lx.skipBlanks();
      const { path, pos } = this.lx.readIncludePath();
      entries.push(...this.include(path, pos));
      return;
    }
    // As nats-server: new lines may come between a key and its separator or value
    // (`authorization\n{`), and inside blocks also between the separator and the value.
    this.lx.skipSpace();
    const sep = this.lx.peek();
    if (sep === ":" || sep === "=") {
      this.lx.advance();
      if (inBlock) this.lx.skipSpace();
      else this.lx.skipBlanks();
    }
    if (this.lx.atEnd() || this.lx.atNewline() || this.lx.atComment() || (this.lx.peek() === "}" && inBlock)) {
      this.lx.fail(`key "${key.text}" has no value`, key.pos);
    }
    const value = this.parseValue(depth + 1);
    entries.push({ key: key.text, keyPos: key.pos, value, usedAsVariable: false });
  }

  /** After a value: blanks, then a comment, new line, `;`, `,`, or the block's `}` (left in place). */
  private endOfValue(inBlock: boolean): void {
    this.lx.skipBlanks();
    const c = this.lx.peek();
    if (this.lx.atComment()) this.lx.skipComment();
    else if (c === ";" || c === ",") this.lx.advance();
    else if (c === "" || this.lx.atNewline() || (c === "}" && inBlock)) return;
    else if (c === "}") this.lx.advance(); // nats-server tolerates a stray top-level '}' after a value
    else this.lx.fail(`expected a new line, ';' or ',' after the value, got ${this.lx.describeNext()}`);
  }

  private parseValue(depth: number): ConfValue {
    if (depth > parserLimits.nestingDepthMax) {
      this.lx.fail(`blocks and arrays nested more than ${parserLimits.nestingDepthMax} deep`);
    }
    const t = this.lx.readValue();
    switch (t.type) {
      case "arrayStart":
        return { kind: "array", items: this.parseArrayItems(t.pos, depth), pos: t.pos };
      case "mapStart": {
        const entries: ConfEntry[] = [];
        this.parseEntries(entries, t.pos, depth);
        return { kind: "map", entries, pos: t.pos };
      }
      case "variable":
        return this.resolveVariable(t.name, t.pos);
      case "string":
        return { kind: "string", value: t.value, pos: t.pos };
      default:
        return { kind: t.type, value: t.value, raw: t.raw, pos: t.pos } as ConfValue;
    }
  }

  private parseArrayItems(open: Pos, depth: number): ConfValue[] {
    const items: ConfValue[] = [];
    for (;;) {
      this.lx.skipGaps();
      const c = this.lx.peek();
      if (c === "]") {
        this.lx.advance();
        return items;
      }
      if (c === "") this.lx.fail(`unexpected end of file: missing ']' for the array opened at line ${open.line}`);
      if (c === ",") this.lx.fail("unexpected ',' in array: expected a value");
      items.push(this.parseValue(depth + 1));
      this.lx.skipBlanks();
      if (this.lx.atComment()) this.lx.skipComment();
      const after = this.lx.peek();
      if (after === ",") this.lx.advance();
      else if (after === "]" || after === "") continue;
      else if (!this.lx.atNewline()) {
        this.lx.fail(`expected ',', new line or ']' after an array value, got ${this.lx.describeNext()}`);
      }
    }
  }

  private resolveVariable(name: string, pos: Pos): ConfValue {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const scope = this.scopes[i] ?? [];
      for (let j = scope.length - 1; j >= 0; j--) {
        const entry = scope[j];
        if (entry !== undefined && entry.key === name) {
          entry.usedAsVariable = true;
          return withPos(entry.value, pos);
        }
      }
    }
    const fromEnv = this.io.env[name];
    if (fromEnv === undefined) {
      throw new ConfigError(`variable reference "$${name}" cannot be resolved: not defined above and not in the environment`, pos);
    }
    if (this.envChain.includes(name) || this.envChain.length >= parserLimits.envDepthMax) {
      throw new ConfigError(`variable reference "$${name}" loops through the environment (${[...this.envChain, name].join(" -> ")})`, pos);
    }
    return withPos(this.parseEnvValue(name, fromEnv, pos), pos);
  }

  /** An environment value is parsed as a config value; text that does not parse is a plain string. */
  private parseEnvValue(name: string, text: string, pos: Pos): ConfValue {
    const parser = new Parser(`v=${text}`, `$${name} (environment)`, this.io, this.includeDepth, [...this.envChain, name]);
    let parsed: ConfMap;
    try {
      parsed = parser.parseDocument();
    } catch (err) {
      // A loop or bad reference inside the value is a real error; other syntax means "just text".
      // Reported at the reference in the config file, which is where the user can act.
      if (err instanceof ConfigError && err.detail.startsWith("variable reference")) throw new ConfigError(err.detail, pos);
      return { kind: "string", value: text, pos };
    }
    const only = parsed.entries.length === 1 ? parsed.entries[0] : undefined;
    return only !== undefined && only.key === "v" ? only.value : { kind: "string", value: text, pos };
  }

  private include(path: string, pos: Pos): ConfEntry[] {
    if (path === "") this.lx.fail("include: empty file path", pos);
    if (this.includeDepth + 1 > parserLimits.includeDepthMax) {
      throw new ConfigError(`include "${path}": includes nested more than ${parserLimits.includeDepthMax} deep (an include cycle?)`, pos);
    }
    const target = isAbsolute(path) ? path : join(dirname(this.file), path);
    const text = readConfigFile(target, this.io, pos);
    return [...new Parser(text, target, this.io, this.includeDepth + 1, this.envChain).parseDocument().entries];
  }
}
