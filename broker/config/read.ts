/**
 * Typed reads of config values for the mapping layer. Each `expect*` either returns the value in
 * the wanted shape or throws a `ConfigError` at the value's position naming the key:
 * `sluice.conf:4:14: max_payload: expected a size, got "abc"`.
 */
import { describeValue, type ConfEntry, type ConfMap, type ConfValue } from "./ast.js";
import { ConfigError, didYouMean, formatPos } from "./errors.js";
import { parseGoDurationMs, parseSizeString } from "./units.js";

/** Collected while mapping; the server logs them at startup (nats-server prints similar warnings). */
export type Warnings = string[];

export function fail(v: ConfValue, path: string, what: string): never {
  throw new ConfigError(`${path}: ${what}`, v.pos, path);
}

function expected(v: ConfValue, path: string, what: string): never {
  return fail(v, path, `expected ${what}, got ${describeValue(v)}`);
}

export function expectString(v: ConfValue, path: string): string {
  if (v.kind === "string") return v.value;
  // Bare numbers where a name is expected (`server_name: 1`) read as text, like nats-server's users do.
  if (v.kind === "int" || v.kind === "float") return v.raw;
  return expected(v, path, "a string");
}

/** nats-server treats an empty string as "not set" for optional settings. */
export function optionalString(v: ConfValue, path: string): string | undefined {
  const s = expectString(v, path);
  return s === "" ? undefined : s;
}

/** Sets an optional field, or removes it for `undefined` (exactOptionalPropertyTypes-friendly). */
export function setOptional<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) Reflect.deleteProperty(target, key);
  else target[key] = value;
}

export function expectNonEmptyString(v: ConfValue, path: string): string {
  const s = expectString(v, path);
  if (s.trim() === "") fail(v, path, "must not be empty");
  return s;
}

export function expectBool(v: ConfValue, path: string): boolean {
  if (v.kind === "bool") return v.value;
  if (v.kind === "string") {
    const b = ({ true: true, yes: true, on: true, false: false, no: false, off: false } as Record<string, boolean>)[
      v.value.toLowerCase()
    ];
    if (b !== undefined) return b;
  }
  return expected(v, path, "a boolean (true/false)");
}

export function expectInt(v: ConfValue, path: string, min: number, max: number): number {
  if (v.kind !== "int") return expected(v, path, "an integer");
  if (v.value < min || v.value > max) fail(v, path, `${v.raw} is out of range (${min}..${max})`);
  return v.value;
}

/** Ports: 0..65535, or -1 for "pick a random free port". */
export function expectPort(v: ConfValue, path: string): number {
  if (v.kind !== "int") return expected(v, path, "a port number");
  if (v.value !== -1 && (v.value < 0 || v.value > 65535)) fail(v, path, `port ${v.raw} is out of range (0..65535, or -1 for random)`);
  return v.value;
}

/** A byte count: `1048576`, `1MB` (1024s), `1M` (1000s) or a quoted `"1G"` (1024s). */
export function expectSize(v: ConfValue, path: string, min: number, max: number): number {
  let bytes: number | undefined;
  if (v.kind === "int") bytes = v.value;
  else if (v.kind === "string") bytes = parseSizeString(v.value);
  if (bytes === undefined) return expected(v, path, "a size (e.g. 1048576, 1MB, \"1G\")");
  if (bytes < min || bytes > max) fail(v, path, `${describeValue(v)} is out of range (${min}..${max} bytes)`);
  return bytes;
}

/**
 * A duration in milliseconds: a Go duration string (`"2m"`, `"500ms"`) or a number of seconds
 * (nats-server's deprecated form; warned). A bare `2m` lexes as the integer 2000000 in
 * nats-server (the `m` size suffix) and would mean 23 days; we read it as the duration it looks
 * like, and warn.
 */
export function expectDurationMs(v: ConfValue, path: string, warnings: Warnings, minMs: number, maxMs: number): number {
  let ms: number | undefined;
  if (v.kind === "string") ms = parseGoDurationMs(v.value.trim());
  else if (v.kind === "int" && !/^-?\d+$/.test(v.raw)) {
    ms = parseGoDurationMs(v.raw);
    if (ms !== undefined) {
      warnings.push(`${formatPos(v.pos)}: ${path}: unquoted ${v.raw} read as a duration; quote it ("${v.raw}") for nats-server compatibility`);
    }
  } else if (v.kind === "int" || v.kind === "float") {
    ms = Math.round(v.value * 1000);
    warnings.push(`${formatPos(v.pos)}: ${path}: a bare number is read as seconds; prefer a duration string such as "${v.raw}s"`);
  }
  if (ms === undefined) return expected(v, path, 'a duration (e.g. "2m", "500ms", "10s")');
  if (ms < minMs || ms > maxMs) fail(v, path, `${describeValue(v)} is out of range`);
  return ms;
}

/** Seconds as nats-server's `timeout` keys take them (int or float), or a duration string. */
export function expectSecondsMs(v: ConfValue, path: string, minMs: number, maxMs: number): number {
  let ms: number | undefined;
  if (v.kind === "int" && /^-?\d+$/.test(v.raw)) ms = v.value * 1000;
  else if (v.kind === "float") ms = Math.round(v.value * 1000);
  else if (v.kind === "string") ms = parseGoDurationMs(v.value.trim());
  if (ms === undefined) return expected(v, path, 'a number of seconds (e.g. 2, 0.5) or a duration ("2s")');
  if (ms < minMs || ms > maxMs) fail(v, path, `${describeValue(v)} is out of range`);
  return ms;
}

export function expectArray(v: ConfValue, path: string): readonly ConfValue[] {
  if (v.kind !== "array") return expected(v, path, "an array [ ... ]");
  return v.items;
}

export function expectMap(v: ConfValue, path: string): ConfMap {
  if (v.kind !== "map") return expected(v, path, "a block { ... }");
  return v;
}

/** A string, or an array of strings (`routes`, permission lists). */
export function expectStringList(v: ConfValue, path: string): string[] {
  if (v.kind === "array") return v.items.map((item, i) => expectNonEmptyString(item, `${path}[${i}]`));
  return [expectNonEmptyString(v, path)];
}

export type Handler = (value: ConfValue, path: string, entry: ConfEntry) => void;

export interface BlockSpec {
  /** Lower-case key → handler. Several aliases may share a handler. */
  readonly keys: Readonly<Record<string, Handler>>;
  /** Lower-case keys nats-server knows but Sluice does not implement → why (shown to the user). */
  readonly unsupported?: Readonly<Record<string, string>>;
}

/**
 * Applies `spec` to each entry of a block. Keys match case-insensitively; when a key appears twice
 * the last one wins (as in nats-server, and so an include can be overridden), except that an entry
 * only used as a `$variable` never overrides a real setting. Entries used as variables are
 * applied when their key is known (nats-server does too) and otherwise skipped; other unknown
 * keys fail with a suggestion.
 */
export function walkBlock(block: ConfMap, blockPath: string, spec: BlockSpec): void {
  const last = new Map<string, ConfEntry>();
  for (const entry of block.entries) {
    const key = entry.key.toLowerCase();
    const previous = last.get(key);
    if (previous !== undefined && entry.usedAsVariable && !previous.usedAsVariable) continue;
    last.delete(key);
    last.set(key, entry);
  }
  for (const [key, entry] of last) {
    const path = blockPath === "" ? key : `${blockPath}.${key}`;
    const handler = spec.keys[key];
    if (handler !== undefined) {
      handler(entry.value, path, entry);
      continue;
    }
    if (entry.usedAsVariable) continue;
    const where = blockPath === "" ? "" : ` in ${blockPath}`;
    const why = spec.unsupported?.[key];
    if (why !== undefined) {
      throw new ConfigError(`key "${entry.key}"${where} is not supported by Sluice: ${why}`, entry.keyPos, path);
    }
    throw new ConfigError(`unknown key "${entry.key}"${where}${didYouMean(key, Object.keys(spec.keys))}`, entry.keyPos, path);
  }
}

/** `host:port`, `:port` or a bare port, as nats-server's `listen` keys take them. */
export function expectHostPort(v: ConfValue, path: string): { host?: string; port: number } {
  if (v.kind === "int") return { port: expectPort(v, path) };
  const s = expectNonEmptyString(v, path).trim();
  const m = /^(?:\[([0-9a-fA-F:.%a-zA-Z]+)\]|([^:[\]\s]*)):(-?\d{1,5})$/.exec(s);
  if (m === null) return expected(v, path, 'a "host:port" address');
  const host = m[1] ?? m[2] ?? "";
  const port = Number(m[3]);
  if (port !== -1 && (port < 0 || port > 65535)) fail(v, path, `port ${port} is out of range (0..65535, or -1 for random)`);
  return host === "" ? { port } : { host, port };
}
