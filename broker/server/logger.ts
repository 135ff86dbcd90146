/**
 * nats-server-like log lines: `[pid] 2006/01/02 15:04:05.000000 [INF] text`, to stderr or to a
 * file (`-l`). Debug (`-D`) and trace (`-V`) lines are skipped unless enabled. Levels can change
 * on reload.
 */
import { appendFileSync } from "node:fs";

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  fatal(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
  readonly debugEnabled: boolean;
  readonly traceEnabled: boolean;
}

export interface LoggerOptions {
  debug: boolean;
  trace: boolean;
  logtime: boolean;
  log_file?: string | undefined;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function timestamp(d: Date): string {
  const micros = pad(d.getMilliseconds(), 3) + "000";
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${micros}`;
}

export class ServerLogger implements Logger {
  private opts: LoggerOptions;
  constructor(opts: LoggerOptions) {
    this.opts = { ...opts };
  }

  reconfigure(opts: LoggerOptions): void {
    this.opts = { ...opts };
  }

  get debugEnabled(): boolean {
    return this.opts.debug;
  }
  get traceEnabled(): boolean {
    return this.opts.trace;
  }

  info(msg: string): void {
    this.write("INF", msg);
  }
  warn(msg: string): void {
    this.write("WRN", msg);
  }
  error(msg: string): void {
    this.write("ERR", msg);
  }
  fatal(msg: string): void {
    this.write("FTL", msg);
  }
  debug(msg: string): void {
    if (this.opts.debug) this.write("DBG", msg);
  }
  trace(msg: string): void {
    if (this.opts.trace) this.write("TRC", msg);
  }

  private write(level: string, msg: string): void {
    const time = this.opts.logtime ? `${timestamp(new Date())} ` : "";
    const line = `[${process.pid}] ${time}[${level}] ${msg}\n`;
    if (this.opts.log_file !== undefined) {
      try {
        appendFileSync(this.opts.log_file, line);
        return;
      } catch {
        // Fall through to stderr: losing the log file must not lose the line.
      }
    }
    process.stderr.write(line);
  }
}
