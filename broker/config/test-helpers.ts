/** Shared by the config tests: run `loadServerOptions` against in-memory files. */
import { readFileSync } from "node:fs";
import { loadServerOptions, type LoadResult } from "./index.js";
import type { ServerOptions } from "./options.js";

export interface LoadFixture {
  /** Contents of `sluice.conf` (passed with -c unless `argv` already has -c). */
  conf?: string;
  argv?: string[];
  env?: Record<string, string>;
  /** Extra files readable by the parser, and files that "exist" for TLS/key checks. */
  files?: Record<string, string>;
  /** Records `-sl` deliveries; PID 99999 behaves like a process that does not exist. */
  sent?: Array<[number, string]>;
}

export function load(f: LoadFixture): LoadResult {
  const files: Record<string, string> = { ...f.files };
  const argv = [...(f.argv ?? [])];
  if (f.conf !== undefined) {
    files["sluice.conf"] = f.conf;
    if (!argv.includes("-c") && !argv.includes("--config")) argv.unshift("-c", "sluice.conf");
  }
  return loadServerOptions(argv, f.env ?? {}, {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
    fileExists: (path) => path in files,
    tmpDir: "/tmp/test",
    sendSignal: (pid, signal) => {
      if (pid === 99999) throw new Error("kill ESRCH");
      f.sent?.push([pid, signal]);
    },
  });
}

export function loadOk(f: LoadFixture): ServerOptions {
  const r = load(f);
  if (r.kind !== "ok") throw new Error(`expected options, got exit ${r.code}: ${r.output}`);
  return r.options;
}

/** The error line for a config that must be rejected (exit 1), without the program prefix. */
export function loadError(f: LoadFixture): string {
  const r = load(f);
  if (r.kind !== "exit" || r.code !== 1) throw new Error(`expected exit 1, got ${JSON.stringify(r)}`);
  return r.output.replace(/^sluice broker: /, "").trimEnd();
}

/** A throwaway self-signed certificate and key (testdata/), for TLS file checks. */
export const pem = {
  cert: readFileSync(new URL("./testdata/server-cert.pem", import.meta.url), "utf8"),
  key: readFileSync(new URL("./testdata/server-key.pem", import.meta.url), "utf8"),
};
