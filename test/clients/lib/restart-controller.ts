/**
 * Lets a client suite (Go, Python, Java — another process) ask for a broker restart at an exact
 * point of a test. Protocol over a directory (env NATS_RESTART_CTL / NATS_JS_CTL):
 *   suite:      writes `request-<id>` (content `term` or `kill`; written as tmp + rename)
 *   controller: stops the broker with that signal, starts it again on the same port and store,
 *               then writes `done-<id>` containing `ok` or `error: <text>`
 *   suite:      waits for `done-<id>` with a deadline, then waits for its client to reconnect.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerProcess } from "./server-process.js";

const REQUEST = /^request-([A-Za-z0-9_-]{1,64})$/;
const POLL_INTERVAL_MS = 50;
const RESTARTS_MAX = 20;

export class RestartController {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly handled = new Set<string>();
  restarts = 0;

  constructor(
    private readonly server: ServerProcess,
    readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      for (const name of readdirSync(this.dir)) {
        const m = REQUEST.exec(name);
        if (!m || this.handled.has(m[1]!)) continue;
        this.handled.add(m[1]!);
        await this.serve(m[1]!, readFileSync(join(this.dir, name), "utf8").trim());
      }
      await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
    }
  }

  private async serve(id: string, mode: string): Promise<void> {
    let result = "ok";
    try {
      if (mode !== "term" && mode !== "kill") throw new Error(`unknown restart mode ${JSON.stringify(mode)}`);
      if (this.restarts >= RESTARTS_MAX) throw new Error(`more than ${RESTARTS_MAX} restarts requested`);
      this.restarts++;
      await this.server.restart(mode === "kill" ? "SIGKILL" : "SIGTERM");
    } catch (err) {
      result = `error: ${(err as Error).message}`;
    }
    const done = join(this.dir, `done-${id}`);
    if (existsSync(done)) return;
    writeFileSync(`${done}.tmp`, result);
    renameSync(`${done}.tmp`, done);
  }
}
