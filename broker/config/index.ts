/**
 * Options from argv (nats-server flags) and a config file. Placeholder until the config
 * parser lands: it honours only -p/--port and -js so the server can be wired meanwhile.
 */
import { defaultOptions, type ServerOptions } from "./options.js";

export type LoadResult = { kind: "ok"; options: ServerOptions } | { kind: "exit"; code: number; output: string };

export function loadServerOptions(argv: string[], _env: NodeJS.ProcessEnv = process.env): LoadResult {
  const options = defaultOptions();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if ((arg === "-p" || arg === "--port") && argv[i + 1] !== undefined) options.port = Number(argv[++i]);
    else if (arg === "-js" || arg === "--jetstream") options.jetstream.enabled = true;
  }
  return { kind: "ok", options };
}
