/** Test support: the real filesystem with fsync held at will (group commit and ack-ordering tests). */
import type { FileHandle, FileSystem } from "./fs.js";
import { NodeFileSystem } from "./node_fs.js";

/** The real filesystem, with every file's sync() held until the test releases it. */
export class GatedSyncFs implements FileSystem {
  private readonly inner = new NodeFileSystem();
  gated = false;
  syncsStarted = 0;
  private waiting: Array<() => void> = [];
  get held(): number {
    return this.waiting.length;
  }
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
  async open(path: string, opts: { create: boolean }): Promise<FileHandle> {
    const h = await this.inner.open(path, opts);
    return {
      size: () => h.size(),
      read: (o, l) => h.read(o, l),
      write: (o, d) => h.write(o, d),
      truncate: (s) => h.truncate(s),
      close: () => h.close(),
      sync: async () => {
        this.syncsStarted++;
        if (this.gated) await new Promise<void>((r) => this.waiting.push(r));
        await h.sync();
      },
    };
  }
  list(dir: string): Promise<string[]> {
    return this.inner.list(dir);
  }
  mkdirp(dir: string): Promise<void> {
    return this.inner.mkdirp(dir);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }
  syncDir(dir: string): Promise<void> {
    return this.inner.syncDir(dir);
  }
  removeTree(dir: string): Promise<void> {
    return this.inner.removeTree(dir);
  }
}
