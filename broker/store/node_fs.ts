/**
 * The real filesystem behind the seam: the only file in the store that imports node:fs.
 * fsyncs run on the libuv pool (4 threads by default), so concurrent syncs across all stores
 * are bounded here (durability rule 8); the *Sync variants are never used.
 */
import { promises as fsp, constants as fsc } from "node:fs";
import type { FileHandle as NodeHandle } from "node:fs/promises";
import type { FileHandle, FileSystem } from "./fs.js";

/** A counting semaphore; waiters are served in arrival order. */
class Semaphore {
  private waiters: Array<() => void> = [];
  constructor(private available: number) {}
  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.available++;
  }
}

class NodeFileHandle implements FileHandle {
  constructor(
    private readonly h: NodeHandle,
    private readonly syncs: Semaphore,
  ) {}

  async size(): Promise<number> {
    return (await this.h.stat()).size;
  }

  async read(offset_bytes: number, length_bytes: number): Promise<Uint8Array> {
    const buf = Buffer.allocUnsafe(length_bytes);
    let got = 0;
    while (got < length_bytes) {
      const { bytesRead } = await this.h.read(buf, got, length_bytes - got, offset_bytes + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, got);
  }

  async write(offset_bytes: number, data: Uint8Array): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.h.write(data, done, data.length - done, offset_bytes + done);
      done += bytesWritten;
    }
  }

  truncate(size_bytes: number): Promise<void> {
    return this.h.truncate(size_bytes);
  }

  async sync(): Promise<void> {
    await this.syncs.acquire();
    try {
      await this.h.datasync();
    } finally {
      this.syncs.release();
    }
  }

  close(): Promise<void> {
    return this.h.close();
  }
}

export class NodeFileSystem implements FileSystem {
  private readonly syncs: Semaphore;

  /** `syncs_in_flight_max` bounds concurrent fsyncs across every store sharing this object. */
  constructor(opts: { syncs_in_flight_max?: number } = {}) {
    this.syncs = new Semaphore(opts.syncs_in_flight_max ?? 2);
  }

  async open(path: string, opts: { create: boolean }): Promise<FileHandle> {
    const flags = opts.create ? fsc.O_RDWR | fsc.O_CREAT : fsc.O_RDWR;
    return new NodeFileHandle(await fsp.open(path, flags, 0o640), this.syncs);
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fsp.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }

  async mkdirp(dir: string): Promise<void> {
    await fsp.mkdir(dir, { recursive: true, mode: 0o750 });
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return fsp.unlink(path);
  }

  async syncDir(dir: string): Promise<void> {
    const h = await fsp.open(dir, fsc.O_RDONLY);
    await this.syncs.acquire();
    try {
      await h.sync();
    } finally {
      this.syncs.release();
      await h.close();
    }
  }

  removeTree(dir: string): Promise<void> {
    return fsp.rm(dir, { recursive: true, force: true });
  }
}
