/**
 * `authorization { ... }`, user lists, permissions and `accounts { ... }`, mapped and validated
 * the way nats-server's opts.go does (key aliases included).
 */
import type { ConfMap, ConfValue } from "./ast.js";
import { ConfigError } from "./errors.js";
import type { AccountConfig, AccountExport, AccountImport, AuthorizationConfig, PermissionRule, Permissions, UserConfig } from "./options.js";
import {
  expectArray,
  expectBool,
  expectDurationMs,
  expectInt,
  expectMap,
  expectNonEmptyString,
  expectSecondsMs,
  expectString,
  expectStringList,
  fail,
  optionalString,
  setOptional,
  walkBlock,
  type Warnings,
} from "./read.js";

/** nats-server's AUTH_TIMEOUT. */
export const authTimeoutMsDefault = 2_000;
const authTimeoutMsMax = 10 * 60_000;
/** nats-server's DEFAULT_ALLOW_RESPONSE_MAX_MSGS / DEFAULT_ALLOW_RESPONSE_EXPIRATION. */
const allowResponsesDefault = { max: 1, expires_ms: 2 * 60_000 } as const;

const nkeysUnsupported = "nkey authentication is not implemented; use user/password or token";

/** A subject usable in a permission: dot-separated non-empty tokens, `>` only last, no whitespace. */
export function subjectProblem(subject: string): string | undefined {
  if (subject === "") return "empty subject";
  if (/\s/.test(subject)) return "subjects cannot contain whitespace";
  const tokens = subject.split(".");
  if (tokens.some((t) => t === "")) return "subjects cannot have empty tokens";
  const fwc = tokens.indexOf(">");
  if (fwc !== -1 && fwc !== tokens.length - 1) return "'>' must be the last token";
  return undefined;
}

function subjectList(v: ConfValue, path: string, allowQueue: boolean): string[] {
  const list = expectStringList(v, path);
  for (const s of list) {
    // Subscribe permissions may be "subject queue": the queue part limits queue subscriptions.
    const parts = allowQueue ? s.trim().split(/\s+/) : [s];
    if (parts.length > 2) fail(v, path, `invalid subscribe permission "${s}": expected "subject" or "subject queue"`);
    const problem = subjectProblem(parts[0] ?? "");
    if (problem !== undefined) fail(v, path, `invalid subject "${s}": ${problem}`);
  }
  return list;
}

function permissionRule(v: ConfValue, path: string, allowQueue: boolean): PermissionRule {
  if (v.kind !== "map") return { allow: subjectList(v, path, allowQueue) };
  const rule: PermissionRule = {};
  walkBlock(v, path, {
    keys: {
      allow: (value, p) => (rule.allow = subjectList(value, p, allowQueue)),
      deny: (value, p) => (rule.deny = subjectList(value, p, allowQueue)),
    },
  });
  return rule;
}

export function parsePermissions(v: ConfValue, path: string, warnings: Warnings): Permissions {
  const perms: Permissions = {};
  const publish = (value: ConfValue, p: string): void => void (perms.publish = permissionRule(value, p, false));
  const subscribe = (value: ConfValue, p: string): void => void (perms.subscribe = permissionRule(value, p, true));
  const allowResponses = (value: ConfValue, p: string): void => {
    if (value.kind === "bool") {
      if (value.value) perms.allow_responses = { ...allowResponsesDefault };
      return;
    }
    const r: { max: number; expires_ms: number } = { ...allowResponsesDefault };
    walkBlock(expectMap(value, p), p, {
      keys: {
        max: (x, q) => (r.max = expectInt(x, q, 1, 1_000_000)),
        max_msgs: (x, q) => (r.max = expectInt(x, q, 1, 1_000_000)),
        max_messages: (x, q) => (r.max = expectInt(x, q, 1, 1_000_000)),
        expires: (x, q) => (r.expires_ms = expectDurationMs(x, q, warnings, 1, 24 * 3_600_000)),
        ttl: (x, q) => (r.expires_ms = expectDurationMs(x, q, warnings, 1, 24 * 3_600_000)),
      },
    });
    perms.allow_responses = r;
  };
  walkBlock(expectMap(v, path), path, {
    keys: {
      publish,
      pub: publish,
      import: publish,
      subscribe,
      sub: subscribe,
      export: subscribe,
      allow_responses: allowResponses,
      publish_allow_responses: allowResponses,
    },
  });
  // As nats-server does: allowing responses turns off the implicit "publish anything".
  if (perms.allow_responses !== undefined && perms.publish?.allow === undefined) {
    perms.publish = { ...perms.publish, allow: [] };
  }
  return perms;
}

function parseUser(v: ConfValue, path: string, warnings: Warnings, account: string | undefined): UserConfig {
  const block = expectMap(v, path);
  let user: string | undefined;
  let password: string | undefined;
  let permissions: Permissions | undefined;
  const setUser = (x: ConfValue, p: string): void => void (user = expectNonEmptyString(x, p));
  const setPassword = (x: ConfValue, p: string): void => void (password = expectString(x, p));
  const setPermissions = (x: ConfValue, p: string): void => void (permissions = parsePermissions(x, p, warnings));
  walkBlock(block, path, {
    keys: {
      user: setUser,
      username: setUser,
      password: setPassword,
      pass: setPassword,
      permissions: setPermissions,
      permission: setPermissions,
      authorization: setPermissions,
    },
    unsupported: { nkey: nkeysUnsupported, allowed_connection_types: "connection type restrictions are not implemented" },
  });
  if (user === undefined) throw new ConfigError(`${path}: user entry requires a user`, block.pos, path);
  // nats-server accepts a user without a password (typically the no_auth_user): the empty password.
  const out: UserConfig = { user, password: password ?? "" };
  if (permissions !== undefined) out.permissions = permissions;
  if (account !== undefined) out.account = account;
  return out;
}

export function parseUsers(v: ConfValue, path: string, warnings: Warnings, account?: string): UserConfig[] {
  return expectArray(v, path).map((item, i) => parseUser(item, `${path}[${i}]`, warnings, account));
}

export function parseAuthorization(v: ConfValue, path: string, warnings: Warnings): AuthorizationConfig {
  const block = expectMap(v, path);
  const auth: AuthorizationConfig = { timeout_ms: authTimeoutMsDefault };
  // Empty values mean "not set", as in nats-server.
  const setUser = (x: ConfValue, p: string): void => setOptional(auth, "user", optionalString(x, p));
  const setPassword = (x: ConfValue, p: string): void => setOptional(auth, "password", optionalString(x, p));
  walkBlock(block, path, {
    keys: {
      user: setUser,
      username: setUser,
      password: setPassword,
      pass: setPassword,
      token: (x, p) => setOptional(auth, "token", optionalString(x, p)),
      timeout: (x, p) => {
        const ms = expectSecondsMs(x, p, 0, authTimeoutMsMax);
        auth.timeout_ms = ms === 0 ? authTimeoutMsDefault : ms;
      },
      users: (x, p) => (auth.users = parseUsers(x, p, warnings)),
      default_permissions: (x, p) => (auth.default_permissions = parsePermissions(x, p, warnings)),
    },
    unsupported: {
      nkeys: nkeysUnsupported,
      auth_callout: "auth callout is not implemented",
    },
  });
  checkAuthorization(auth, block, path);
  // As for users[]: a single user without a password has the empty password.
  if (auth.user !== undefined && auth.password === undefined) auth.password = "";
  return auth;
}

/** nats-server's rules: one of user+password, token, or a users list. */
export function checkAuthorization(auth: AuthorizationConfig, at: ConfMap | undefined, path: string): void {
  const problem = (detail: string): never => {
    throw new ConfigError(`${path}: ${detail}`, at?.pos, path);
  };
  if (auth.token !== undefined && (auth.user !== undefined || auth.password !== undefined)) {
    problem("cannot have a user/password and a token");
  }
  if (auth.users !== undefined && (auth.user !== undefined || auth.token !== undefined)) {
    problem("cannot have a single user/password or token and a users array");
  }
  if (auth.password !== undefined && auth.user === undefined) problem("a password requires a user");
}

function parseExport(v: ConfValue, path: string): AccountExport {
  const out: AccountExport = {};
  walkBlock(expectMap(v, path), path, {
    keys: {
      stream: (x, p) => (out.stream = subjectList(x, p, false)[0] ?? ""),
      service: (x, p) => (out.service = subjectList(x, p, false)[0] ?? ""),
      accounts: (x, p) => (out.accounts = expectStringList(x, p)),
      response: (x, p) => (out.response_type = responseType(x, p)),
      response_type: (x, p) => (out.response_type = responseType(x, p)),
    },
    unsupported: { response_threshold: "not implemented", latency: "service latency tracking is not implemented" },
  });
  if ((out.stream === undefined) === (out.service === undefined)) {
    fail(v, path, "an export needs exactly one of stream or service");
  }
  if (out.stream !== undefined && out.response_type !== undefined) fail(v, path, "response_type is only valid for a service export");
  return out;
}

function responseType(v: ConfValue, path: string): "singleton" | "stream" | "chunked" {
  const s = expectString(v, path).toLowerCase();
  if (s === "singleton" || s === "stream" || s === "chunked") return s;
  return fail(v, path, `expected singleton, stream or chunked, got "${s}"`);
}

function importSource(v: ConfValue, path: string): { account: string; subject: string } {
  const src: { account?: string; subject?: string } = {};
  walkBlock(expectMap(v, path), path, {
    keys: {
      account: (x, p) => (src.account = expectNonEmptyString(x, p)),
      subject: (x, p) => (src.subject = subjectList(x, p, false)[0] ?? ""),
    },
  });
  if (src.account === undefined || src.subject === undefined) fail(v, path, "an import source needs account and subject");
  return { account: src.account, subject: src.subject };
}

function parseImport(v: ConfValue, path: string): AccountImport {
  const out: AccountImport = {};
  walkBlock(expectMap(v, path), path, {
    keys: {
      stream: (x, p) => (out.stream = importSource(x, p)),
      service: (x, p) => (out.service = importSource(x, p)),
      prefix: (x, p) => (out.prefix = expectNonEmptyString(x, p)),
      to: (x, p) => (out.to = expectNonEmptyString(x, p)),
    },
    unsupported: { share: "service latency sharing is not implemented" },
  });
  if ((out.stream === undefined) === (out.service === undefined)) {
    fail(v, path, "an import needs exactly one of stream or service");
  }
  return out;
}

function parseAccount(name: string, v: ConfValue, path: string, warnings: Warnings): AccountConfig {
  const account: AccountConfig = { name, users: [], jetstream: false, exports: [], imports: [] };
  walkBlock(expectMap(v, path), path, {
    keys: {
      users: (x, p) => (account.users = parseUsers(x, p, warnings, name)),
      jetstream: (x, p) => {
        if (x.kind === "map") account.jetstream = true; // per-account limits: enabled, limits not enforced
        else if (x.kind === "string" && /^(enabled?|disabled?)$/i.test(x.value)) account.jetstream = /^enabled?$/i.test(x.value);
        else account.jetstream = expectBool(x, p);
      },
      exports: (x, p) => (account.exports = expectArray(x, p).map((e, i) => parseExport(e, `${p}[${i}]`))),
      imports: (x, p) => (account.imports = expectArray(x, p).map((e, i) => parseImport(e, `${p}[${i}]`))),
      default_permissions: (x, p) => (account.default_permissions = parsePermissions(x, p, warnings)),
    },
    unsupported: {
      nkey: "operator/JWT accounts are not implemented",
      mappings: "subject mappings are not implemented",
      limits: "account limits are not implemented",
    },
  });
  return account;
}

/** `accounts { NAME: { ... } }`. Account names are case-sensitive, as in nats-server. */
export function parseAccounts(v: ConfValue, path: string, warnings: Warnings): AccountConfig[] {
  const block = expectMap(v, path);
  const accounts = new Map<string, AccountConfig>();
  for (const entry of block.entries) {
    if (entry.usedAsVariable) continue;
    if (entry.key.trim() === "" || /\s/.test(entry.key)) {
      throw new ConfigError(`${path}: invalid account name "${entry.key}"`, entry.keyPos, path);
    }
    accounts.set(entry.key, parseAccount(entry.key, entry.value, `${path}.${entry.key}`, warnings));
  }
  return [...accounts.values()];
}
