/**
 * Stream and consumer metadata on disk under `<store_dir>/jetstream/$G/streams/<stream>/`:
 * `meta.json` (config + created), `consumers/<name>.json` (config + created + state), and the
 * store's own files in `msgs/`. Writes are atomic: temp file, fsync, rename, fsync directory.
 */
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ConsumerConfig } from "./consumer/config.js";
import type { PersistedConsumerState } from "./consumer/state.js";
import type { StreamConfig } from "./stream/config.js";

export interface StreamMeta {
  config: StreamConfig;
  created_ns: string;
}

export interface ConsumerMeta {
  config: ConsumerConfig;
  created_ns: string;
  state: PersistedConsumerState;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function writeJsonAtomic(path: string, dir: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, "w");
  try {
    await fh.writeFile(JSON.stringify(value));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}

export class MetaStore {
  readonly root: string;

  constructor(storeDir: string) {
    this.root = join(storeDir, "jetstream", "$G", "streams");
  }

  streamDir(name: string): string {
    return join(this.root, name);
  }

  msgsDir(name: string): string {
    return join(this.root, name, "msgs");
  }

  async saveStream(meta: StreamMeta): Promise<void> {
    const dir = this.streamDir(meta.config.name);
    await mkdir(join(dir, "consumers"), { recursive: true });
    await writeJsonAtomic(join(dir, "meta.json"), dir, meta);
  }

  async removeStream(name: string): Promise<void> {
    await rm(this.streamDir(name), { recursive: true, force: true });
    await fsyncDir(this.root).catch(() => undefined);
  }

  async saveConsumer(stream: string, name: string, meta: ConsumerMeta): Promise<void> {
    const dir = join(this.streamDir(stream), "consumers");
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, `${name}.json`), dir, meta);
  }

  async removeConsumer(stream: string, name: string): Promise<void> {
    const dir = join(this.streamDir(stream), "consumers");
    await rm(join(dir, `${name}.json`), { force: true });
    await fsyncDir(dir).catch(() => undefined);
  }

  /** Every stream with its consumers; unreadable entries are reported, not fatal. */
  async loadAll(): Promise<{ streams: Array<{ meta: StreamMeta; consumers: ConsumerMeta[] }>; problems: string[] }> {
    const problems: string[] = [];
    const streams: Array<{ meta: StreamMeta; consumers: ConsumerMeta[] }> = [];
    await mkdir(this.root, { recursive: true });
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(this.root, entry.name);
      let meta: StreamMeta;
      try {
        meta = JSON.parse(await readFile(join(dir, "meta.json"), "utf8")) as StreamMeta;
      } catch (err) {
        problems.push(`stream ${entry.name}: unreadable meta.json: ${String(err)}`);
        continue;
      }
      const consumers: ConsumerMeta[] = [];
      const cdir = join(dir, "consumers");
      const files = await readdir(cdir).catch(() => [] as string[]);
      for (const f of files) {
        if (!f.endsWith(".json")) continue;
        try {
          consumers.push(JSON.parse(await readFile(join(cdir, f), "utf8")) as ConsumerMeta);
        } catch (err) {
          problems.push(`consumer ${entry.name}/${f}: unreadable: ${String(err)}`);
        }
      }
      streams.push({ meta, consumers });
    }
    return { streams, problems };
  }
}
