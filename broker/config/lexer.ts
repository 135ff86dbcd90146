/**
 * Lexer for nats-server's config syntax. The grammar is context sensitive (a bare `a:b` is a key
 * and separator at the start of an entry but a plain string in value position), so the parser
 * asks for the token it expects: `readKey()`, `readValue()`, `readIncludePath()`. Pure: no I/O.
 *
 * Value rules follow nats-server's conf/lex.go: bare strings run to whitespace, new line, `;`,
 * `,`, `]`, `}` or end of input; `true/false/yes/no/on/off` are booleans; `$name` is a variable;
 * numbers may carry size suffixes (`k m g t p e` = 1000s, `kb ki kib ...` = 1024s); anything that
 * starts like a number but is not one (`127.0.0.1:4222`, `500ms`) is a string.
 */
import { ConfigError, type Pos } from "./errors.js";

export type ValueToken =
  | { type: "arrayStart" | "mapStart"; pos: Pos }
  | { type: "string"; value: string; pos: Pos }
  | { type: "int"; value: number; raw: string; pos: Pos }
  | { type: "float"; value: number; raw: string; pos: Pos }
  | { type: "bool"; value: boolean; raw: string; pos: Pos }
  | { type: "datetime"; value: Date; raw: string; pos: Pos }
  | { type: "variable"; name: string; pos: Pos };

export interface KeyToken {
  text: string;
  pos: Pos;
  quoted: boolean;
}

const BOOLS: Record<string, boolean> = { true: true, yes: true, on: true, false: false, no: false, off: false };
/** bcrypt hashes start with `$2a$`, `$2b$`, `$2y$`: written bare they are strings, not variables. */
const BCRYPT = /^\$2[aby]\$/;
const INT = /^-?\d+$/;
const SIZED_INT = /^(-?\d+)([kmgtpe])(b|i|ib)?$/i;
const FLOAT = /^-?\d+\.\d+$/;
const DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const SUFFIX_POWER: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

function isBlank(c: string): boolean {
  return c === " " || c === "\t";
}
function isNewline(c: string): boolean {
  return c === "\n" || c === "\r";
}
/** Characters that end a bare value. */
function endsBareValue(c: string): boolean {
  return c === "" || isBlank(c) || isNewline(c) || c === ";" || c === "," || c === "]" || c === "}";
}
/**
 * Characters that end a bare key. As in nats-server, only whitespace and the separators do:
 * `a,b: 1` is the (unknown) key "a,b", and `cluster{` does not open a block.
 */
function endsBareKey(c: string): boolean {
  return c === "" || isBlank(c) || isNewline(c) || c === ":" || c === "=";
}

export class Lexer {
  private offset = 0;
  private line = 1;
  private lineStart = 0;

  constructor(
    private readonly input: string,
    readonly file: string,
  ) {}

  pos(): Pos {
    return { file: this.file, line: this.line, col: this.offset - this.lineStart + 1 };
  }

  peek(ahead = 0): string {
    return this.input.charAt(this.offset + ahead);
  }

  atEnd(): boolean {
    return this.offset >= this.input.length;
  }

  /** Consumes one character, keeping line/column bookkeeping. */
  advance(): string {
    const c = this.input.charAt(this.offset);
    if (c === "") return c;
    this.offset++;
    if (c === "\n") {
      this.line++;
      this.lineStart = this.offset;
    }
    return c;
  }

  fail(detail: string, pos: Pos = this.pos()): never {
    throw new ConfigError(detail, pos);
  }

  /** Describes the next character for error messages. */
  describeNext(): string {
    const c = this.peek();
    if (c === "") return "end of file";
    if (isNewline(c)) return "new line";
    return `'${c}'`;
  }

  skipBlanks(): void {
    while (isBlank(this.peek())) this.advance();
  }

  /** Skips blanks and new lines (not comments). */
  skipSpace(): void {
    while (isBlank(this.peek()) || isNewline(this.peek())) this.advance();
  }

  atComment(): boolean {
    return this.peek() === "#" || (this.peek() === "/" && this.peek(1) === "/");
  }

  atNewline(): boolean {
    return isNewline(this.peek());
  }

  /** Skips a comment up to (not including) the end of its line. */
  skipComment(): void {
    while (!this.atEnd() && !this.atNewline()) this.advance();
  }

  /** Skips blanks, new lines and comments: the gaps between entries and between array items. */
  skipGaps(): void {
    for (;;) {
      const c = this.peek();
      if (isBlank(c) || isNewline(c)) this.advance();
      else if (this.atComment()) this.skipComment();
      else return;
    }
  }

  readKey(): KeyToken {
    const pos = this.pos();
    const quote = this.peek();
    if (quote === '"' || quote === "'") {
      this.advance();
      let text = "";
      while (this.peek() !== quote) {
        if (this.atEnd()) this.fail(`unterminated quoted key`, pos);
        text += this.advance();
      }
      this.advance();
      return { text, pos, quoted: true };
    }
    let text = "";
    while (!endsBareKey(this.peek())) text += this.advance();
    if (text === "") this.fail(`expected a key, got ${this.describeNext()}`);
    return { text, pos, quoted: false };
  }

  /** The path after `include`: quoted (taken literally) or bare up to whitespace or a terminator. */
  readIncludePath(): { path: string; pos: Pos } {
    const pos = this.pos();
    const quote = this.peek();
    if (quote === '"' || quote === "'") {
      this.advance();
      let path = "";
      while (this.peek() !== quote) {
        if (this.atEnd() || this.atNewline()) this.fail(`unterminated include path`, pos);
        path += this.advance();
      }
      this.advance();
      return { path, pos };
    }
    if (endsBareValue(this.peek()) || "[{(".includes(this.peek())) {
      this.fail(`include: expected a file path, got ${this.describeNext()}`);
    }
    let path = "";
    while (!endsBareValue(this.peek())) path += this.advance();
    return { path, pos };
  }

  readValue(): ValueToken {
    const pos = this.pos();
    const c = this.peek();
    if (c === "") this.fail("expected a value, got end of file");
    if (isNewline(c)) this.fail("expected a value, got new line");
    if (c === "[") {
      this.advance();
      return { type: "arrayStart", pos };
    }
    if (c === "{") {
      this.advance();
      return { type: "mapStart", pos };
    }
    if (c === '"') return { type: "string", value: this.readDoubleQuoted(pos), pos };
    if (c === "'") return { type: "string", value: this.readSingleQuoted(pos), pos };
    if (c === "(") return { type: "string", value: this.readBlockString(pos), pos };
    if (c === "," || c === ";" || c === "]" || c === "}") this.fail(`expected a value, got '${c}'`);
    return this.readBare(pos);
  }

  private readSingleQuoted(pos: Pos): string {
    this.advance();
    let text = "";
    while (this.peek() !== "'") {
      if (this.atEnd()) this.fail("unterminated string (missing closing ')", pos);
      text += this.advance();
    }
    this.advance();
    return text;
  }

  private readDoubleQuoted(pos: Pos): string {
    this.advance();
    let text = "";
    while (this.peek() !== '"') {
      if (this.atEnd()) this.fail('unterminated string (missing closing ")', pos);
      if (this.peek() === "\\") text += this.readEscape();
      else text += this.advance();
    }
    this.advance();
    return text;
  }

  /** `( ... )` multi-line string, closed by a `)` alone on its line (nats-server's "block"). */
  private readBlockString(pos: Pos): string {
    this.advance();
    const start = this.offset;
    for (;;) {
      if (this.atEnd()) this.fail("unterminated block string: expected ')' alone on a line", pos);
      const c = this.advance();
      if (c === "\n" && this.peek() === ")" && (this.peek(1) === "\n" || this.peek(1) === "" || this.peek(1) === "\r")) {
        const text = this.input.slice(start, this.offset - 1);
        this.advance();
        return text;
      }
    }
  }

  private readEscape(): string {
    const pos = this.pos();
    this.advance();
    const c = this.advance();
    switch (c) {
      case "t":
        return "\t";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case '"':
        return '"';
      case "\\":
        return "\\";
      case "x": {
        const hex = this.peek() + this.peek(1);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail(`invalid escape: expected two hexadecimal digits after '\\x'`, pos);
        this.advance();
        this.advance();
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        return this.fail(
          `invalid escape '\\${c === "" ? "" : c}': only \\t \\n \\r \\" \\\\ and \\xHH are allowed`,
          pos,
        );
    }
  }

  private readBare(pos: Pos): ValueToken {
    let text = "";
    let escaped = false;
    while (!endsBareValue(this.peek())) {
      if (this.peek() === "\\") {
        text += this.readEscape();
        escaped = true;
      } else text += this.advance();
    }
    if (escaped) return { type: "string", value: text, pos };
    const bool = BOOLS[text.toLowerCase()];
    if (bool !== undefined) return { type: "bool", value: bool, raw: text, pos };
    if (text.startsWith("$") && !BCRYPT.test(text)) {
      const name = text.slice(1);
      if (name === "") this.fail("expected a variable name after '$'", pos);
      return { type: "variable", name, pos };
    }
    return classifyBare(text, pos);
  }
}

function checkedInt(big: bigint, raw: string, pos: Pos): number {
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ConfigError(`integer ${raw} is out of range (at most ${Number.MAX_SAFE_INTEGER})`, pos);
  }
  return Number(big);
}

/** Numbers, sized numbers, floats and Zulu datetimes; everything else stays a string. */
function classifyBare(text: string, pos: Pos): ValueToken {
  if (INT.test(text)) return { type: "int", value: checkedInt(BigInt(text), text, pos), raw: text, pos };
  const sized = SIZED_INT.exec(text);
  if (sized !== null) {
    const [, digits = "0", unit = "k", binary] = sized;
    const power = SUFFIX_POWER[unit.toLowerCase()] ?? 1;
    const base = binary === undefined ? 1000n : 1024n;
    return { type: "int", value: checkedInt(BigInt(digits) * base ** BigInt(power), text, pos), raw: text, pos };
  }
  if (FLOAT.test(text)) return { type: "float", value: Number(text), raw: text, pos };
  if (DATETIME.test(text)) {
    const value = new Date(text);
    if (Number.isNaN(value.getTime()) || value.toISOString().slice(0, 19) !== text.slice(0, 19)) {
      throw new ConfigError(`invalid datetime ${text}`, pos);
    }
    return { type: "datetime", value, raw: text, pos };
  }
  return { type: "string", value: text, pos };
}
