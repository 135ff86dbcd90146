import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { Authenticator, isBcryptHash } from "./authenticate.js";
import { PermissionChecker } from "./permissions.js";
import { ResponseGrants } from "./responses.js";

describe("PermissionChecker", () => {
  const p = new PermissionChecker({
    publish: { allow: ["orders.>", "svc.*"], deny: ["orders.secret"] },
    subscribe: { allow: ["events.>", "jobs.* workers", "jobs.x", "q.* w.*"], deny: ["events.private.>"] },
  });

  const pub: Array<[string, boolean]> = [
    ["orders.new", true],
    ["orders.a.b", true],
    ["orders.secret", false],
    ["orders", false],
    ["svc.a", true],
    ["svc.a.b", false],
    ["other", false],
  ];
  it.each(pub)("publish %s → %s", (subject, want) => {
    expect(p.canPublish(subject)).toBe(want);
    expect(p.canPublish(subject)).toBe(want); // cached answer agrees
  });

  const sub: Array<[string, string | undefined, boolean]> = [
    ["events.a", undefined, true],
    ["events.*", undefined, true],
    ["events.>", undefined, true],
    ["events.private.x", undefined, false],
    ["jobs.a", "workers", true],
    ["jobs.a", "others", false],
    ["jobs.a", undefined, false],
    ["jobs.x", undefined, true],
    ["q.a", "w.1", true],
    ["q.a", "w", false],
    ["nope", undefined, false],
  ];
  it.each(sub)("subscribe %s queue %s → %s", (subject, queue, want) => {
    expect(p.canSubscribe(subject, queue)).toBe(want);
  });

  it("filters deliveries to wildcard subs overlapping a deny", () => {
    expect(p.canDeliver("events.public")).toBe(true);
    expect(p.canDeliver("events.private.x")).toBe(false);
  });

  it("allow_responses alone turns off other publishing", () => {
    const r = new PermissionChecker({ allow_responses: { max: 1, expires_ms: 0 } });
    expect(r.canPublish("anything")).toBe(false);
    const open = new PermissionChecker({ subscribe: { allow: ["x"] } });
    expect(open.canPublish("anything")).toBe(true);
  });
});

describe("ResponseGrants", () => {
  it("allows max replies within the expiry", () => {
    const g = new ResponseGrants(2, 1000);
    g.grant("_INBOX.a", 0);
    expect(g.use("_INBOX.a", 10)).toBe(true);
    expect(g.use("_INBOX.a", 20)).toBe(true);
    expect(g.use("_INBOX.a", 30)).toBe(false);
    g.grant("_INBOX.b", 0);
    expect(g.use("_INBOX.b", 1001)).toBe(false);
    expect(g.use("_INBOX.c", 0)).toBe(false);
  });
  it("stays bounded", () => {
    const g = new ResponseGrants(1, 0, 100);
    for (let i = 0; i < 1000; i++) g.grant(`r.${i}`, i);
    expect(g.size).toBeLessThanOrEqual(100);
  });
});

describe("Authenticator", () => {
  const hash = bcrypt.hashSync("s3cret", 4);

  it("needs nothing when unconfigured", async () => {
    const a = new Authenticator({});
    expect(a.required).toBe(false);
    expect((await a.authenticate({})).ok).toBe(true);
  });

  const table: Array<[string, ConstructorParameters<typeof Authenticator>[0], Parameters<Authenticator["authenticate"]>[0], boolean]> = [
    ["user/pass ok", { user: "u", password: "p" }, { user: "u", pass: "p" }, true],
    ["user/pass wrong pass", { user: "u", password: "p" }, { user: "u", pass: "x" }, false],
    ["user/pass wrong user", { user: "u", password: "p" }, { user: "v", pass: "p" }, false],
    ["user/pass missing", { user: "u", password: "p" }, {}, false],
    ["bcrypt ok", { user: "u", password: hash }, { user: "u", pass: "s3cret" }, true],
    ["bcrypt wrong", { user: "u", password: hash }, { user: "u", pass: "nope" }, false],
    ["token ok", { token: "t0k" }, { auth_token: "t0k" }, true],
    ["token wrong", { token: "t0k" }, { auth_token: "t0" }, false],
    ["bcrypt token", { token: hash }, { auth_token: "s3cret" }, true],
    ["users ok", { users: [{ user: "a", password: "1" }, { user: "b", password: "2" }] }, { user: "b", pass: "2" }, true],
    ["users cross password", { users: [{ user: "a", password: "1" }, { user: "b", password: "2" }] }, { user: "a", pass: "2" }, false],
    ["no_auth_user", { users: [{ user: "guest", password: "g" }], no_auth_user: "guest" }, {}, true],
    ["no_auth_user with bad creds", { users: [{ user: "guest", password: "g" }], no_auth_user: "guest" }, { user: "guest", pass: "x" }, false],
  ];
  it.each(table)("%s", async (_name, settings, creds, ok) => {
    const a = new Authenticator(settings);
    expect(a.required).toBe(true);
    expect((await a.authenticate(creds)).ok).toBe(ok);
  });

  it("attaches per-user permissions, falling back to default_permissions", async () => {
    const a = new Authenticator({
      users: [{ user: "a", password: "1", permissions: { publish: { allow: ["a.>"] } } }, { user: "b", password: "2" }],
      default_permissions: { publish: { deny: [">"] } },
    });
    const da = await a.authenticate({ user: "a", pass: "1" });
    const db = await a.authenticate({ user: "b", pass: "2" });
    expect(da.ok && da.permissions?.canPublish("a.x")).toBe(true);
    expect(db.ok && db.permissions?.canPublish("a.x")).toBe(false);
  });

  it("recognises bcrypt hashes", () => {
    expect(isBcryptHash(hash)).toBe(true);
    expect(isBcryptHash("$2x$10$abc")).toBe(false);
    expect(isBcryptHash("plain")).toBe(false);
  });
});

describe("bcrypt verification cache", () => {
  it("remembers only successful checks: a wrong password after a right one still fails", async () => {
    const hash = bcrypt.hashSync("right-pass", 4);
    const a = new Authenticator({ users: [{ user: "u", password: hash }] });
    for (let i = 0; i < 3; i++) {
      expect((await a.authenticate({ user: "u", pass: "right-pass" })).ok).toBe(true);
      expect((await a.authenticate({ user: "u", pass: "wrong-pass" })).ok).toBe(false);
      expect((await a.authenticate({ user: "u", pass: "right-pas" })).ok).toBe(false);
    }
  });
});
