/**
 * Checks that span several keys, run after the config file and the flags are merged (a flag can
 * create a conflict the file alone did not have). Messages follow nats-server's validateOptions.
 */
import type { ConfValue } from "./ast.js";
import { checkAuthorization } from "./auth.js";
import { ConfigError } from "./errors.js";
import type { ServerOptions } from "./options.js";
import { formatDurationMs } from "./units.js";

export interface ValidationContext {
  /** Value of each top-level key the config file set (for error positions). */
  readonly positions: ReadonlyMap<string, ConfValue>;
  /** Whether a file exists; used to check TLS and key files so `-t` catches them. */
  readonly fileExists: (path: string) => boolean;
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
      const source = imp.stream?.account ?? imp.service?.account;
      if (source !== undefined && !accountNames.has(source)) {
        at("accounts", `accounts.${account.name}: import from account "${source}", which is not defined`);
      }
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

function checkFiles(o: ServerOptions, ctx: ValidationContext, at: (key: string, detail: string) => never): void {
  const need = (key: string, what: string, path: string | undefined): void => {
    if (path !== undefined && !ctx.fileExists(path)) at(key, `${what} "${path}" does not exist`);
  };
  need("tls", "tls.cert_file", o.tls?.cert_file);
  need("tls", "tls.key_file", o.tls?.key_file);
  need("tls", "tls.ca_file", o.tls?.ca_file);
  if (o.jetstream.enabled) need("jetstream", "jetstream.encryption_key_file", o.jetstream.encryption_key_file);
}
