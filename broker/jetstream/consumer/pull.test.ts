/** Ack subjects and payloads: the hand-written parsers on the ack hot path. */
import { describe, expect, it } from "vitest";
import { ackSubject, parseAckPayload, parseAckSubject } from "./pull.js";

describe("ack subjects", () => {
  it("round-trips the v1 form the server sends", () => {
    const s = ackSubject("ORDERS", "worker", 3, 42, 77, 1_700_000_000_123_456_789n, 5);
    expect(s).toBe("$JS.ACK.ORDERS.worker.3.42.77.1700000000123456789.5");
    const r = parseAckSubject(s)!;
    expect(r).toMatchObject({ stream: "ORDERS", consumer: "worker", deliveries: 3, streamSeq: 42, consumerSeq: 77 });
    expect(Math.abs(r.tsMs - 1_700_000_000_123.4568)).toBeLessThan(0.01);
  });

  it("parses the v2 form (domain and account hash first, random token last)", () => {
    expect(parseAckSubject("$JS.ACK.hub.ACCHASH.S.C.1.2.3.1700000000000000000.0.xyz")).toMatchObject({ stream: "S", consumer: "C", deliveries: 1, streamSeq: 2, consumerSeq: 3, tsMs: 1_700_000_000_000 });
  });

  it("rejects malformed subjects", () => {
    for (const bad of [
      "$JS.ACK.S.C.1.2.3.4",
      "$JS.ACK.S.C.1.2.3.4.5.6",
      "$JS.ACK.S.C.x.2.3.4.5",
      "$JS.ACK.S.C.1.-2.3.4.5",
      "$JS.ACK.S.C.1.2.3e4.4.5",
      "$JS.ACK.S.C.1.99999999999999999999.3.4.5",
      "$JS.ACK..C.1.2.3.4.5",
      "$JS.ACK.S..1.2.3.4.5",
      "$JS.ACKS.C.1.2.3.4.5.6",
      "$JS.API.S.C.1.2.3.4.5",
    ]) {
      expect(parseAckSubject(bad), bad).toBeUndefined();
    }
    expect(parseAckSubject("$JS.ACK.S.C.1.2.3.notanumber.5")).toMatchObject({ streamSeq: 2, tsMs: 0 });
  });
});

describe("ack payloads", () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it("classifies every ack kind", () => {
    expect(parseAckPayload(enc(""))).toEqual({ kind: "ack" });
    expect(parseAckPayload(enc("+ACK"))).toEqual({ kind: "ack" });
    expect(parseAckPayload(enc("+ACK "))).toEqual({ kind: "ack" });
    expect(parseAckPayload(enc("+OK"))).toEqual({ kind: "ack" });
    expect(parseAckPayload(enc("-NAK"))).toEqual({ kind: "nak", delayNs: 0 });
    expect(parseAckPayload(enc('-NAK {"delay": 2000000000}'))).toEqual({ kind: "nak", delayNs: 2e9 });
    expect(parseAckPayload(enc("-NAK 1.5s"))).toEqual({ kind: "nak", delayNs: 1.5e9 });
    expect(parseAckPayload(enc("+WPI"))).toEqual({ kind: "progress" });
    expect(parseAckPayload(enc("+TERM bad input"))).toEqual({ kind: "term", reason: "bad input" });
    expect(parseAckPayload(enc("+NXT 5"))).toEqual({ kind: "next", request: enc("5") });
    expect(parseAckPayload(enc("+ACX"))).toBeUndefined();
  });
});
