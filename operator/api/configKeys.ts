/**
 * The nats-server config keys a MessageQueue may set through `spec.config`. Keys the operator
 * owns (ports, cluster, jetstream, authorization, tls, server_name) are absent on purpose: a user
 * value there would break routes, probes or credentials. Values are strings in the CR and are
 * written into the broker config as typed below.
 */
export type ConfigValueKind = "integer" | "size" | "duration" | "boolean";

export const allowedConfigKeys: Readonly<Record<string, ConfigValueKind>> = {
  max_payload: "size",
  max_pending: "size",
  max_control_line: "size",
  max_connections: "integer",
  max_subscriptions: "integer",
  ping_interval: "duration",
  ping_max: "integer",
  write_deadline: "duration",
  lame_duck_duration: "duration",
  lame_duck_grace_period: "duration",
  debug: "boolean",
  trace: "boolean",
  logtime: "boolean",
};

export const allowedConfigKeyNames: readonly string[] = Object.keys(allowedConfigKeys).sort();

const patterns: Record<ConfigValueKind, RegExp> = {
  integer: /^[0-9]{1,12}$/,
  size: /^[0-9]{1,12}(B|KB|MB|GB|K|M|G)?$/,
  duration: /^[0-9]{1,9}(ms|s|m|h)$/,
  boolean: /^(true|false)$/,
};

/** Returns an error message for a bad key/value, undefined when allowed. */
export function checkConfigEntry(key: string, value: string): string | undefined {
  const valueKind = allowedConfigKeys[key];
  if (valueKind === undefined) {
    return `spec.config: key "${key}" is not allowed; allowed keys: ${allowedConfigKeyNames.join(", ")}`;
  }
  if (!patterns[valueKind].test(value)) {
    const hint = { integer: "e.g. 1000", size: "e.g. 1MB", duration: "e.g. 30s", boolean: "true or false" }[valueKind];
    return `spec.config.${key}: "${value}" is not a valid ${valueKind} (${hint})`;
  }
  return undefined;
}

/** How a value is written in nats-server config syntax (durations and sizes quoted). */
export function renderConfigValue(key: string, value: string): string {
  const valueKind = allowedConfigKeys[key];
  if (valueKind === "integer" || valueKind === "boolean") return value;
  if (valueKind === "size" && /^[0-9]+$/.test(value)) return value;
  return JSON.stringify(value);
}
