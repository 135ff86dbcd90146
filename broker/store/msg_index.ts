import { assert } from "../../common/assert.js";
import { SeqList } from "./seq_list.js";
import { compileFilter, isLiteralSubject, matchesAll } from "./subject_match.js";
import { StoreError } from "./types.js";
import type { PurgeRequest, StoreLimits } from "./types.js";

/**
 * The in-memory index and retention rules shared by MemoryStore and FileStore: which sequences
 * are live, per-subject lists, byte accounting and every limit decision. It is synchronous and
 * does no I/O, so both stores make the same decisions and the file store can persist them as
 * records (tombstones, floors) in the same order. `R` is where the body lives (the message
 * itself in memory, a segment location on disk).
 */
export interface IndexEntry<R> {
  seq: number;
  ts_ns: bigint;
  subject: string;
  size_bytes: number;
  ref: R;
}

/** Fixed per-message overhead counted in `bytes`, as nats-server's memory store does. */
export const msgOverheadBytes = 16;
/** Hard ceilings independent of stream limits (bad input must not exhaust memory). */
export const subjectBytesMax = 4096;
export const msgBytesMax = 64 * 1024 * 1024;

const encoder = new TextEncoder();
/** Validated subjects and their UTF-8 bytes: most streams see few distinct subjects. */
const subjectCache = new Map<string, Uint8Array>();
const subjectCacheEntriesMax = 4096;

/** UTF-8 bytes of a subject that passed validateSubject (cached). */
export function subjectBytes(subject: string): Uint8Array {
  const hit = subjectCache.get(subject);
  if (hit !== undefined) return hit;
  const b = encoder.encode(subject);
  if (subjectCache.size >= subjectCacheEntriesMax) subjectCache.clear();
  subjectCache.set(subject, b);
  return b;
}

export function msgSizeBytes(subject: string, headersBytes: number, payloadBytes: number): number {
  return subjectBytes(subject).length + headersBytes + payloadBytes + msgOverheadBytes;
}

export function validateSubject(subject: string): void {
  if (subjectCache.has(subject)) return;
  if (subject.length === 0) throw new RangeError("store: message subject is empty");
  if (encoder.encode(subject).length > subjectBytesMax) {
    throw new StoreError("msg_too_large", `subject exceeds ${subjectBytesMax} bytes`);
  }
  if (/[\s]/.test(subject) || subject.split(".").some((t) => t === "" || t === "*" || t === ">")) {
    throw new RangeError(`store: invalid message subject ${JSON.stringify(subject)}`);
  }
  subjectBytes(subject);
}

export class MsgIndex<R> {
  private readonly bySeq = new Map<number, IndexEntry<R>>();
  private readonly seqs = new SeqList();
  private readonly subjects = new Map<string, SeqList>();
  private bytes = 0;
  private lastSeq = 0;
  private lastTs = 0n;

  constructor(public limits: StoreLimits) {}

  get msgs(): number {
    return this.seqs.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }
  get last(): number {
    return this.lastSeq;
  }
  get lastTsNs(): bigint {
    return this.lastTs;
  }
  get numSubjects(): number {
    return this.subjects.size;
  }
  /** First live seq, or the next seq to be assigned when empty (a floor covers everything below). */
  get firstLiveOrNext(): number {
    return this.seqs.first() ?? this.lastSeq + 1;
  }

  /**
   * Validate an append against limits that reject (size, discard new, sequence) and return the
   * sequence it will get. Throws StoreError; changes nothing.
   */
  admit(subject: string, headersBytes: number, payloadBytes: number, seq: number | undefined): { seq: number; size_bytes: number } {
    validateSubject(subject);
    const l = this.limits;
    const body = headersBytes + payloadBytes;
    if (body > msgBytesMax || (l.max_msg_size_bytes > 0 && body > l.max_msg_size_bytes)) {
      const max = l.max_msg_size_bytes > 0 ? Math.min(l.max_msg_size_bytes, msgBytesMax) : msgBytesMax;
      throw new StoreError("msg_too_large", `message of ${body} bytes exceeds the maximum of ${max} bytes`);
    }
    const size = msgSizeBytes(subject, headersBytes, payloadBytes);
    if (l.max_bytes > 0 && size > l.max_bytes) {
      throw new StoreError("max_bytes", `message of ${size} bytes exceeds max_bytes ${l.max_bytes}`);
    }
    if (l.discard === "new") {
      if (l.max_msgs > 0 && this.msgs >= l.max_msgs) throw new StoreError("max_msgs", "maximum messages exceeded");
      if (l.max_bytes > 0 && this.bytes + size > l.max_bytes) throw new StoreError("max_bytes", "maximum bytes exceeded");
      if (l.discard_new_per_subject && l.max_msgs_per_subject > 0 && (this.subjects.get(subject)?.size ?? 0) >= l.max_msgs_per_subject) {
        throw new StoreError("max_msgs_per_subject", "maximum messages per subject exceeded");
      }
    }
    const assigned = seq ?? this.lastSeq + 1;
    if (!Number.isSafeInteger(assigned) || assigned <= this.lastSeq || assigned < 1) {
      throw new StoreError("bad_sequence", `sequence ${assigned} is not after last sequence ${this.lastSeq}`);
    }
    return { seq: assigned, size_bytes: size };
  }

  /** Insert an admitted (or recovered) entry; sequences only grow. */
  add(entry: IndexEntry<R>): void {
    assert(entry.seq > this.lastSeq, `index add ${entry.seq} after ${this.lastSeq}`);
    this.bySeq.set(entry.seq, entry);
    this.seqs.push(entry.seq);
    let list = this.subjects.get(entry.subject);
    if (list === undefined) {
      list = new SeqList();
      this.subjects.set(entry.subject, list);
    }
    list.push(entry.seq);
    this.bytes += entry.size_bytes;
    this.lastSeq = entry.seq;
    this.lastTs = entry.ts_ns;
  }

  /** Raise last_seq without a message (recovered tombstones, floors, purges past the end). */
  bumpLast(seq: number): void {
    if (seq > this.lastSeq) this.lastSeq = seq;
  }

  get(seq: number): IndexEntry<R> | undefined {
    return this.bySeq.get(seq);
  }

  /** Highest live sequence (undefined when empty); unlike `last`, never a removed one. */
  lastLive(): number | undefined {
    return this.seqs.last();
  }

  /** Replace where an entry's body lives (compaction moved it). */
  relocate(seq: number, ref: R): void {
    const e = this.bySeq.get(seq);
    if (e !== undefined) e.ref = ref;
  }

  remove(seq: number): IndexEntry<R> | undefined {
    const e = this.bySeq.get(seq);
    if (e === undefined) return undefined;
    this.bySeq.delete(seq);
    this.seqs.remove(seq);
    const list = this.subjects.get(e.subject)!;
    list.remove(seq);
    if (list.size === 0) this.subjects.delete(e.subject);
    this.bytes -= e.size_bytes;
    return e;
  }

  /** Remove every seq < floor; returns the removed entries. */
  removeBelow(floor: number): IndexEntry<R>[] {
    const out: IndexEntry<R>[] = [];
    for (let s = this.seqs.first(); s !== undefined && s < floor; s = this.seqs.first()) out.push(this.remove(s)!);
    if (floor - 1 > this.lastSeq) this.lastSeq = floor - 1;
    return out;
  }

  /** Discard-old enforcement after an append of `subject` (or after a limits change). */
  enforce(subject?: string): IndexEntry<R>[] {
    const l = this.limits;
    const out: IndexEntry<R>[] = [];
    if (l.max_msgs_per_subject > 0) {
      const lists = subject !== undefined ? [this.subjects.get(subject)] : [...this.subjects.values()];
      for (const list of lists) {
        while (list !== undefined && list.size > l.max_msgs_per_subject) out.push(this.remove(list.first()!)!);
      }
    }
    while (l.max_msgs > 0 && this.msgs > l.max_msgs) out.push(this.remove(this.seqs.first()!)!);
    while (l.max_bytes > 0 && this.bytes > l.max_bytes && this.msgs > 0) out.push(this.remove(this.seqs.first()!)!);
    return out;
  }

  /** Remove messages older than max_age from the front (stops at the first young one). */
  expire(now_ns: bigint): IndexEntry<R>[] {
    const out: IndexEntry<R>[] = [];
    if (this.limits.max_age_ms <= 0) return out;
    const cutoff = now_ns - BigInt(Math.floor(this.limits.max_age_ms)) * 1_000_000n;
    for (let s = this.seqs.first(); s !== undefined; s = this.seqs.first()) {
      const e = this.bySeq.get(s)!;
      if (e.ts_ns > cutoff) break;
      out.push(this.remove(s)!);
    }
    return out;
  }

  purge(req: PurgeRequest = {}): IndexEntry<R>[] {
    const all = matchesAll(req.filter);
    if (req.keep !== undefined && req.up_to_seq !== undefined) {
      throw new RangeError("store: purge takes either keep or up_to_seq, not both");
    }
    if (req.keep !== undefined && (!Number.isSafeInteger(req.keep) || req.keep < 0)) {
      throw new RangeError(`store: purge keep must be a non-negative integer, got ${req.keep}`);
    }
    const victims: number[] = [];
    const match = compileFilter(req.filter);
    if (req.keep !== undefined) {
      const matching: number[] = all ? [...this.seqs.from(0)] : this.matchingSeqs(req.filter!, 0);
      victims.push(...matching.slice(0, Math.max(0, matching.length - req.keep)));
    } else {
      const upTo = req.up_to_seq ?? Number.MAX_SAFE_INTEGER;
      for (const s of this.seqs.from(0)) {
        if (s >= upTo) break;
        if (all || match(this.bySeq.get(s)!.subject)) victims.push(s);
      }
      if (all && req.up_to_seq !== undefined && req.up_to_seq - 1 > this.lastSeq) this.lastSeq = req.up_to_seq - 1;
    }
    return victims.map((s) => this.remove(s)!);
  }

  /** Sorted live seqs >= start whose subject matches a (non-"all") filter. */
  private matchingSeqs(filter: string, start: number): number[] {
    if (isLiteralSubject(filter)) return [...(this.subjects.get(filter)?.from(start) ?? [])];
    const match = compileFilter(filter);
    const out: number[] = [];
    for (const [subject, list] of this.subjects) if (match(subject)) out.push(...list.from(start));
    return out.sort((a, b) => a - b);
  }

  next(start: number, filter?: string): IndexEntry<R> | undefined {
    if (matchesAll(filter)) {
      const s = this.seqs.firstAtOrAfter(start);
      return s === undefined ? undefined : this.bySeq.get(s);
    }
    if (isLiteralSubject(filter!)) {
      const s = this.subjects.get(filter!)?.firstAtOrAfter(start);
      return s === undefined ? undefined : this.bySeq.get(s);
    }
    const match = compileFilter(filter);
    let best: number | undefined;
    for (const [subject, list] of this.subjects) {
      if (!match(subject)) continue;
      const s = list.firstAtOrAfter(start);
      if (s !== undefined && (best === undefined || s < best)) best = s;
    }
    return best === undefined ? undefined : this.bySeq.get(best);
  }

  lastMatching(filter: string): IndexEntry<R> | undefined {
    if (matchesAll(filter)) {
      const s = this.seqs.last();
      return s === undefined ? undefined : this.bySeq.get(s);
    }
    const match = compileFilter(filter);
    let best: number | undefined;
    const lists = isLiteralSubject(filter) ? [this.subjects.get(filter)] : [...this.subjects].filter(([s]) => match(s)).map(([, l]) => l);
    for (const list of lists) {
      const s = list?.last();
      if (s !== undefined && (best === undefined || s > best)) best = s;
    }
    return best === undefined ? undefined : this.bySeq.get(best);
  }

  firstAtOrAfterTime(ts_ns: bigint): number {
    for (const s of this.seqs.from(0)) if (this.bySeq.get(s)!.ts_ns >= ts_ns) return s;
    return this.lastSeq + 1;
  }

  subjectCounts(filter: string): Map<string, number> {
    const match = compileFilter(filter);
    const out = new Map<string, number>();
    for (const [subject, list] of this.subjects) if (match(subject)) out.set(subject, list.size);
    return out;
  }

  numPending(start: number, filter?: string): number {
    if (matchesAll(filter)) return this.seqs.countAtOrAfter(start);
    if (isLiteralSubject(filter!)) return this.subjects.get(filter!)?.countAtOrAfter(start) ?? 0;
    const match = compileFilter(filter);
    let n = 0;
    for (const [subject, list] of this.subjects) if (match(subject)) n += list.countAtOrAfter(start);
    return n;
  }

  /** Live entries in seq order (callers must not mutate the index while iterating). */
  *entries(start = 0): IterableIterator<IndexEntry<R>> {
    for (const s of this.seqs.from(start)) yield this.bySeq.get(s)!;
  }

  summary(): { msgs: number; bytes: number; first_seq: number; first_ts_ns: bigint; last_seq: number; last_ts_ns: bigint; num_subjects: number; num_deleted: number } {
    const first = this.seqs.first();
    const firstSeq = first ?? (this.lastSeq > 0 ? this.lastSeq + 1 : 0);
    return {
      msgs: this.msgs,
      bytes: this.bytes,
      first_seq: firstSeq,
      first_ts_ns: first === undefined ? 0n : this.bySeq.get(first)!.ts_ns,
      last_seq: this.lastSeq,
      last_ts_ns: this.lastTs,
      num_subjects: this.subjects.size,
      num_deleted: first === undefined ? 0 : this.lastSeq - first + 1 - this.msgs,
    };
  }
}
