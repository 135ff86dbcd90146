/**
 * A consumer routes every delivery to the same few subjects (its pull requests' reply inboxes, a
 * push deliver subject) and checks their interest before each one. The Router's match cache
 * skips `_INBOX.` subjects on purpose (request inboxes are one-shot), so each check and each
 * delivery walked the subject tree again: two full matches per delivered message, the largest
 * routing cost of the consume path in the profile. This memo keeps the match per subject while
 * the subscription set is unchanged: any insert or remove (counted by the Sublist's stats) drops
 * every entry, so a memoized result is never older than the subscriptions it describes.
 */
import type { Bus, BusMessage, BusSubscription } from "../core/bus.js";
import type { Router } from "../core/router.js";

export type RouteMatch = ReturnType<Router["sublist"]["match"]>;

/** Subjects remembered at once; a consumer needs one per waiting pull request it serves. */
const memoEntriesMax = 256;

export class RouteMemo {
  private readonly entries = new Map<string, RouteMatch>();
  private generation = -1;

  constructor(private readonly router: Router) {}

  match(subject: string): RouteMatch {
    const stats = this.router.sublist.stats();
    const generation = stats.num_inserts + stats.num_removes;
    if (generation !== this.generation) {
      this.entries.clear();
      this.generation = generation;
    } else {
      const hit = this.entries.get(subject);
      if (hit !== undefined) return hit;
    }
    const result = this.router.sublist.match(subject);
    if (this.entries.size >= memoEntriesMax) this.entries.clear();
    this.entries.set(subject, result);
    return result;
  }

  hasInterest(subject: string): boolean {
    const r = this.match(subject);
    return r.plain.length > 0 || r.queues.length > 0;
  }
}

/** The same Bus, answering `hasInterest` through the memo. */
export function memoizedInterestBus(bus: Bus, memo: RouteMemo): Bus {
  return {
    subscribe: (subject: string, handler: (msg: BusMessage) => void, opts?: { queue?: string }): BusSubscription => bus.subscribe(subject, handler, opts),
    publish: (subject, reply, headers, payload) => bus.publish(subject, reply, headers, payload),
    hasInterest: (subject) => memo.hasInterest(subject),
    pendingBytesFor: (subject) => bus.pendingBytesFor(subject),
  };
}
