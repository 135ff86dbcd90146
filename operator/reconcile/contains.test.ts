import { describe, expect, it } from "vitest";
import { containsDesired, toSecretData } from "./contains.js";

describe("containsDesired", () => {
  it("ignores server-added fields but not changed or missing ones", () => {
    const live = { metadata: { name: "a", uid: "u", labels: { x: "1", y: "2" } }, spec: { ports: [{ port: 1, protocol: "TCP" }] } };
    expect(containsDesired(live, { metadata: { name: "a", labels: { x: "1" } }, spec: { ports: [{ port: 1 }] } })).toBe(true);
    expect(containsDesired(live, { metadata: { labels: { x: "2" } } })).toBe(false);
    expect(containsDesired(live, { metadata: { labels: { z: "1" } } })).toBe(false);
    expect(containsDesired(live, { spec: { ports: [{ port: 1 }, { port: 2 }] } })).toBe(false);
    expect(containsDesired(undefined, { a: 1 })).toBe(false);
  });

  it("encodes Secret stringData as data", () => {
    const s: { stringData?: Record<string, string>; data?: Record<string, string> } = { stringData: { a: "hi" } };
    toSecretData(s);
    expect(s).toEqual({ data: { a: "aGk=" } });
  });
});
