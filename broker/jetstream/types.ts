/** Small shared shapes for JetStream shells: the logger we need and the store factory seam. */
import type { Store, StoreOptions } from "../store/types.js";
import type { StorageType } from "./stream/config.js";

export interface JsLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export const silentLog: JsLog = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** Opens the store of one stream: memory or file under `dir`. The service passes the real stores. */
export interface StoreFactory {
  open(storage: StorageType, dir: string, opts: StoreOptions): Promise<Store>;
}

/** Go's zero time, what nats-server prints for "never". */
export const zeroTime = "0001-01-01T00:00:00Z";
