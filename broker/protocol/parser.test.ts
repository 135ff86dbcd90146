import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClientParser, type ClientOpHandler, type ParserLimits } from "./parser.js";
import { encodeMsg, encodeInfo, writeMsgHeader } from "./encode.js";
import { goQuote, pubViolation, subViolation } from "./errors.js";

type Op =
  | { op: "connect"; json: string }
  | { op: "pub"; subject: string; reply: string | undefined; hdr: number; data: string }
  | { op: "sub"; subject: string; queue: string | undefined; sid: string }
  | { op: "unsub"; sid: string; max: number }
  | { op: "ping" }
  | { op: "pong" }
  | { op: "error"; kind: string };

const limits: ParserLimits = { controlLineBytesMax: 64, payloadBytesMax: 32, connectLineBytesMax: 256 };
const enc = new TextEncoder();
const dec = new TextDecoder();

function recorder(ops: Op[], pauseOnConnect = false): ClientOpHandler {
  return {
    connect: (json) => {
      ops.push({ op: "connect", json });
      return pauseOnConnect;
    },
    pub: (subject, reply, hdr, buf, start, end) => ops.push({ op: "pub", subject, reply, hdr, data: dec.decode(buf.subarray(start, end)) }),
    sub: (subject, queue, sid) => ops.push({ op: "sub", subject, queue, sid }),
    unsub: (sid, max) => ops.push({ op: "unsub", sid, max }),
    ping: () => ops.push({ op: "ping" }),
    pong: () => ops.push({ op: "pong" }),
    error: (kind) => ops.push({ op: "error", kind }),
  };
}

function parseChunks(chunks: Uint8Array[], l: ParserLimits = limits): Op[] {
  const ops: Op[] = [];
  const p = new ClientParser(l, recorder(ops));
  for (const c of chunks) p.push(c);
  return ops;
}

const wire = enc.encode(
  'CONNECT {"verbose":false}\r\nPUB a.b 5\r\nhello\r\npub a.b r.1 0\r\n\r\nHPUB h r 12 14\r\nNATS/1.0\r\n\r\nhi\r\n' +
    "SUB foo.* 1\r\nsub foo q 2\r\nUNSUB 1\r\nunsub 2 10\r\nPING\r\npong\n+OK\r\nINFO {}\r\nPUB\ta\t\t1\r\nx\r\n",
);
const expected: Op[] = [
  { op: "connect", json: '{"verbose":false}' },
  { op: "pub", subject: "a.b", reply: undefined, hdr: -1, data: "hello" },
  { op: "pub", subject: "a.b", reply: "r.1", hdr: -1, data: "" },
  { op: "pub", subject: "h", reply: "r", hdr: 12, data: "NATS/1.0\r\n\r\nhi" },
  { op: "sub", subject: "foo.*", queue: undefined, sid: "1" },
  { op: "sub", subject: "foo", queue: "q", sid: "2" },
  { op: "unsub", sid: "1", max: -1 },
  { op: "unsub", sid: "2", max: 10 },
  { op: "ping" },
  { op: "pong" },
  { op: "pub", subject: "a", reply: undefined, hdr: -1, data: "x" },
];

describe("ClientParser", () => {
  it("parses every op", () => {
    expect(parseChunks([wire])).toEqual(expected);
  });

  it("ignores chunk boundaries (every single cut point)", () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      expect(parseChunks([wire.subarray(0, cut), wire.subarray(cut)])).toEqual(expected);
    }
  });

  it("accepts bytes one at a time", () => {
    const chunks = Array.from(wire, (b) => Uint8Array.of(b));
    expect(parseChunks(chunks)).toEqual(expected);
  });

  it("gives random chunkings identical results (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: wire.length }), { maxLength: 20 }), (cuts) => {
        const sorted = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let prev = 0;
        for (const c of sorted) {
          chunks.push(wire.subarray(prev, c));
          prev = c;
        }
        chunks.push(wire.subarray(prev));
        expect(parseChunks(chunks)).toEqual(expected);
      }),
    );
  });

  it("hands out a zero-copy view when the payload is whole", () => {
    const chunk = enc.encode("PUB a 3\r\nabc\r\n");
    let seen: Uint8Array | undefined;
    const p = new ClientParser(limits, { ...recorder([]), pub: (_s, _r, _h, buf, start, end) => (seen = buf.subarray(start, end)) });
    p.push(chunk);
    expect(seen?.buffer).toBe(chunk.buffer);
    expect(dec.decode(seen)).toBe("abc");
  });

  it("pauses after CONNECT when the handler asks", () => {
    const ops: Op[] = [];
    const p = new ClientParser(limits, recorder(ops, true));
    const chunk = enc.encode("CONNECT {}\r\nPING\r\n");
    const used = p.push(chunk);
    expect(used).toBe("CONNECT {}\r\n".length);
    expect(ops).toEqual([{ op: "connect", json: "{}" }]);
    p.push(chunk.subarray(used));
    expect(ops.at(-1)).toEqual({ op: "ping" });
  });

  const errorCases: Array<[string, string, string]> = [
    ["unknown op", "FOO bar\r\n", "unknown_op"],
    ["garbage before newline", "\x00\x01\x02", "unknown_op"],
    ["empty line", "\r\n", "unknown_op"],
    ["MSG from a client", "MSG a 1 1\r\nx\r\n", "unknown_op"],
    ["route op", "RS+ $G foo\r\n", "unknown_op"],
    ["PING with argument", "PING x\r\n", "unknown_op"],
    ["payload without CRLF", "PUB a 1\r\nxy\r\n", "unknown_op"],
    ["control line too long (complete)", `SUB ${"a".repeat(70)} 1\r\n`, "control_line"],
    ["control line too long (partial)", `SUB ${"a".repeat(70)}`, "control_line"],
    ["CONNECT too long", `CONNECT ${"x".repeat(300)}`, "control_line"],
    ["payload over max", "PUB a 33\r\n", "max_payload"],
    ["HPUB total over max", "HPUB a 12 40\r\n", "max_payload"],
    ["PUB missing size", "PUB a\r\n", "bad_args"],
    ["PUB too many args", "PUB a b c 1\r\n", "bad_args"],
    ["negative size", "PUB a -1\r\n", "bad_args"],
    ["non-numeric size", "PUB a 1x\r\n", "bad_args"],
    ["HPUB header over total", "HPUB a 5 2\r\n", "bad_args"],
    ["SUB missing sid", "SUB a\r\n", "bad_args"],
    ["UNSUB bad max", "UNSUB 1 x\r\n", "bad_args"],
    ["client -ERR", "-ERR 'boom'\r\n", "client_err"],
  ];
  it.each(errorCases)("reports %s", (_name, input, kind) => {
    const ops = parseChunks([enc.encode(input)]);
    expect(ops.at(-1)).toEqual({ op: "error", kind });
  });

  it("CONNECT may exceed max_control_line up to its own bound", () => {
    const json = JSON.stringify({ auth_token: "t".repeat(100) });
    expect(parseChunks([enc.encode(`CONNECT ${json}\r\n`)])).toEqual([{ op: "connect", json }]);
  });

  it("ignores everything after an error", () => {
    const ops = parseChunks([enc.encode("BOGUS\r\nPING\r\n"), enc.encode("PING\r\n")]);
    expect(ops).toEqual([{ op: "error", kind: "unknown_op" }]);
  });

  // Whole chunks take the one-pass PUB path; one byte per push can never take it (a line start
  // with fewer than 4 bytes falls back), so the two must always agree op for op, errors included.
  const pubLineCases = [
    "PUB a 5\r\r\nhello\r\n",
    "PUB a\rb 1\r\nx\r\n",
    "PUB a 1\nx\r\n",
    "pUb\ta.b\t\tr 2 \r\nab\r\n",
    "PUB a r 32\r\n" + "p".repeat(32) + "\r\n",
    "PUB a 33\r\n",
    "PUB a b c 1\r\nx\r\n",
    "PUB a 12345678901\r\n",
    "PUB a 0\r\n\r\nPUB a 0\r\n\r\n",
    `PUB ${"s".repeat(58)} 1\r\nx\r\n`,
    `PUB ${"s".repeat(59)} 1\r\nx\r\n`,
    "PUBX a 1\r\nx\r\n",
    "PUB\r\n",
    "PUB a 2\r\nabc\r\n",
  ];
  it.each(pubLineCases)("one-pass PUB path agrees with byte-at-a-time parsing: %j", (input) => {
    const bytes = enc.encode(input);
    const oneByte = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(parseChunks([bytes])).toEqual(parseChunks(oneByte));
  });

  it("one-pass PUB path agrees with byte-at-a-time parsing on generated lines (property)", () => {
    const piece = fc.constantFrom("PUB", "pub", "PuB", "HPUB", " ", "\t", "\r", "\n", "\r\n", "a", "a.b", "r.1", "0", "1", "5", "12", "33", "x", "hello", "99999999999");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), fc.integer({ min: 1, max: 40 }), (pieces, cut) => {
        const bytes = enc.encode(pieces.join(""));
        const oneByte = Array.from(bytes, (b) => Uint8Array.of(b));
        const reference = parseChunks(oneByte);
        expect(parseChunks([bytes])).toEqual(reference);
        expect(parseChunks([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(reference);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws and stays bounded on random bytes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 30 }), (chunks) => {
        const p = new ClientParser(limits, recorder([]));
        for (const c of chunks) {
          p.push(c);
          expect(p.bufferedBytes).toBeLessThanOrEqual(limits.connectLineBytesMax + 1 + limits.payloadBytesMax + 2);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on random mutations of valid traffic (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(wire.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }), (muts) => {
        const copy = Uint8Array.from(wire);
        for (const [i, b] of muts) copy[i] = b;
        const p = new ClientParser(limits, recorder([]));
        p.push(copy);
        expect(p.bufferedBytes).toBeLessThanOrEqual(limits.connectLineBytesMax + 1 + limits.payloadBytesMax + 2);
      }),
      { numRuns: 500 },
    );
  });
});

describe("encoders", () => {
  it("writes MSG and HMSG exactly", () => {
    expect(dec.decode(encodeMsg("a.b", "7", undefined, undefined, enc.encode("hi")))).toBe("MSG a.b 7 2\r\nhi\r\n");
    expect(dec.decode(encodeMsg("a", "12", "r.x", undefined, new Uint8Array(0)))).toBe("MSG a 12 r.x 0\r\n\r\n");
    const hdr = enc.encode("NATS/1.0\r\n\r\n");
    expect(dec.decode(encodeMsg("a", "1", "r", hdr, enc.encode("xyz")))).toBe("HMSG a 1 r 12 15\r\nNATS/1.0\r\n\r\nxyz\r\n");
  });

  it("writes sizes of every magnitude", () => {
    const buf = new Uint8Array(100);
    for (const n of [0, 9, 10, 99, 100, 1048576, 4294967295]) {
      const end = writeMsgHeader(buf, 0, "s", enc.encode("1"), undefined, -1, n);
      expect(dec.decode(buf.subarray(0, end))).toBe(`MSG s 1 ${n}\r\n`);
    }
  });

  it("encodes UTF-8 subjects", () => {
    expect(dec.decode(encodeMsg("ö.ü", "1", undefined, undefined, new Uint8Array(0)))).toBe("MSG ö.ü 1 0\r\n\r\n");
  });

  it("puts a space before INFO's CRLF", () => {
    expect(dec.decode(encodeInfo({ a: 1 }))).toBe('INFO {"a":1} \r\n');
  });

  it("quotes subjects like Go's %q", () => {
    expect(goQuote('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(pubViolation("foo.bar")).toBe('Permissions Violation for Publish to "foo.bar"');
    expect(subViolation("foo", "q")).toBe('Permissions Violation for Subscription to "foo" using queue "q"');
  });
});
