/**
 * `sluice broker`: load options (nats-server flags and config file), start the client listener,
 * monitoring, internal services (JetStream when enabled), write PID/ports files, and run until a
 * signal: SIGINT/SIGTERM shut down, SIGUSR2 enters lame duck, SIGHUP reloads the config file.
 */
import { loadServerOptions } from "../config/index.js";
import type { ServerOptions } from "../config/options.js";
import type { Bus } from "../core/bus.js";
import { MonitorServer } from "../monitor/http.js";
import { portsFileName, removeQuietly, writePidFile, writePortsFile } from "./files.js";
import { ServerLogger, type Logger } from "./logger.js";
import { ServerMonitorSource } from "./monitor-source.js";
import { Server, hostPort, listenerHosts, serverVersion } from "./server.js";
import type { InternalService } from "./service.js";
import { SystemService } from "./system.js";

/** Where JetStream lives; loaded only when enabled, and optional until it exists. */
const jetstreamModule = "../jetstream/index.js";

interface ServiceHandle {
  stop(): Promise<void>;
  monitor?(): object;
  healthy?(): boolean;
}

function isFunction(v: unknown): v is (...args: unknown[]) => unknown {
  return typeof v === "function";
}

/**
 * broker/jetstream/index.js may export either `createJetStreamService(): InternalService` or
 * `startJetStream(bus, options, log): Promise<ServiceHandle | void>`. Undefined if absent.
 */
export async function loadJetStream(): Promise<InternalService | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(jetstreamModule)) as Record<string, unknown>;
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === "ERR_MODULE_NOT_FOUND" && (e.message ?? "").includes("jetstream")) return undefined;
    throw err;
  }
  const create = mod["createJetStreamService"];
  if (isFunction(create)) return create() as InternalService;
  const startFn = mod["startJetStream"];
  if (!isFunction(startFn)) throw new Error("broker/jetstream/index.js exports neither createJetStreamService nor startJetStream");
  let handle: ServiceHandle | undefined;
  return {
    name: "JetStream",
    async start(bus: Bus, opts: ServerOptions, log: Logger): Promise<void> {
      handle = ((await startFn(bus, opts, log)) as ServiceHandle | undefined) ?? undefined;
    },
    async stop(): Promise<void> {
      await handle?.stop();
    },
    monitor: () => (handle?.monitor !== undefined ? handle.monitor() : {}),
    healthy: () => handle?.healthy?.() ?? true,
  };
}

export async function main(argv: string[]): Promise<number> {
  const loaded = loadServerOptions(argv, process.env);
  if (loaded.kind === "exit") {
    (loaded.code === 0 ? process.stdout : process.stderr).write(loaded.output);
    return loaded.code;
  }
  const opts = loaded.options;
  const logger = new ServerLogger(opts);
  for (const w of loaded.warnings) logger.warn(w);
  logger.info("Starting sluice broker (nats-server compatible)");
  logger.info(`  Version:  ${serverVersion}`);
  logger.info(`  Node:     ${process.version}`);
  if (opts.config_file !== undefined) logger.info(`Using configuration file: ${opts.config_file}`);

  const server = new Server(opts, logger);
  logger.info(`  Name:     ${server.serverName}`);
  logger.info(`  ID:       ${server.serverId}`);
  let monitor: MonitorServer | undefined;
  let portsFile: string | undefined;
  const source = new ServerMonitorSource(server, () => monitor?.port ?? 0);
  // Like nats-server, monitoring listens on the client host unless a host was configured for it.
  const httpHost = opts.http_host === "0.0.0.0" ? opts.host : opts.http_host;
  try {
    if (opts.pid_file !== undefined) writePidFile(opts.pid_file);
    await server.startService(new SystemService(source, logger));
    if (opts.jetstream.enabled) {
      const js = await loadJetStream();
      if (js === undefined) logger.warn("JetStream enabled but broker/jetstream is not built in this version; /healthz reports it");
      else {
        logger.info("Starting JetStream");
        await server.startService(js);
      }
    }
    if (opts.http_port !== 0) {
      monitor = new MonitorServer(source, (m) => logger.error(m));
      for (const svc of server.services) svc.registerMetrics?.(monitor.metrics);
      const port = await monitor.listen(httpHost, opts.http_port);
      logger.info(`Starting http monitor on ${hostPort(httpHost, port)}`);
    }
    await server.listen();
    if (opts.ports_file_dir !== undefined) {
      portsFile = portsFileName(opts.ports_file_dir);
      const scheme = opts.tls !== undefined ? "tls" : "nats";
      writePortsFile(portsFile, {
        nats: listenerHosts(opts.host, true).map((h) => `${scheme}://${hostPort(h, server.port)}`),
        monitoring: monitor === undefined ? [] : listenerHosts(httpHost, true).map((h) => `http://${hostPort(h, monitor!.port)}`),
      });
    }
  } catch (err) {
    logger.fatal(`Error starting server: ${err instanceof Error ? err.message : String(err)}`);
    await server.shutdown();
    await monitor?.close();
    removeQuietly(portsFile);
    removeQuietly(opts.pid_file);
    return 1;
  }
  logger.info("Server is ready");

  return new Promise<number>((resolve) => {
    let exiting = false;
    const exit = async (code: number): Promise<void> => {
      if (exiting) return;
      exiting = true;
      await server.shutdown();
      await monitor?.close();
      removeQuietly(portsFile);
      removeQuietly(opts.pid_file);
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const) process.removeAllListeners(sig);
      // Sockets closing in the background must not keep a stopped broker alive.
      setTimeout(() => process.exit(code), 3000).unref();
      resolve(code);
    };
    process.on("SIGINT", () => {
      logger.info("Trapped \"interrupt\" signal");
      void exit(0);
    });
    process.on("SIGTERM", () => {
      if (server.lameDuck) return; // lame duck finishes on its own schedule
      logger.info("Trapped \"terminated\" signal");
      void exit(0);
    });
    process.on("SIGUSR1", () => logger.info("Reopened log file"));
    process.on("SIGUSR2", () => {
      server.enterLameDuck().then(
        () => exit(0),
        (err: unknown) => {
          logger.error(`lame duck: ${String(err)}`);
          return exit(1);
        },
      );
    });
    process.on("SIGHUP", () => {
      const next = loadServerOptions(argv, process.env);
      if (next.kind !== "ok") {
        logger.error(`Failed to reload server configuration: ${next.kind === "exit" ? next.output.trim() : ""}`);
        return;
      }
      try {
        const changed = server.reload(next.options);
        logger.reconfigure(next.options);
        for (const w of next.warnings) logger.warn(w);
        logger.info(`Reloaded server configuration (${changed.join(", ")})`);
      } catch (err) {
        logger.error(`Failed to reload server configuration: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
  });
}
