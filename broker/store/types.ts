/**
 * The contract between streams (broker/jetstream, later broker/raft) and storage.
 * Implementations: `MemoryStore` and `FileStore` (broker/store), passing one shared suite.
 * A replicated log can sit under JetStream by feeding the same `append` calls from applied
 * Raft entries, so sequences and timestamps are assigned by the caller when it wants to.
 */

export interface StoredMessage {
  seq: number;
  /** Nanoseconds since the Unix epoch. */
  ts_ns: bigint;
  subject: string;
  /** Raw NATS header block ("NATS/1.0\r\n...\r\n\r\n"), or undefined when none. */
  headers: Uint8Array | undefined;
  payload: Uint8Array;
}

export type DiscardPolicy = "old" | "new";

export interface StoreLimits {
  /** 0 or negative = unlimited, as in nats-server (-1). */
  max_msgs: number;
  max_bytes: number;
  max_age_ms: number;
  max_msgs_per_subject: number;
  max_msg_size_bytes: number;
  discard: DiscardPolicy;
  /** With discard new: also reject when the subject is at max_msgs_per_subject. */
  discard_new_per_subject: boolean;
}

export type SyncPolicy = "always" | "interval" | "never";

export interface StoreOptions {
  /** Stream name: used in errors and monitoring. */
  name: string;
  limits: StoreLimits;
  sync: SyncPolicy;
  sync_interval_ms: number;
}

export interface StoreState {
  msgs: number;
  bytes: number;
  first_seq: number;
  first_ts_ns: bigint;
  last_seq: number;
  last_ts_ns: bigint;
  num_subjects: number;
  num_deleted: number;
  /** Damage found at recovery or read time, visible in monitoring. */
  damage: StoreDamage[];
}

export interface StoreDamage {
  segment: string;
  offset: number;
  first_seq: number;
  last_seq: number;
  reason: string;
}

export interface AppendInput {
  subject: string;
  headers: Uint8Array | undefined;
  payload: Uint8Array;
  /** Assigned by the store when omitted. */
  ts_ns?: bigint;
  /** Only for replicated logs applying a leader's decision; otherwise last_seq + 1. */
  seq?: number;
}

export interface AppendResult {
  seq: number;
  ts_ns: bigint;
  /** Sequences removed by limits as a consequence of this append (for interest/consumer bookkeeping). */
  removed: number[];
}

/** Thrown for rejections callers map to API errors (limits, discard new, store failure). */
export class StoreError extends Error {
  constructor(
    readonly code:
      | "msg_too_large"
      | "max_msgs"
      | "max_bytes"
      | "max_msgs_per_subject"
      | "storage_failed"
      | "closed"
      | "not_found"
      | "bad_sequence",
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

export interface PurgeRequest {
  /** Only messages whose subject matches this filter (wildcards allowed). */
  filter?: string;
  /** Remove messages with seq < this. */
  up_to_seq?: number;
  /** Keep the newest N (per filter). */
  keep?: number;
}

/**
 * What `Store.nextCached` found without I/O: the message; `null` when no live message at or
 * after the start matches; or a sequence: continue from there with the asynchronous `next` (a
 * matching message is not held in memory, or the step bound was reached before an answer).
 */
export type CachedNext = StoredMessage | number | null;

export interface Store {
  readonly name: string;
  /** Durable per the sync policy when the promise resolves ("always": after fsync). */
  append(input: AppendInput): Promise<AppendResult>;
  get(seq: number): Promise<StoredMessage | undefined>;
  /** First message with seq >= start whose subject matches filter (wildcards ok, undefined = all). */
  next(start: number, filter?: string): Promise<StoredMessage | undefined>;
  /** Last message whose subject matches filter. */
  lastBySubject(filter: string): Promise<StoredMessage | undefined>;
  /** First message with ts >= ts_ns. */
  firstAtOrAfterTime(ts_ns: bigint): Promise<number>;
  delete(seq: number, opts?: { erase?: boolean }): Promise<boolean>;
  purge(req?: PurgeRequest): Promise<number>;
  /** Apply max_age (and other limits) now; called periodically by the owner. */
  expire(now_ns: bigint): Promise<number[]>;
  /** Count of messages per subject matching filter. */
  subjectCounts(filter: string): Map<string, number>;
  numPending(start: number, filter?: string): number;
  /** Is `seq` live (stored, not deleted, purged or expired)? Index only, no I/O. */
  has(seq: number): boolean;
  /**
   * Message `seq` when it is live and held in memory (FileStore: written by this process and
   * still cached), else undefined; never one whose append has not resolved. No I/O, no promise.
   * The bytes are shared with the store: callers must not modify them.
   */
  getCached(seq: number): StoredMessage | undefined;
  /**
   * The first live message with seq >= start whose subject matches any of `filters` (none =
   * all), when memory answers it: see `CachedNext`. Walks at most `cachedScanStepsMax`
   * sequences. `filters` is compiled once per array: do not mutate it after passing it.
   * Returned bytes are shared, as with `getCached`.
   */
  nextCached(start: number, filters: readonly string[]): CachedNext;
  state(): StoreState;
  updateLimits(limits: StoreLimits): Promise<void>;
  /** Flush and fsync everything; further calls fail with "closed". */
  close(): Promise<void>;
  /** Remove all data of this store. */
  destroy(): Promise<void>;
}
