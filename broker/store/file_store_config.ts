/**
 * FileStore configuration (beyond the StoreOptions every store takes), its defaults, and the
 * counters the store keeps (tests, the bench).
 */
import type { Clock } from "../../common/clock.js";
import type { FileSystem } from "./fs.js";
import { cachedMsgBytesMaxDefault } from "./recent_cache.js";
import type { CacheBudget } from "./recent_cache.js";
import type { BodyCipher } from "./record.js";

export interface FileStoreConfig {
  fs: FileSystem;
  /** This stream's own directory (see streamDirName in fs.ts for a safe name). */
  dir: string;
  clock?: Clock;
  /** Segments roll over once they reach this size (a batch may overshoot by its own size). */
  segment_bytes_max?: number;
  batch_ops_max?: number;
  batch_bytes_max?: number;
  /** Cache of messages read back from disk; bounded so memory does not grow with the stream. */
  cache_bytes_max?: number;
  /**
   * Memory for the messages this store writes (kept once durable, so readers of recent
   * messages need no disk read). Pass one budget to all stores of a server; default: one
   * process-wide budget of 64 MiB (recent_cache.ts).
   */
  cache_budget?: CacheBudget;
  /** Written messages larger than this are not cached. */
  cached_msg_bytes_max?: number;
  /** Appends waiting for a batch; beyond this they are rejected (back-pressure). */
  queue_ops_max?: number;
  /** After ENOSPC, appends are refused without touching the disk for this long. */
  no_space_backoff_ms?: number;
  /** AES-256-GCM for new records (encryption.ts Keyring). */
  cipher?: BodyCipher;
  /**
   * Under `sync: always`, zero-fill the active segment this far ahead of the write position
   * while batches are small (0 disables); see preallocation.ts.
   */
  preallocate_bytes?: number;
  /** Preallocate only while the mean batch is at most this large. */
  preallocate_batch_bytes_max?: number;
  /** A backlog of at least twice this many bytes, found with no fsync in flight, is split in two (0: never). */
  split_batch_bytes_min?: number;
}

export const fileStoreDefaults = {
  segment_bytes_max: 64 * 1024 * 1024,
  batch_ops_max: 4096,
  batch_bytes_max: 4 * 1024 * 1024,
  cache_bytes_max: 8 * 1024 * 1024,
  cached_msg_bytes_max: cachedMsgBytesMaxDefault,
  queue_ops_max: 100_000,
  no_space_backoff_ms: 1000,
  preallocate_bytes: 4 * 1024 * 1024,
  preallocate_batch_bytes_max: 256 * 1024,
  split_batch_bytes_min: 128 * 1024,
} as const;
/** The numeric settings with defaults filled in (objects such as the cipher are read from the config). */
export type ResolvedFileStoreConfig = Required<Omit<FileStoreConfig, "cipher" | "clock" | "cache_budget">>;

export function resolveFileStoreConfig(config: FileStoreConfig): ResolvedFileStoreConfig {
  const given = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<FileStoreConfig>;
  return { ...fileStoreDefaults, ...given } as ResolvedFileStoreConfig;
}

export interface FileStoreStats {
  batches: number;
  syncs: number;
  appends: number;
  bytes_written: number;
  compactions: number;
  segments_dropped: number;
  /** Time spent in fsync (for the bench: the store's own fsync latency vs the disk probe). */
  sync_ms_total: number;
  /** Zeros written ahead of the data (preallocation). */
  bytes_preallocated: number;
}
