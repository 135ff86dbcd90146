/**
 * The PID file (`-P`) and the ports file (`--ports_file_dir`), as nats-server writes them:
 * `<dir>/<basename(argv0)>_<pid>.ports`, compact JSON with empty keys omitted, mode 0666,
 * deleted on shutdown. argv0 is the executable's name (bin/sluice exports SLUICE_ARGV0; it
 * defaults to "sluice").
 */
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

export interface PortsInfo {
  nats?: string[];
  monitoring?: string[];
  cluster?: string[];
  profile?: string[];
  websocket?: string[];
}

export function portsFileName(dir: string, pid = process.pid, argv0 = process.env["SLUICE_ARGV0"] ?? "sluice"): string {
  return join(dir, `${basename(argv0)}_${pid}.ports`);
}

export function writePortsFile(path: string, info: PortsInfo): void {
  const compact: PortsInfo = {};
  for (const [k, v] of Object.entries(info) as Array<[keyof PortsInfo, string[] | undefined]>) if (v !== undefined && v.length > 0) compact[k] = v;
  writeFileSync(path, JSON.stringify(compact));
  chmodSync(path, 0o666);
}

export function writePidFile(path: string, pid = process.pid): void {
  writeFileSync(path, String(pid));
}

export function removeQuietly(path: string | undefined): void {
  if (path === undefined) return;
  try {
    rmSync(path, { force: true });
  } catch {
    // Best effort on the way out.
  }
}
