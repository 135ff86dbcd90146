/**
 * The client → server wire parser: a pure, incremental state machine. `push(chunk)` accepts bytes
 * in any chunking and calls the handler once per complete operation, in order.
 *
 * States: CONTROL (collecting a control line up to `\n`), PAYLOAD (collecting `size + 2` bytes of
 * a PUB/HPUB) and DEAD (after a protocol error: everything is ignored). Memory is bounded: a
 * partial control line never exceeds `controlLineBytesMax` (CONNECT: `connectLineBytesMax`), a
 * partial payload never exceeds `payloadBytesMax + 2`.
 *
 * Zero-copy: when a whole payload sits in one chunk the handler receives a subarray of that chunk,
 * valid only during the call (a consumer that keeps it must copy). Payloads split across chunks
 * are assembled into one exact-size buffer.
 */
import { decodeToken } from "./text.js";

export interface ParserLimits {
  /** nats-server `max_control_line`: longest control line (without CRLF). */
  controlLineBytesMax: number;
  /** nats-server `max_payload`: PUB size, or HPUB header+payload total. */
  payloadBytesMax: number;
  /** CONNECT lines carry JSON (tokens, JWTs), so they get their own, larger bound. */
  connectLineBytesMax: number;
}

/**
 * How parsing failed; the server maps these to nats-server's reactions:
 * unknown_op → `-ERR 'Unknown Protocol Operation'` + close; control_line → `-ERR 'maximum control
 * line exceeded'` + close; max_payload → `-ERR 'Maximum Payload Violation'` + close; bad_args and
 * client_err → close without `-ERR`.
 */
export type ParseErrorKind = "unknown_op" | "control_line" | "max_payload" | "bad_args" | "client_err";

export interface ClientOpHandler {
  /** CONNECT's JSON text. Return true to pause: `push` stops right after this op. */
  connect(json: string): boolean;
  /**
   * PUB (headerBytes = -1) or HPUB (headerBytes = header block length): the message (headers +
   * payload) is buf[start, end). `buf` is usually the pushed chunk itself: copy to keep. Passed
   * as a range because a subarray per message costs ~100 ns, and a message nobody subscribed to
   * never needs one.
   */
  pub(subject: string, reply: string | undefined, headerBytes: number, buf: Uint8Array, start: number, end: number): void;
  sub(subject: string, queue: string | undefined, sid: string): void;
  /** max = -1 when absent. */
  unsub(sid: string, max: number): void;
  ping(): void;
  pong(): void;
  error(kind: ParseErrorKind, detail: string): void;
}

const enum State {
  Control = 0,
  Payload = 1,
  Dead = 2,
}

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;
const TOKENS_MAX = 6;

/** Known ops in upper case, for early rejection of garbage before a newline arrives. */
const knownOps = ["PUB", "HPUB", "SUB", "UNSUB", "PING", "PONG", "CONNECT", "INFO", "+OK", "-ERR"];

export class ClientParser {
  private state: State = State.Control;
  /** Partial control line carried over between chunks; grows on demand up to the limit. */
  private line: Uint8Array = new Uint8Array(0);
  private lineLen = 0;
  /** Token boundaries of the current control line: start/end pairs. */
  private readonly tokens = new Int32Array(TOKENS_MAX * 2);
  private tokenCount = 0;
  // The PUB/HPUB waiting for its payload.
  private pubSubject = "";
  private pubReply: string | undefined = undefined;
  private pubHeaderBytes = -1;
  private pubSize = 0;
  private payload: Uint8Array | undefined = undefined;
  private payloadFilled = 0;
  // Publishers usually repeat their subject: reuse the last decoded string when bytes match.
  private readonly lastSubjectBytes = new Uint8Array(128);
  private lastSubjectLen = -1;
  private lastSubject = "";

  constructor(
    private readonly limits: ParserLimits,
    private readonly handler: ClientOpHandler,
  ) {}

  /** True once a protocol error was reported; further input is ignored. */
  get dead(): boolean {
    return this.state === State.Dead;
  }

  /** Bytes held for partial ops (for tests of the memory bound). */
  get bufferedBytes(): number {
    return this.line.length + (this.payload?.length ?? 0);
  }

  /**
   * Consume a chunk. Returns how many bytes were consumed: chunk.length, unless the handler
   * paused at a CONNECT, in which case the caller pushes the rest later.
   */
  push(chunk: Uint8Array): number {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      if (this.state === State.Payload) {
        pos = this.fillPayload(chunk, pos);
        continue;
      }
      if (this.state === State.Dead) return len;
      let paused = false;
      const afterLine = this.lineLen === 0 ? this.fastPub(chunk, pos, len) : -1;
      if (afterLine >= 0) pos = afterLine;
      else {
        const nl = chunk.indexOf(LF, pos);
        if (nl < 0) {
          this.appendLine(chunk, pos, len);
          return len;
        }
        if (this.lineLen > 0) {
          this.appendLine(chunk, pos, nl);
          if ((this.state as State) === State.Dead) return len;
          const lineLen = this.lineLen;
          this.lineLen = 0;
          paused = this.processLine(this.line, 0, lineLen);
        } else {
          paused = this.processLine(chunk, pos, nl);
        }
        pos = nl + 1;
      }
      if ((this.state as State) === State.Payload) {
        // Fast path: the whole payload and its CRLF are in this chunk.
        const need = this.pubSize + 2;
        if (len - pos >= need) {
          const end = pos + this.pubSize;
          this.state = State.Control;
          if (chunk[end] !== CR || chunk[end + 1] !== LF) {
            this.fail("unknown_op", "payload not followed by CRLF");
            return len;
          }
          this.handler.pub(this.pubSubject, this.pubReply, this.pubHeaderBytes, chunk, pos, end);
          pos = end + 2;
        } else {
          this.payload = new Uint8Array(need);
          this.payloadFilled = 0;
        }
      }
      if (paused) return pos;
    }
    return len;
  }

  /**
   * The common case in one pass: a well-formed `PUB <subject> [reply] <size>` line complete in
   * this chunk. Scans the line in JS (Uint8Array.indexOf is a C++ builtin call, ~70 ns per
   * message) and tokenizes on the way. On success it leaves the parser exactly as processLine
   * would (state Payload, pub* fields) and returns the offset after the LF. Anything else (other
   * ops, HPUB, errors, a line not complete in this chunk, limits) returns -1 and changes nothing:
   * the general path then parses the line and reports any error exactly as before.
   */
  private fastPub(buf: Uint8Array, pos: number, len: number): number {
    if (len - pos < 4) return -1;
    if ((buf[pos]! | 0x20) !== 0x70 || (buf[pos + 1]! | 0x20) !== 0x75 || (buf[pos + 2]! | 0x20) !== 0x62) return -1;
    const sep = buf[pos + 3]!;
    if (sep !== SPACE && sep !== TAB) return -1;
    const limits = this.limits;
    const lineMax = Math.min(limits.controlLineBytesMax, limits.connectLineBytesMax);
    const scanEnd = Math.min(len, pos + lineMax + 2);
    // Up to three tokens: subject, optional reply, size.
    let s0 = -1, e0 = -1, s1 = -1, e1 = -1, s2 = -1, e2 = -1;
    let count = 0;
    let tokStart = -1;
    let i = pos + 4;
    let lineEnd = -1;
    for (; i < scanEnd; i++) {
      const c = buf[i]!;
      if (c === SPACE || c === TAB || c === CR || c === LF) {
        if (tokStart >= 0) {
          if (count === 0) {
            s0 = tokStart;
            e0 = i;
          } else if (count === 1) {
            s1 = tokStart;
            e1 = i;
          } else if (count === 2) {
            s2 = tokStart;
            e2 = i;
          } else return -1;
          count++;
          tokStart = -1;
        }
        if (c === LF) return -1; // bare LF line end: rare, leave it to the general path
        if (c === CR) {
          if (i + 1 >= len || buf[i + 1] !== LF) return -1;
          lineEnd = i;
          break;
        }
      } else if (tokStart < 0) tokStart = i;
    }
    if (lineEnd < 0 || lineEnd - pos > lineMax || count < 2) return -1;
    const sizeStart = count === 2 ? s1 : s2;
    const sizeEnd = count === 2 ? e1 : e2;
    const size = parseSize(buf, sizeStart, sizeEnd);
    if (size < 0 || size > limits.payloadBytesMax) return -1;
    this.pubSubject = this.subjectAt(buf, s0, e0);
    this.pubReply = count === 3 ? decodeToken(buf, s1, e1) : undefined;
    this.pubHeaderBytes = -1;
    this.pubSize = size;
    this.state = State.Payload;
    return lineEnd + 2;
  }

  private fillPayload(chunk: Uint8Array, pos: number): number {
    const payload = this.payload!;
    const take = Math.min(payload.length - this.payloadFilled, chunk.length - pos);
    payload.set(chunk.subarray(pos, pos + take), this.payloadFilled);
    this.payloadFilled += take;
    if (this.payloadFilled === payload.length) {
      this.payload = undefined;
      this.state = State.Control;
      const size = payload.length - 2;
      if (payload[size] !== CR || payload[size + 1] !== LF) {
        this.fail("unknown_op", "payload not followed by CRLF");
        return chunk.length;
      }
      this.handler.pub(this.pubSubject, this.pubReply, this.pubHeaderBytes, payload, 0, size);
    }
    return pos + take;
  }

  private appendLine(chunk: Uint8Array, start: number, end: number): void {
    const add = end - start;
    const total = this.lineLen + add;
    const limit = Math.max(this.limits.controlLineBytesMax, this.limits.connectLineBytesMax) + 1;
    if (total > limit) {
      this.fail("control_line", `control line over ${limit - 1} bytes`);
      return;
    }
    if (total > this.line.length) {
      const grown = new Uint8Array(Math.min(limit, Math.max(64, total * 2)));
      grown.set(this.line.subarray(0, this.lineLen));
      this.line = grown;
    }
    this.line.set(chunk.subarray(start, end), this.lineLen);
    this.lineLen = total;
    if (!this.couldBeOp(this.line, this.lineLen)) this.fail("unknown_op", "unknown operation");
    // A trailing CR may be the first half of the CRLF (not counted against the limit, as when
    // the whole line arrives in one chunk), so allow one byte more while it is last.
    else if (total > this.limits.controlLineBytesMax + (this.line[total - 1] === CR ? 1 : 0) && !this.isConnect(this.line, 0)) {
      this.fail("control_line", `control line over ${this.limits.controlLineBytesMax} bytes`);
    }
  }

  /** Reject garbage early: the buffered prefix must start like some known op. */
  private couldBeOp(buf: Uint8Array, len: number): boolean {
    const n = Math.min(len, 7);
    outer: for (const op of knownOps) {
      for (let i = 0; i < n && i < op.length; i++) {
        if (upper(buf[i]!) !== op.charCodeAt(i)) continue outer;
      }
      if (n > op.length && !isBlank(buf[op.length]!) && buf[op.length] !== CR) continue;
      return true;
    }
    return false;
  }

  private isConnect(buf: Uint8Array, start: number): boolean {
    return upper(buf[start] ?? 0) === 67 /* C */;
  }

  /** Returns true when the handler asked to pause. */
  private processLine(buf: Uint8Array, start: number, end: number): boolean {
    if (end > start && buf[end - 1] === CR) end--;
    // Op name: letters up to the first blank.
    let opEnd = start;
    while (opEnd < end && !isBlank(buf[opEnd]!)) opEnd++;
    const opLen = opEnd - start;
    const c0 = upper(buf[start] ?? 0);
    const lineBytes = end - start;
    if (lineBytes > this.limits.controlLineBytesMax && !(c0 === 67 && opLen === 7)) {
      this.fail("control_line", `control line of ${lineBytes} bytes`);
      return false;
    }
    if (lineBytes > this.limits.connectLineBytesMax) {
      this.fail("control_line", `CONNECT line of ${lineBytes} bytes`);
      return false;
    }
    switch (opLen) {
      case 3:
        if (matchOp(buf, start, "PUB")) return this.onPub(buf, opEnd, end, false);
        if (matchOp(buf, start, "SUB")) return this.onSub(buf, opEnd, end);
        if (matchOp(buf, start, "+OK")) return false;
        break;
      case 4:
        if (matchOp(buf, start, "PING")) return this.noArgs(buf, opEnd, end) && this.call(() => this.handler.ping());
        if (matchOp(buf, start, "PONG")) return this.noArgs(buf, opEnd, end) && this.call(() => this.handler.pong());
        if (matchOp(buf, start, "HPUB")) return this.onPub(buf, opEnd, end, true);
        if (matchOp(buf, start, "INFO")) return false;
        if (matchOp(buf, start, "-ERR")) {
          this.fail("client_err", decodeToken(buf, opEnd, end).trim());
          return false;
        }
        break;
      case 5:
        if (matchOp(buf, start, "UNSUB")) return this.onUnsub(buf, opEnd, end);
        break;
      case 7:
        if (matchOp(buf, start, "CONNECT")) {
          let s = opEnd;
          while (s < end && isBlank(buf[s]!)) s++;
          return this.handler.connect(decodeToken(buf, s, end));
        }
        break;
    }
    this.fail("unknown_op", `unknown operation ${JSON.stringify(decodeToken(buf, start, Math.min(end, start + 16)))}`);
    return false;
  }

  private call(f: () => void): boolean {
    f();
    return false;
  }

  private noArgs(buf: Uint8Array, start: number, end: number): boolean {
    for (let i = start; i < end; i++) {
      if (!isBlank(buf[i]!)) {
        this.fail("unknown_op", "unexpected argument");
        return false;
      }
    }
    return true;
  }

  /** Split [start, end) on blanks into this.tokens; false when more than max. */
  private split(buf: Uint8Array, start: number, end: number, max: number): boolean {
    let count = 0;
    let i = start;
    while (i < end) {
      while (i < end && isBlank(buf[i]!)) i++;
      if (i >= end) break;
      const s = i;
      while (i < end && !isBlank(buf[i]!)) i++;
      if (count === max) return false;
      this.tokens[count * 2] = s;
      this.tokens[count * 2 + 1] = i;
      count++;
    }
    this.tokenCount = count;
    return true;
  }

  private token(buf: Uint8Array, n: number): string {
    return decodeToken(buf, this.tokens[n * 2]!, this.tokens[n * 2 + 1]!);
  }

  private subject(buf: Uint8Array, n: number): string {
    return this.subjectAt(buf, this.tokens[n * 2]!, this.tokens[n * 2 + 1]!);
  }

  private subjectAt(buf: Uint8Array, s: number, e: number): string {
    const len = e - s;
    const cache = this.lastSubjectBytes;
    if (len === this.lastSubjectLen) {
      let same = true;
      for (let i = 0; i < len; i++) {
        if (cache[i] !== buf[s + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastSubject;
    }
    const str = decodeToken(buf, s, e);
    if (len <= cache.length) {
      cache.set(buf.subarray(s, e));
      this.lastSubjectLen = len;
      this.lastSubject = str;
    }
    return str;
  }

  private number(buf: Uint8Array, n: number): number {
    return parseSize(buf, this.tokens[n * 2]!, this.tokens[n * 2 + 1]!);
  }

  private onPub(buf: Uint8Array, start: number, end: number, headers: boolean): boolean {
    const wanted = headers ? 3 : 2;
    if (!this.split(buf, start, end, wanted + 1) || this.tokenCount < wanted) {
      this.fail("bad_args", `${headers ? "HPUB" : "PUB"} needs ${wanted} or ${wanted + 1} arguments`);
      return false;
    }
    const hasReply = this.tokenCount === wanted + 1;
    const last = this.tokenCount - 1;
    const size = this.number(buf, last);
    const headerBytes = headers ? this.number(buf, last - 1) : -1;
    if (size < 0 || (headers && (headerBytes < 0 || headerBytes > size))) {
      this.fail("bad_args", "bad size");
      return false;
    }
    if (size > this.limits.payloadBytesMax) {
      this.fail("max_payload", `payload of ${size} bytes over max_payload ${this.limits.payloadBytesMax}`);
      return false;
    }
    this.pubSubject = this.subject(buf, 0);
    this.pubReply = hasReply ? this.token(buf, 1) : undefined;
    this.pubHeaderBytes = headerBytes;
    this.pubSize = size;
    this.state = State.Payload;
    return false;
  }

  private onSub(buf: Uint8Array, start: number, end: number): boolean {
    if (!this.split(buf, start, end, 3) || this.tokenCount < 2) {
      this.fail("bad_args", "SUB needs 2 or 3 arguments");
      return false;
    }
    const subject = this.token(buf, 0);
    if (this.tokenCount === 3) this.handler.sub(subject, this.token(buf, 1), this.token(buf, 2));
    else this.handler.sub(subject, undefined, this.token(buf, 1));
    return false;
  }

  private onUnsub(buf: Uint8Array, start: number, end: number): boolean {
    if (!this.split(buf, start, end, 2) || this.tokenCount < 1) {
      this.fail("bad_args", "UNSUB needs 1 or 2 arguments");
      return false;
    }
    let max = -1;
    if (this.tokenCount === 2) {
      max = this.number(buf, 1);
      if (max < 0) {
        this.fail("bad_args", "bad UNSUB max");
        return false;
      }
    }
    this.handler.unsub(this.token(buf, 0), max);
    return false;
  }

  private fail(kind: ParseErrorKind, detail: string): void {
    this.state = State.Dead;
    this.line = new Uint8Array(0);
    this.lineLen = 0;
    this.payload = undefined;
    this.handler.error(kind, detail);
  }
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function upper(c: number): number {
  return c >= 97 && c <= 122 ? c - 32 : c;
}

function matchOp(buf: Uint8Array, start: number, op: string): boolean {
  for (let i = 0; i < op.length; i++) if (upper(buf[start + i]!) !== op.charCodeAt(i)) return false;
  return true;
}

/** Decimal digits only, at most 10 of them (like nats-server's parseSize); -1 otherwise. */
export function parseSize(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 0 || len > 10) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
