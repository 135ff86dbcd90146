/**
 * Who is connecting: CONNECT credentials checked against the configured authorization, one of
 * single user/password, token, or a users list (with `no_auth_user` for credential-less clients).
 * Passwords and tokens may be bcrypt hashes (`$2a$`, `$2b$`, `$2y$`); comparing those costs
 * milliseconds of CPU, so the check is async (bcryptjs yields between rounds).
 */
import { createHash } from "node:crypto";
import bcrypt from "bcryptjs";
import { PermissionChecker, type PermissionsSpec } from "./permissions.js";

export interface AuthUser {
  user: string;
  password: string;
  permissions?: PermissionsSpec;
}

export interface AuthSettings {
  user?: string;
  password?: string;
  token?: string;
  users?: AuthUser[];
  default_permissions?: PermissionsSpec;
  no_auth_user?: string;
}

export interface Credentials {
  user?: string | undefined;
  pass?: string | undefined;
  auth_token?: string | undefined;
}

export type AuthDecision =
  | { ok: true; user: string | undefined; permissions: PermissionChecker | undefined }
  | { ok: false; reason: string };

export function isBcryptHash(s: string): boolean {
  return /^\$2[aby]\$\d\d\$/.test(s);
}

/**
 * Successful bcrypt checks, keyed by hash and a SHA-256 of the password (never the password), so
 * clients that reconnect often (operator probes, reconnect storms) do not pay a bcrypt each time.
 * Bounded; oldest entries go first. Failed checks are never cached.
 */
const verifiedBcrypt = new Set<string>();
const verifiedBcryptEntriesMax = 1024;

function bcryptCacheKey(given: string, stored: string): string {
  return `${stored}\0${createHash("sha256").update(given).digest("base64")}`;
}

async function secretMatches(given: string | undefined, stored: string): Promise<boolean> {
  if (given === undefined) return false;
  if (isBcryptHash(stored)) {
    const key = bcryptCacheKey(given, stored);
    if (verifiedBcrypt.has(key)) return true;
    try {
      const ok = await bcrypt.compare(given, stored);
      if (ok) {
        if (verifiedBcrypt.size >= verifiedBcryptEntriesMax) {
          const oldest = verifiedBcrypt.values().next().value;
          if (oldest !== undefined) verifiedBcrypt.delete(oldest);
        }
        verifiedBcrypt.add(key);
      }
      return ok;
    } catch {
      return false;
    }
  }
  return constantTimeEqual(given, stored);
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

export class Authenticator {
  private readonly users = new Map<string, { user: AuthUser; checker: PermissionChecker | undefined }>();
  private readonly defaultChecker: PermissionChecker | undefined;

  constructor(private readonly settings: AuthSettings) {
    this.defaultChecker = settings.default_permissions === undefined ? undefined : new PermissionChecker(settings.default_permissions);
    for (const u of settings.users ?? []) {
      const perms = u.permissions;
      this.users.set(u.user, { user: u, checker: perms === undefined ? this.defaultChecker : new PermissionChecker(perms) });
    }
  }

  /** Any authentication configured (INFO `auth_required`). */
  get required(): boolean {
    const s = this.settings;
    return s.user !== undefined || s.token !== undefined || (s.users !== undefined && s.users.length > 0);
  }

  /** With no_auth_user, clients may send ops before CONNECT. */
  get hasNoAuthUser(): boolean {
    return this.settings.no_auth_user !== undefined && this.users.has(this.settings.no_auth_user);
  }

  async authenticate(creds: Credentials): Promise<AuthDecision> {
    const s = this.settings;
    if (!this.required) return { ok: true, user: undefined, permissions: undefined };
    const anonymous = creds.user === undefined && creds.pass === undefined && creds.auth_token === undefined;
    if (anonymous && s.no_auth_user !== undefined) {
      const entry = this.users.get(s.no_auth_user);
      if (entry !== undefined) return { ok: true, user: entry.user.user, permissions: entry.checker };
    }
    if (s.token !== undefined) {
      return (await secretMatches(creds.auth_token, s.token))
        ? { ok: true, user: undefined, permissions: this.defaultChecker }
        : { ok: false, reason: "bad or missing token" };
    }
    if (s.user !== undefined) {
      if (creds.user !== s.user) return { ok: false, reason: `unknown user ${JSON.stringify(creds.user ?? "")}` };
      return (await secretMatches(creds.pass, s.password ?? ""))
        ? { ok: true, user: s.user, permissions: this.defaultChecker }
        : { ok: false, reason: `bad password for user ${JSON.stringify(s.user)}` };
    }
    const entry = creds.user === undefined ? undefined : this.users.get(creds.user);
    if (entry === undefined) return { ok: false, reason: `unknown user ${JSON.stringify(creds.user ?? "")}` };
    return (await secretMatches(creds.pass, entry.user.password))
      ? { ok: true, user: entry.user.user, permissions: entry.checker }
      : { ok: false, reason: `bad password for user ${JSON.stringify(entry.user.user)}` };
  }
}
