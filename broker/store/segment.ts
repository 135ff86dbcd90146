import type { FileHandle } from "./fs.js";
import type { RecoveredRecord } from "./segment_scan.js";

/** Where a message's frame lives. `batch` is set while its write is not yet durable. */
export interface Loc {
  seg: Segment;
  off: number;
  len: number;
  batch: BatchSignal | undefined;
}

/** Resolved when a batch is durable (or failed): readers of its records wait on it. */
export interface BatchSignal {
  done: boolean;
  promise: Promise<void>;
}

export const segmentIdDigits = 16;

export function segmentFileName(id: number): string {
  return `${String(id).padStart(segmentIdDigits, "0")}.seg`;
}

export function indexFileName(id: number): string {
  return `${String(id).padStart(segmentIdDigits, "0")}.idx`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{16})\.seg$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** One segment file and the bookkeeping retention and compaction need. */
export class Segment {
  /** Replaced by compaction or dropped: its handle is closed, readers must look up again. */
  retired = false;
  /**
   * Writes issued and writes covered by a completed sync. A sync only covers writes that had
   * completed when it started (the pipelined writer writes the next batch during a sync).
   */
  writes = 0;
  syncedWrites = 0;
  get dirty(): boolean {
    return this.writes > this.syncedWrites;
  }
  /** Message records in the file, and how many of them are still live. */
  msgs = 0;
  live = 0;
  liveBytes = 0;
  /** Range of message seqs in the file (tombstones for seqs in this range must be kept). */
  minSeq = Number.POSITIVE_INFINITY;
  maxSeq = 0;
  /** Records of the active segment, kept to write its index file when it is sealed. */
  records: RecoveredRecord[] | undefined;
  /**
   * File length including zeros written ahead of `size` (preallocation, see FileStore); equal to
   * `size` when nothing is preallocated.
   */
  allocated: number;
  /** Preallocation hit ENOSPC on this segment: do not try again. */
  noPrealloc = false;

  constructor(
    readonly id: number,
    readonly name: string,
    public handle: FileHandle,
    public generation: number,
    /** Bytes written (the next append offset). */
    public size: number,
  ) {
    this.allocated = size;
  }

  noteMsg(seq: number, frameBytes: number): void {
    this.msgs++;
    this.live++;
    this.liveBytes += frameBytes;
    if (seq < this.minSeq) this.minSeq = seq;
    if (seq > this.maxSeq) this.maxSeq = seq;
  }

  noteRemoved(frameBytes: number): void {
    this.live--;
    this.liveBytes -= frameBytes;
  }

  covers(seq: number): boolean {
    return seq >= this.minSeq && seq <= this.maxSeq;
  }
}
