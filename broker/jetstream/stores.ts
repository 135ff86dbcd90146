/**
 * The store factory the service uses: MemoryStore for `storage: memory`, FileStore (in the
 * stream's `msgs/` directory) for `file`. One NodeFileSystem is shared so concurrent fsyncs
 * stay bounded across streams, and one cache budget so the messages file stores keep in memory
 * for consumers stay bounded across streams too.
 */
import type { Clock } from "../../common/clock.js";
import { FileStore } from "../store/file_store.js";
import { MemoryStore } from "../store/memory_store.js";
import { CacheBudget, cacheBudgetBytesDefault } from "../store/recent_cache.js";
import { NodeFileSystem } from "../store/node_fs.js";
import type { Store, StoreOptions } from "../store/types.js";
import type { StorageType } from "./stream/config.js";
import type { StoreFactory } from "./types.js";

export function realStores(clock: Clock): StoreFactory {
  const fs = new NodeFileSystem();
  const cache_budget = new CacheBudget(cacheBudgetBytesDefault);
  return {
    async open(storage: StorageType, dir: string, opts: StoreOptions): Promise<Store> {
      if (storage === "memory" || dir === "") return new MemoryStore(opts, clock);
      return FileStore.open(opts, { fs, dir, clock, cache_budget });
    },
  };
}

/** Memory-only factory (tests of the API and state machines). */
export function memoryStores(clock: Clock): StoreFactory {
  return { open: (_s, _d, opts) => Promise.resolve(new MemoryStore(opts, clock)) };
}
