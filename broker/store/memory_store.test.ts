import { MemoryStore } from "./memory_store.js";
import { storeSuite } from "./store.suite.js";

storeSuite("MemoryStore", () => ({
  open: (options, clock) => Promise.resolve(new MemoryStore(options, clock)),
  reopen: (store) => Promise.resolve(store),
  cleanup: () => Promise.resolve(),
}));
