/**
 * `sluice broker` options: nats-server's command-line flags over nats-server's config file.
 * `loadServerOptions` never prints and never exits; it tells the caller what to do:
 *   { kind: "ok", options, warnings }  → run with `options`, log each warning;
 *   { kind: "exit", code, output }     → print `output` (stdout when code is 0, else stderr), exit.
 * Calling it again with the same argv re-reads the config file: that is the SIGHUP reload.
 */
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { applyFlags } from "./apply-flags.js";
import type { ConfValue } from "./ast.js";
import { ConfigError } from "./errors.js";
import { FlagError, parseFlags, tlsHelpText, usageText, type ParsedFlags } from "./flags.js";
import { applyConfig } from "./from-config.js";
import { defaultOptions, type ServerOptions } from "./options.js";
import { parseConfigFile } from "./parser.js";
import { resolveSignal } from "./signal.js";
import { validateOptions } from "./validate.js";

export { ConfigError, type Pos } from "./errors.js";
export { FlagError, parseFlags, usageText } from "./flags.js";
export { parseConfigFile, parseConfigText, parserLimits, type ConfigIo } from "./parser.js";
export { toPlain, type ConfEntry, type ConfMap, type ConfValue } from "./ast.js";
export { defaultOptions, type ServerOptions } from "./options.js";

/** The nats-server release whose behaviour the broker reproduces; reported by `-v`. */
export const natsServerVersion = "2.10.22";

export type LoadResult =
  | { kind: "ok"; options: ServerOptions; warnings: string[] }
  | { kind: "exit"; code: number; output: string };

/** Seams for tests; the defaults use the real file system. */
export interface LoadDeps {
  readonly readFile: (path: string) => string;
  readonly fileExists: (path: string) => boolean;
  readonly tmpDir: string;
  /** Name used in messages and usage. */
  readonly program: string;
  readonly version: string;
  /** For `-sl`: deliver a signal to a process (throws when it cannot). */
  readonly sendSignal: (pid: number, signal: NodeJS.Signals) => void;
}

const defaultDeps: LoadDeps = {
  readFile: (path) => readFileSync(path, "utf8"),
  fileExists: (path) => existsSync(path),
  tmpDir: tmpdir(),
  program: "sluice broker",
  version: natsServerVersion,
  sendSignal: (pid, signal) => void process.kill(pid, signal),
};

export function loadServerOptions(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<LoadDeps> = {},
): LoadResult {
  const deps: LoadDeps = { ...defaultDeps, ...overrides };
  const program = deps.program;
  let flags: ParsedFlags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    return { kind: "exit", code: 2, output: `${program}: ${err.message}\nRun '${program} --help' for usage.\n` };
  }
  const has = (id: string): boolean => flags.values.get(id) === true;
  const [first] = flags.positional;
  if (has("help") || first?.toLowerCase() === "help") return { kind: "exit", code: 0, output: usageText(program) };
  if (has("help_tls")) return { kind: "exit", code: 0, output: tlsHelpText(program) };
  if (has("version") || first?.toLowerCase() === "version") {
    return { kind: "exit", code: 0, output: `${program}: v${deps.version}\n` };
  }
  if (first !== undefined) {
    const hint = /^(true|false)$/i.test(first) ? " (boolean flags take -flag=value, e.g. -T=false)" : "";
    return { kind: "exit", code: 2, output: `${program}: unexpected argument "${first}"${hint}\nRun '${program} --help' for usage.\n` };
  }

  const configFile = flags.values.get("config");
  const file = typeof configFile === "string" && configFile !== "" ? configFile : undefined;
  if (has("test") && file === undefined) {
    return { kind: "exit", code: 1, output: `${program}: must specify [-c, --config] option to check configuration file syntax\n` };
  }
  const options = defaultOptions();
  const warnings: string[] = [];
  try {
    let positions: ReadonlyMap<string, ConfValue> = new Map();
    if (file !== undefined) {
      const root = parseConfigFile(file, { env, readFile: deps.readFile });
      if (root.entries.length === 0) throw new ConfigError(`${file}: config has no values or is empty`); // as nats-server
      positions = applyConfig(root, options, warnings).positions;
      options.config_file = resolve(file);
    }
    applyFlags(options, flags);
    validateOptions(options, { positions, fileExists: deps.fileExists, readFile: deps.readFile });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { kind: "exit", code: 1, output: `${program}: ${err.message}\n` };
  }
  const signal = flags.values.get("signal");
  if (typeof signal === "string") return sendSignal(signal, options.pid_file, deps);
  // nats-server's -t is pedantic: what is only a warning at startup fails the test.
  if (has("test") && warnings.length > 0) {
    return { kind: "exit", code: 1, output: warnings.map((w) => `${program}: ${w}\n`).join("") };
  }
  if (options.jetstream.enabled && options.jetstream.store_dir === "") {
    options.jetstream.store_dir = join(deps.tmpDir, "nats");
    warnings.push(`JetStream: temporary storage directory used (${join(options.jetstream.store_dir, "jetstream")}), data could be lost on system reboot`);
  }
  if (has("test")) return { kind: "exit", code: 0, output: `${program}: configuration file ${file ?? ""} is valid\n` };
  return { kind: "ok", options, warnings };
}

function sendSignal(text: string, pidFile: string | undefined, deps: LoadDeps): LoadResult {
  try {
    const { pid, signal } = resolveSignal(text, deps.readFile, pidFile);
    try {
      deps.sendSignal(pid, signal);
    } catch (err) {
      return { kind: "exit", code: 1, output: `${deps.program}: -sl: cannot send ${signal} to process ${pid}: ${err instanceof Error ? err.message : String(err)}\n` };
    }
    return { kind: "exit", code: 0, output: "" };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { kind: "exit", code: 1, output: `${deps.program}: ${err.message}\n` };
  }
}
