/**
 * FileStore: a stream as a directory of append-only, checksummed segment files.
 *
 * Writes go through one writer loop (group commit, durability rule 7): operations queue while
 * a batch is being written and fsynced; the next batch takes everything queued (bounded by
 * count and bytes) and is written with one write and one fsync. Nothing waits on a timer, so an
 * idle disk gets a single append written at once. Index changes are made while a batch is
 * built, so limits decide in order; readers of a record wait until its batch is durable.
 */
import type { Clock } from "../../common/clock.js";
import { systemClock } from "../../common/clock.js";
import { ByteLru } from "./byte_lru.js";
import { scanCached } from "./cached_reads.js";
import { RecentCache, sharedCacheBudget } from "./recent_cache.js";
import { resolveFileStoreConfig } from "./file_store_config.js";
import type { FileStoreConfig, FileStoreStats, ResolvedFileStoreConfig } from "./file_store_config.js";
import { createSegment, recoverStream, writeSegmentIndex } from "./file_recovery.js";
import { compactSegment, dropSegments } from "./file_compaction.js";
import { isNoSpace } from "./fs.js";
import type { IndexEntry, MsgIndex } from "./msg_index.js";
import { damageEntriesMax, readMeta, writeMeta } from "./meta_file.js";
import type { StreamMeta } from "./meta_file.js";
import { encodeControlFrame, encodeErasedFrame, frameOverheadBytes, RecordKind } from "./record.js";
import type { BodyCipher } from "./record.js";
import type { Loc, Segment } from "./segment.js";
import { buildBatch, takeBatch } from "./batch_builder.js";
import type { Batch, BatchFailure, Deferred, Op } from "./batch_builder.js";
import { preallocate, trimPreallocated } from "./preallocation.js";
import { scanAllSegments, verifyMsgFrame } from "./frame_verify.js";
import { StoreError } from "./types.js";
import type { AppendInput, AppendResult, CachedNext, PurgeRequest, Store, StoreDamage, StoredMessage, StoreLimits, StoreOptions, StoreState } from "./types.js";

export type { FileStoreConfig, FileStoreStats } from "./file_store_config.js";
export { fileStoreDefaults } from "./file_store_config.js";
const segmentBytesCeiling = 2 ** 31; // offsets are u32 in index files

export class FileStore implements Store {
  readonly name: string;
  private index!: MsgIndex<Loc>;
  private segments: Segment[] = [];
  private readonly queue: Op[] = [];
  private running = false;
  /** A writer start is scheduled (kick). */
  private kicked = false;
  private closed = false;
  private failed: StoreError | undefined;
  /** The error of the last failed batch (also used to reject a batch written behind it). */
  private lastFailure: StoreError | undefined;
  /** The batch whose fsync is in flight (pipelined writer). */
  private inflight: Promise<BatchFailure | undefined> | undefined;
  private noSpaceUntilMs = 0;
  /** Mean bytes per written batch (exponentially weighted), for the preallocation policy. */
  private batchBytesAvg = 0;
  /** The running writer loop, so close() can wait until no write is in flight. */
  private pumping: Promise<void> | undefined;
  private damage: StoreDamage[] = [];
  /** Segments whose compaction found damage: left alone for inspection and repair. */
  private readonly uncompactable = new Set<Segment>();
  private meta!: StreamMeta;
  private metaDirty = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Messages read back from disk. */
  private readonly cache: ByteLru<StoredMessage>;
  /** Messages this store wrote, once durable (write-through; budget shared across stores). */
  private readonly recent: RecentCache;
  private readonly clock: Clock;
  private readonly cfg: ResolvedFileStoreConfig;
  /** Index removals drop both caches' copies (batch_builder.ts calls it; erase wipes the bytes). */
  private readonly forget = {
    delete: (seq: number, erase: boolean): void => {
      this.cache.delete(seq);
      this.recent.delete(seq, erase);
    },
  };
  readonly stats: FileStoreStats = { batches: 0, syncs: 0, appends: 0, bytes_written: 0, compactions: 0, segments_dropped: 0, sync_ms_total: 0, bytes_preallocated: 0 };

  private constructor(
    private readonly options: StoreOptions,
    private readonly cfgRef: FileStoreConfig,
  ) {
    const config = cfgRef;
    this.name = options.name;
    this.clock = config.clock ?? systemClock;
    this.cfg = resolveFileStoreConfig(config);
    if (this.cfg.segment_bytes_max > segmentBytesCeiling) throw new RangeError(`segment_bytes_max must be <= ${segmentBytesCeiling}`);
    this.cache = new ByteLru(this.cfg.cache_bytes_max, (m) => m.payload.length + (m.headers?.length ?? 0) + m.subject.length + 64);
    this.recent = new RecentCache(config.cache_budget ?? sharedCacheBudget(), this.cfg.cached_msg_bytes_max);
  }

  private get cipher(): BodyCipher | undefined {
    return this.cfgRef.cipher;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Open (creating or recovering) the stream in `config.dir`. */
  static async open(options: StoreOptions, config: FileStoreConfig): Promise<FileStore> {
    const s = new FileStore(options, config);
    const fs = config.fs;
    await fs.mkdirp(config.dir);
    const m = await readMeta(fs, config.dir);
    if (m.kind === "ok" && m.meta.encrypted && config.cipher === undefined) {
      throw new StoreError("storage_failed", `stream ${options.name}: data is encrypted at rest but no encryption keys were configured`);
    }
    const remembered = m.kind === "ok" ? m.meta.damage : [];
    if (m.kind === "damaged") remembered.push({ segment: "meta.json", offset: 0, first_seq: 0, last_seq: 0, reason: `${m.reason}; rebuilt from options` });
    await s.recover(remembered);
    try {
      s.meta = { format: 1, name: options.name, limits: { ...options.limits }, sync: options.sync, encrypted: (m.kind === "ok" && m.meta.encrypted) || config.cipher !== undefined, damage: s.damage };
      // A full disk must not stop the stream from opening: reads still work, and the
      // metadata is written by the next batch that gets space.
      await writeMeta(fs, config.dir, s.meta).catch((err: unknown) => {
        if (!isNoSpace(err)) throw err;
        s.metaDirty = true;
      });
      // Limits may have changed while closed, or a torn write kept a message whose removals were lost.
      await s.updateLimits(options.limits).catch((err: unknown) => {
        if (s.failed !== undefined || !(err instanceof StoreError)) throw err;
      });
    } catch (err) {
      for (const seg of s.segments) await seg.handle.close().catch(() => undefined);
      throw err;
    }
    if (options.sync === "interval") {
      s.timer = setInterval(() => {
        if (s.active.dirty && !s.closed) void s.submit<void>((d) => ({ t: "sync", d })).catch(() => undefined);
      }, Math.max(1, options.sync_interval_ms));
      s.timer.unref();
    }
    return s;
  }

  private async recover(remembered: StoreDamage[], opts?: { cutTornTail: boolean }): Promise<void> {
    const r = await recoverStream(this.cfgRef.fs, this.cfgRef.dir, this.name, this.options.limits, this.cipher, opts);
    for (const old of this.segments) {
      old.retired = true;
      await old.handle.close().catch(() => undefined);
    }
    this.index = r.index;
    if (this.meta !== undefined) this.index.limits = { ...this.meta.limits };
    this.segments = r.segments;
    this.cache.clear();
    this.recent.clear(); // sequences of a failed batch may be handed out again
    for (const d of [...remembered, ...r.damage]) this.addDamage(d);
  }

  private addDamage(d: StoreDamage): void {
    if (this.damage.some((x) => x.segment === d.segment && x.offset === d.offset && x.first_seq === d.first_seq)) return;
    this.damage.push(d);
    if (this.damage.length > damageEntriesMax) this.damage.shift();
    this.metaDirty = true;
  }

  // ---- writes -------------------------------------------------------------------------------

  private submit<T>(make: (d: Deferred<T>) => Op): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new StoreError("closed", `store ${this.name} is closed`));
      if (this.failed !== undefined) return reject(this.failed);
      if (this.queue.length >= this.cfg.queue_ops_max) {
        return reject(new StoreError("storage_failed", `stream ${this.name}: write queue full (${this.cfg.queue_ops_max} operations waiting)`));
      }
      this.queue.push(make({ resolve, reject }));
      this.kick();
    });
  }

  /**
   * Start the writer when idle. On setImmediate, not a microtask: the writer then starts after
   * the current I/O phase, so every message parsed from the socket reads ready in this
   * event-loop turn (a 500-message burst usually arrives as 2-3 reads) goes into the first
   * batch and shares one fsync. No timer: an idle disk still gets a lone append at once.
   */
  private kick(): void {
    if (this.running || this.kicked) return;
    this.kicked = true;
    setImmediate(() => {
      this.kicked = false;
      if (!this.running) this.pumping = this.pump();
    });
  }

  append(input: AppendInput): Promise<AppendResult> {
    if (this.clock.monotonicMs() < this.noSpaceUntilMs && !this.closed) {
      return Promise.reject(new StoreError("storage_failed", `stream ${this.name}: no space left on device; appends refused for now`));
    }
    return this.submit<AppendResult>((d) => ({ t: "append", input, d }));
  }

  delete(seq: number, opts?: { erase?: boolean }): Promise<boolean> {
    return this.submit<boolean>((d) => ({ t: "delete", seq, erase: opts?.erase === true, d }));
  }

  purge(req?: PurgeRequest): Promise<number> {
    return this.submit<number>((d) => ({ t: "purge", req: req ?? {}, d }));
  }

  expire(now_ns: bigint): Promise<number[]> {
    return this.submit<number[]>((d) => ({ t: "expire", now_ns, d }));
  }

  updateLimits(limits: StoreLimits): Promise<void> {
    return this.submit<void>((d) => ({ t: "limits", limits: { ...limits }, d }));
  }

  /**
   * The writer loop. Pipelined: batch N+1 is built and written while batch N's fsync is in
   * flight; N+1's own fsync starts only after N is durable, so each acknowledgement still
   * follows an fsync issued after its write. Batches that need exclusive I/O (erase, scrub,
   * segment maintenance, rollover) drain the pipeline first.
   */
  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        while (this.queue.length > 0) {
          if (this.failed !== undefined) {
            for (const op of this.queue.splice(0)) op.d.reject(this.failed);
            break;
          }
          const act = this.active;
          if (act.size >= this.cfg.segment_bytes_max && act.size > frameOverheadBytes * 2) {
            if (!(await this.drain())) continue;
            if (!(await this.guard("roll over segment", act, act.size, () => this.rollover()))) continue;
          }
          const b = this.buildBatch(this.takeBatch());
          let writeErr: unknown;
          if (b.buf.length > 0) {
            try {
              await this.preallocate(b.seg, b.base + b.buf.length);
              await b.seg.handle.write(b.base, b.buf);
              b.seg.size = b.base + b.buf.length;
              b.seg.allocated = Math.max(b.seg.allocated, b.seg.size);
              b.seg.writes++;
              this.stats.bytes_written += b.buf.length;
              this.batchBytesAvg += (b.buf.length - this.batchBytesAvg) / 8;
            } catch (err) {
              writeErr = err;
            }
          }
          // The write has returned (or failed): nothing reads the buffer any more.
          b.releaseBuf();
          if (!(await this.drain())) {
            // The previous batch failed; recovery already cut this batch's bytes too.
            this.abandon(b, this.lastFailure!);
            continue;
          }
          if (writeErr !== undefined) {
            const e = await this.failWrites("write", b.seg, b.base, writeErr);
            this.abandon(b, e);
            continue;
          }
          const done = this.finishBatch(b);
          if (b.exclusive || this.maintenanceDue()) {
            this.inflight = done;
            if (await this.drain()) await this.maintain();
          } else {
            this.inflight = done;
          }
        }
        await this.drain();
        if (this.queue.length === 0) break;
      }
    } finally {
      this.running = false;
    }
  }

  /** Zero-fill ahead of small batches (preallocation.ts). */
  private async preallocate(seg: Segment, end: number): Promise<void> {
    const wanted = this.options.sync === "always" && this.batchBytesAvg <= this.cfg.preallocate_batch_bytes_max ? Math.max(0, this.cfg.preallocate_bytes) : 0;
    this.stats.bytes_preallocated += await preallocate(seg, end, wanted, this.cfg.segment_bytes_max);
  }

  /** Cut the preallocated zeros off a segment that gets no more appends (rollover, close). */
  private async trimPreallocated(seg: Segment): Promise<void> {
    if (await trimPreallocated(seg)) await this.syncSegment(seg);
  }

  /** Wait for the batch whose fsync is in flight; on failure recover and report false. */
  private async drain(): Promise<boolean> {
    const pending = this.inflight;
    if (pending === undefined) return true;
    this.inflight = undefined;
    const failure = await pending;
    if (failure === undefined) return true;
    const e = await this.failWrites(failure.what, failure.batch.seg, failure.batch.base, failure.err);
    this.abandon(failure.batch, e);
    return false;
  }

  /** Reject a batch that will not become durable and release readers waiting on it. */
  private abandon(b: Batch, e: StoreError): void {
    for (const v of b.victims) v.reject(e);
    for (const d of b.scrubs) d.reject(e);
    b.signal.done = true;
    b.resolveSignal();
  }

  private maintenanceDue(): boolean {
    const sealed = this.segments.length - 1;
    for (let i = 0; i < sealed; i++) {
      const s = this.segments[i]!;
      if (s.live === 0 && i === 0) return true;
      if (s.msgs > 0 && s.live * 2 < s.msgs && !this.uncompactable.has(s)) return true;
    }
    return false;
  }

  private takeBatch(): Op[] {
    const room = this.cfg.segment_bytes_max - this.active.size;
    // A large backlog found while no fsync is in flight is split (batch_builder.ts takeBatch).
    const split = this.inflight === undefined && this.options.sync === "always" ? this.cfg.split_batch_bytes_min : 0;
    return takeBatch(this.queue, { ops_max: this.cfg.batch_ops_max, bytes_max: Math.min(this.cfg.batch_bytes_max, room), split_bytes_min: split });
  }

  /** Run `io`; on failure recover from disk, reject `victims` and report false (never throws). */
  private async guard(what: string, seg: Segment, goodSize: number, io: () => Promise<void>, victims: Array<Deferred<never>> = []): Promise<boolean> {
    try {
      await io();
      return true;
    } catch (err) {
      const e = await this.failWrites(what, seg, goodSize, err);
      for (const v of victims) v.reject(e);
      return false;
    }
  }

  /**
   * A write, fsync or file operation failed: cut `seg` back to `goodSize` (the start of the
   * first batch not known durable), rebuild from what is on disk, and decide whether writes
   * may continue. Callers reject the affected operations afterwards, so whoever sees the error
   * also sees the state without the failed batch.
   */
  private async failWrites(what: string, seg: Segment, goodSize: number, err: unknown): Promise<StoreError> {
    const e = new StoreError("storage_failed", `stream ${this.name}: ${what} failed on segment ${seg.name}: ${(err as Error).message}`);
    this.lastFailure = e;
    if (isNoSpace(err)) this.noSpaceUntilMs = this.clock.monotonicMs() + this.cfg.no_space_backoff_ms;
    // fsync/EIO failures are not retryable (durability rule 4): stop accepting writes.
    else this.failed = e;
    await seg.handle.truncate(goodSize).catch(() => undefined);
    await this.recover(this.damage.slice(), { cutTornTail: false }).catch((re: unknown) => {
      this.failed ??= new StoreError("storage_failed", `stream ${this.name}: recovery after failure failed: ${(re as Error).message}`);
    });
    if (this.failed !== undefined) for (const op of this.queue.splice(0)) op.d.reject(this.failed);
    return e;
  }

  private buildBatch(ops: Op[]): Batch {
    return buildBatch(
      {
        seg: this.active,
        index: this.index,
        cache: this.forget,
        clock: this.clock,
        cipher: this.cipher,
        stats: this.stats,
        syncAlways: this.options.sync === "always",
        limitsChanged: (limits) => {
          if (this.meta !== undefined && JSON.stringify(this.meta.limits) !== JSON.stringify(limits)) {
            this.meta.limits = { ...limits };
            this.metaDirty = true;
          }
        },
      },
      ops,
    );
  }

  /** Make a written batch durable (per policy), then acknowledge it. Returns a failure instead of throwing. */
  private async finishBatch(b: Batch): Promise<BatchFailure | undefined> {
    try {
      if (b.sync && b.seg.dirty) await this.syncSegment(b.seg);
      if (b.erase.length > 0) await this.eraseInPlace(b.erase);
      await this.writeMetaIfDirty();
    } catch (err) {
      return { what: b.sync ? "fsync" : "write", batch: b, err };
    }
    b.signal.done = true;
    b.resolveSignal();
    // Cached before the appends resolve (readers learn of them then), and only if still live.
    if (!this.closed) for (const m of b.written) if (this.index.get(m.seq)?.ref.batch === b.signal) this.recent.add(m);
    for (const settle of b.settle) settle();
    for (const loc of b.pendingLocs) loc.batch = undefined;
    for (const d of b.scrubs) await this.scrubAll().then(d.resolve, d.reject);
    return undefined;
  }

  /**
   * Verify every frame of every segment, not trusting index files (a background scrub finds
   * rot in records nobody reads). Returns damage not reported before.
   */
  scrub(): Promise<StoreDamage[]> {
    return this.submit<StoreDamage[]>((d) => ({ t: "scrub", d }));
  }

  private async scrubAll(): Promise<StoreDamage[]> {
    const found: StoreDamage[] = [];
    for (const dmg of await scanAllSegments(this.segments, this.cipher)) {
      if (!this.damage.some((x) => x.segment === dmg.segment && x.offset === dmg.offset)) found.push(dmg);
      this.addDamage(dmg);
    }
    await this.writeMetaIfDirty();
    return found;
  }

  private async writeMetaIfDirty(): Promise<void> {
    if (!this.metaDirty) return;
    this.metaDirty = false;
    this.meta.damage = this.damage;
    await writeMeta(this.cfgRef.fs, this.cfgRef.dir, this.meta);
  }

  private async syncSegment(seg: Segment): Promise<void> {
    const t = this.clock.monotonicMs();
    const covered = seg.writes;
    await seg.handle.sync();
    seg.syncedWrites = Math.max(seg.syncedWrites, covered);
    this.stats.syncs++;
    this.stats.sync_ms_total += this.clock.monotonicMs() - t;
  }

  /** delete({erase}): overwrite the frame with a same-length erased record, after its tombstone is durable. */
  private async eraseInPlace(entries: Array<IndexEntry<Loc>>): Promise<void> {
    const touched = new Set<Segment>();
    for (const e of entries) {
      if (e.ref.seg.retired) continue;
      await e.ref.seg.handle.write(e.ref.off, encodeErasedFrame(e.seq, e.ref.len));
      touched.add(e.ref.seg);
    }
    for (const s of touched) await this.syncSegment(s);
  }

  private async rollover(): Promise<void> {
    const old = this.active;
    if (old.dirty) await this.syncSegment(old);
    // Before the next segment exists: a sealed segment never has a zero tail.
    await this.trimPreallocated(old);
    const next = await createSegment(this.cfgRef.fs, this.cfgRef.dir, old.id + 1, 0);
    this.segments.push(next);
    if (old.records !== undefined) await writeSegmentIndex(this.cfgRef.fs, this.cfgRef.dir, old, old.records, this.cipher).catch(() => undefined);
    old.records = undefined;
  }

  /** Drop fully deleted segments at the front; compact one sparse sealed segment. */
  private async maintain(): Promise<void> {
    if (this.failed !== undefined || this.segments.length < 2) return;
    const ctx = { fs: this.cfgRef.fs, dir: this.cfgRef.dir, index: this.index, cipher: this.cipher, stats: this.stats };
    const act = this.active;
    const front: Segment[] = [];
    for (const s of this.segments.slice(0, -1)) {
      if (s.live > 0) break;
      front.push(s);
    }
    // On a full disk compaction's temp file would fail again; dropping whole segments still runs.
    const sparse = this.clock.monotonicMs() < this.noSpaceUntilMs ? undefined : this.segments.slice(0, -1).find((s) => !front.includes(s) && s.msgs > 0 && s.live * 2 < s.msgs && !this.uncompactable.has(s));
    if (front.length === 0 && sparse === undefined) return;
    // Older segments may hold the record that proves last_seq; restate it in the active one first.
    const lastRecord = encodeControlFrame(RecordKind.lastSeq, this.index.last);
    const base = act.size;
    const ok = await this.guard("maintenance", act, base, async () => {
      // Keeps the guard of zeros behind this record too, if the segment has a zeroed tail.
      await this.preallocate(act, base + lastRecord.length);
      await act.handle.write(base, lastRecord);
      act.size = base + lastRecord.length;
      act.allocated = Math.max(act.allocated, act.size);
      act.records?.push({ kind: RecordKind.lastSeq, seq: this.index.last, ts_ns: 0n, offset: base, frame_bytes: lastRecord.length, subject: "", size_bytes: 0 });
      await this.syncSegment(act);
      if (front.length > 0) await dropSegments(ctx, front);
      this.segments = this.segments.filter((s) => !front.includes(s));
      if (sparse !== undefined) {
        const replaced = await compactSegment(ctx, sparse, this.segments);
        if (replaced === sparse) this.uncompactable.add(sparse);
        this.segments = this.segments.flatMap((s) => (s === sparse ? (replaced === undefined ? [] : [replaced]) : [s]));
      }
    });
    void ok;
  }

  // ---- reads --------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new StoreError("closed", `store ${this.name} is closed`);
  }

  /** Read and verify one message; damaged records are reported, dropped and never returned. */
  private async load(seq: number): Promise<StoredMessage | undefined> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const e = this.index.get(seq);
      if (e === undefined) return undefined;
      const loc = e.ref;
      if (loc.batch !== undefined && !loc.batch.done) {
        await loc.batch.promise;
        continue;
      }
      const hit = this.recent.get(seq) ?? this.cache.get(seq);
      if (hit !== undefined) return copyMsg(hit);
      let frame: Uint8Array;
      try {
        frame = await loc.seg.handle.read(loc.off, loc.len);
      } catch (err) {
        if (loc.seg.retired) continue; // compacted or reloaded underneath us: look up again
        throw new StoreError("storage_failed", `stream ${this.name}: read of seq ${seq} in ${loc.seg.name} failed: ${(err as Error).message}`);
      }
      if (loc.seg.retired) continue;
      const msg = verifyMsgFrame(frame, seq, loc.len, this.cipher);
      if (typeof msg === "string") {
        this.addDamage({ segment: loc.seg.name, offset: loc.off, first_seq: seq, last_seq: seq, reason: msg });
        const gone = this.index.remove(seq);
        gone?.ref.seg.noteRemoved(gone.ref.len);
        if (!this.closed && this.failed === undefined) void this.submit<void>((d) => ({ t: "sync", d })).catch(() => undefined);
        return undefined;
      }
      this.cache.set(seq, msg);
      return copyMsg(msg);
    }
    return undefined;
  }

  async get(seq: number): Promise<StoredMessage | undefined> {
    this.checkOpen();
    return this.load(seq);
  }

  async next(start: number, filter?: string): Promise<StoredMessage | undefined> {
    this.checkOpen();
    for (let from = start; ; ) {
      const e = this.index.next(from, filter);
      if (e === undefined) return undefined;
      const m = await this.load(e.seq);
      if (m !== undefined) return m;
      from = e.seq + 1;
    }
  }

  async lastBySubject(filter: string): Promise<StoredMessage | undefined> {
    this.checkOpen();
    for (;;) {
      const e = this.index.lastMatching(filter);
      if (e === undefined) return undefined;
      const m = await this.load(e.seq);
      if (m !== undefined || this.index.get(e.seq) !== undefined) return m;
    }
  }

  firstAtOrAfterTime(ts_ns: bigint): Promise<number> {
    return this.closed ? Promise.reject(new StoreError("closed", `store ${this.name} is closed`)) : Promise.resolve(this.index.firstAtOrAfterTime(ts_ns));
  }

  subjectCounts(filter: string): Map<string, number> {
    return this.index.subjectCounts(filter);
  }

  numPending(start: number, filter?: string): number {
    return this.index.numPending(start, filter);
  }

  has(seq: number): boolean {
    return !this.closed && this.index.get(seq) !== undefined;
  }

  getCached(seq: number): StoredMessage | undefined {
    return this.has(seq) ? this.recent.get(seq) : undefined;
  }

  /** Closed: the start, so the caller's `next` reports "closed". */
  nextCached(start: number, filters: readonly string[]): CachedNext {
    return this.closed ? start : scanCached(this.index, start, filters, (e) => this.recent.get(e.seq));
  }

  state(): StoreState {
    return { ...this.index.summary(), damage: this.damage.map((d) => ({ ...d })) };
  }

  /** Segment files currently backing the stream (monitoring, tests). */
  segmentNames(): string[] {
    return this.segments.map((s) => s.name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failed === undefined) await this.submit<void>((d) => ({ t: "sync", d })).catch(() => undefined);
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    // Operations queued before close may still be written: only trim once the writer is idle.
    while (this.running) await this.pumping?.catch(() => undefined);
    this.recent.clear();
    if (this.failed === undefined) await this.trimPreallocated(this.active).catch(() => undefined);
    for (const s of this.segments) {
      s.retired = true;
      await s.handle.close().catch(() => undefined);
    }
  }

  async destroy(): Promise<void> {
    await this.close();
    await this.cfgRef.fs.removeTree(this.cfgRef.dir);
  }
}

function copyMsg(m: StoredMessage): StoredMessage {
  return { seq: m.seq, ts_ns: m.ts_ns, subject: m.subject, headers: m.headers?.slice(), payload: m.payload.slice() };
}
