import { assert } from "../../common/assert.js";

/**
 * A sorted list of live sequence numbers. Appends are at the end; removals are usually at the
 * front (limits, acks), which only advance `head`; middle removals splice. Space held by removed
 * front entries is reclaimed once it is more than half the array.
 */
export class SeqList {
  private arr: number[] = [];
  private head = 0;

  get size(): number {
    return this.arr.length - this.head;
  }

  push(seq: number): void {
    const last = this.last();
    assert(last === undefined || seq > last, `SeqList.push out of order: ${seq} after ${last}`);
    this.arr.push(seq);
  }

  first(): number | undefined {
    return this.arr[this.head];
  }

  last(): number | undefined {
    return this.size > 0 ? this.arr[this.arr.length - 1] : undefined;
  }

  /** Index (0-based from the first live entry) of the first seq >= `seq`. */
  lowerBound(seq: number): number {
    let lo = this.head;
    let hi = this.arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.arr[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  at(index: number): number | undefined {
    return index < 0 || index >= this.size ? undefined : this.arr[this.head + index];
  }

  /** First live seq >= `seq`. */
  firstAtOrAfter(seq: number): number | undefined {
    return this.at(this.lowerBound(seq));
  }

  /** Last live seq <= `seq`. */
  lastAtOrBefore(seq: number): number | undefined {
    return this.at(this.lowerBound(seq + 1) - 1);
  }

  countAtOrAfter(seq: number): number {
    return this.size - this.lowerBound(seq);
  }

  remove(seq: number): boolean {
    const i = this.lowerBound(seq);
    if (this.at(i) !== seq) return false;
    if (i === 0) {
      this.head++;
      if (this.head > 1024 && this.head * 2 > this.arr.length) {
        this.arr = this.arr.slice(this.head);
        this.head = 0;
      }
    } else {
      this.arr.splice(this.head + i, 1);
    }
    return true;
  }

  *from(seq: number): IterableIterator<number> {
    for (let i = this.head + this.lowerBound(seq); i < this.arr.length; i++) yield this.arr[i]!;
  }

  clear(): void {
    this.arr = [];
    this.head = 0;
  }
}
