/**
 * Checks that span several keys, run after the config file and the flags are merged (a flag can
 * create a conflict the file alone did not have). Messages follow nats-server's validateOptions.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import type { ConfValue } from "./ast.js";
import { checkAuthorization } from "./auth.js";
import { ConfigError } from "./errors.js";
import type { AccountConfig, AccountImport, ServerOptions } from "./options.js";
import { formatDurationMs } from "./units.js";

export interface ValidationContext {
  /** Value of each top-level key the config file set (for error positions). */
  readonly positions: ReadonlyMap<string, ConfValue>;
  /** Whether a file exists; used to check TLS and key files so `-t` catches them. */
  readonly fileExists: (path: string) => boolean;
  /** Reads a file as text (TLS PEM checks). */
  readonly readFile: (path: string) => string;
}

export function validateOptions(o: ServerOptions, ctx: ValidationContext): void {
  const at = (key: string, detail: string): never => {
    throw new ConfigError(detail, ctx.positions.get(key)?.pos, key);
  };
  if (o.max_payload_bytes > o.max_pending_bytes) {
    at("max_payload", `max_payload (${o.max_payload_bytes}) cannot be higher than max_pending (${o.max_pending_bytes})`);
  }
  if (o.lame_duck_duration_ms > 0 && o.lame_duck_grace_period_ms >= o.lame_duck_duration_ms) {
    at(
      "lame_duck_grace_period",
      `lame duck grace period (${formatDurationMs(o.lame_duck_grace_period_ms)}) should be strictly lower than lame duck duration (${formatDurationMs(o.lame_duck_duration_ms)})`,
    );
  }
  if (/\s/.test(o.server_name)) at("server_name", "server name cannot contain spaces");
  if (o.http_port !== 0 && o.https_port !== 0) {
    at("https_port", `cannot specify both an http port (${o.http_port}) and an https port (${o.https_port}) for monitoring`);
  }
  if (o.https_port !== 0 && o.tls === undefined) at("https_port", "https monitoring requires a tls block (or --tls flags)");
  if (o.authorization !== undefined) checkAuthorization(o.authorization, undefined, "authorization");
  checkUsersAndAccounts(o, at);
  checkFiles(o, ctx, at);
}

function checkUsersAndAccounts(o: ServerOptions, at: (key: string, detail: string) => never): void {
  const accountNames = new Set((o.accounts ?? []).map((a) => a.name));
  const users = new Map<string, string>();
  const addUser = (user: string, where: string, key: string): void => {
    const previous = users.get(user);
    if (previous !== undefined) {
      at(key, previous === where ? `duplicate user "${user}" in ${where}` : `duplicate user "${user}" (in ${previous} and ${where})`);
    }
    users.set(user, where);
  };
  for (const u of o.authorization?.users ?? []) addUser(u.user, "authorization", "authorization");
  for (const account of o.accounts ?? []) {
    for (const u of account.users) addUser(u.user, `account ${account.name}`, "accounts");
    for (const imp of account.imports) {
      const problem = importProblem(account.name, imp, o.accounts ?? []);
      if (problem !== undefined) at("accounts", `accounts.${account.name}: ${problem}`);
    }
    for (const exp of account.exports) {
      for (const allowed of exp.accounts ?? []) {
        if (!accountNames.has(allowed)) at("accounts", `accounts.${account.name}: export to account "${allowed}", which is not defined`);
      }
    }
  }
  if (o.no_auth_user !== undefined && !users.has(o.no_auth_user)) {
    at("no_auth_user", `no_auth_user: "${o.no_auth_user}" not present as user in authorization block or account configuration`);
  }
  if (o.system_account !== undefined && o.system_account !== "$SYS" && !accountNames.has(o.system_account)) {
    at("system_account", `system_account: account "${o.system_account}" is not defined in accounts`);
  }
}

/**
 * Whether `subject` only matches subjects that `pattern` also matches (nats-server's
 * isSubsetMatch): an import must stay inside what the source account exports.
 */
export function isSubsetMatch(subject: string, pattern: string): boolean {
  const s = subject.split(".");
  const p = pattern.split(".");
  for (let i = 0; i < p.length; i++) {
    const pt = p[i];
    const st = s[i];
    if (pt === ">") return st !== undefined;
    if (st === undefined) return false;
    if (pt === "*") {
      if (st === ">") return false;
      continue;
    }
    if (pt !== st) return false;
  }
  return s.length === p.length;
}

function importProblem(importer: string, imp: AccountImport, accounts: readonly AccountConfig[]): string | undefined {
  const kind = imp.stream !== undefined ? "stream" : "service";
  const src = imp.stream ?? imp.service;
  if (src === undefined) return undefined;
  const source = accounts.find((a) => a.name === src.account);
  if (source === undefined) return `import from account "${src.account}", which is not defined`;
  const allowed = source.exports.some((e) => {
    const exported = kind === "stream" ? e.stream : e.service;
    return exported !== undefined && isSubsetMatch(src.subject, exported) && (e.accounts === undefined || e.accounts.includes(importer));
  });
  // nats-server's wording: `Error adding stream import "x": stream import not authorized`.
  return allowed ? undefined : `${kind} import "${src.subject}" from account "${src.account}" not authorized (no matching ${kind} export)`;
}

function checkFiles(o: ServerOptions, ctx: ValidationContext, at: (key: string, detail: string) => never): void {
  const need = (key: string, what: string, path: string | undefined): void => {
    if (path !== undefined && !ctx.fileExists(path)) at(key, `${what} "${path}" does not exist`);
  };
  need("tls", "tls.cert_file", o.tls?.cert_file);
  need("tls", "tls.key_file", o.tls?.key_file);
  need("tls", "tls.ca_file", o.tls?.ca_file);
  // Like nats-server, load the PEM files now so `-t` and startup fail with a clear message.
  if (o.tls !== undefined) {
    const pem = (key: string, path: string, parse: (text: string) => unknown, what: string): void => {
      try {
        parse(ctx.readFile(path));
      } catch (err) {
        at(key, `${what} "${path}" is not valid PEM: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    pem("tls", o.tls.cert_file, (t) => new X509Certificate(t), "tls.cert_file");
    pem("tls", o.tls.key_file, (t) => createPrivateKey(t), "tls.key_file");
    if (o.tls.ca_file !== undefined) pem("tls", o.tls.ca_file, (t) => new X509Certificate(t), "tls.ca_file");
  }
  if (o.jetstream.enabled) need("jetstream", "jetstream.encryption_key_file", o.jetstream.encryption_key_file);
}
