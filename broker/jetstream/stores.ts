/**
 * The store factory the service uses: MemoryStore for `storage: memory`, FileStore for `file`.
 */
import type { Clock } from "../../common/clock.js";
import { MemoryStore } from "../store/memory_store.js";
import type { Store, StoreOptions } from "../store/types.js";
import type { StorageType } from "./stream/config.js";
import type { JsLog, StoreFactory } from "./types.js";

export function realStores(clock: Clock, log: JsLog): StoreFactory {
  let warned = false;
  return {
    open(storage: StorageType, _dir: string, opts: StoreOptions): Promise<Store> {
      if (storage === "file" && !warned) {
        // FileStore is being written alongside (broker/store); until it lands file streams are in memory.
        warned = true;
        log.warn("jetstream: FileStore not available yet; file streams are kept in memory");
      }
      return Promise.resolve(new MemoryStore(opts, clock));
    },
  };
}

/** Memory-only factory (tests of the API and state machines). */
export function memoryStores(clock: Clock): StoreFactory {
  return { open: (_s, _d, opts) => Promise.resolve(new MemoryStore(opts, clock)) };
}
