import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Keyring } from "./encryption.js";
import { FileStore } from "./file_store.js";
import type { FileStoreConfig } from "./file_store.js";
import { NodeFileSystem } from "./node_fs.js";
import { storeSuite } from "./store.suite.js";
import type { StoreHarness } from "./store.suite.js";

export const testKeyring = Keyring.parse(`1:${"11".repeat(32)}\n2:${"22".repeat(32)}`);

function harness(extra: Partial<FileStoreConfig>): () => StoreHarness {
  return () => {
    let dir: string | undefined;
    let last: FileStore | undefined;
    const fs = new NodeFileSystem();
    return {
      async open(options, clock) {
        dir = await mkdtemp(join(tmpdir(), "sluice-store-"));
        last = await FileStore.open(options, { fs, dir, clock, segment_bytes_max: 2048, ...extra });
        return last;
      },
      async reopen(store, options, clock) {
        await store.close();
        last = await FileStore.open(options, { fs, dir: dir!, clock, segment_bytes_max: 2048, ...extra });
        return last;
      },
      async cleanup() {
        await last?.close();
        if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

// Tiny segments so every case crosses segment boundaries, index files and compaction.
storeSuite("FileStore (2 KiB segments)", harness({}));
storeSuite("FileStore (encrypted, 2 KiB segments)", harness({ cipher: testKeyring }));
