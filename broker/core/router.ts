/**
 * The routing core: one subscription trie shared by client connections and internal services
 * (JetStream and friends, through the Bus contract in bus.ts). Publishing matches the subject once
 * (cached), delivers to every plain subscriber and to one random member of each queue group.
 *
 * Deliveries are synchronous and in publish order. A subscriber decides how to deliver: a client
 * connection encodes MSG/HMSG into its outbound buffer; an internal one calls its handler.
 */
import type { Random } from "../../common/prng.js";
import { noRespondersHeader } from "../protocol/encode.js";
import { encodeUtf8 } from "../protocol/text.js";
import { Sublist, type SubjectSub } from "../subjects/sublist.js";
import { isValidQueueName, isValidSubject } from "../subjects/validate.js";
import type { Bus, BusMessage, BusSubscription } from "./bus.js";

/** Whoever owns subscriptions: a client connection or an internal service. */
export interface Subscriber {
  /** Client id; 0 for internal subscribers. */
  readonly cid: number;
  /** Authenticated user (for BusMessage.origin). */
  readonly user: string | undefined;
  /** echo:false publishers never get their own messages. */
  readonly echo: boolean;
  /** Bytes queued for this subscriber and not yet written. */
  readonly pendingBytes: number;
  /**
   * Deliver one message. data = header block (headerBytes long, -1 = none) followed by payload;
   * it may alias the publisher's input buffer: copy to keep. Returns false if not delivered
   * (closed, or denied by subscribe permissions).
   */
  deliver(sub: Subscription, subject: string, reply: string | undefined, headerBytes: number, data: Uint8Array, from: Subscriber | undefined): boolean;
  /**
   * deliver() for the message buf[start, end): what the router calls, so a publish that reaches
   * only client connections never allocates a subarray (~100 ns each on the hot path).
   */
  deliverRange(sub: Subscription, subject: string, reply: string | undefined, headerBytes: number, buf: Uint8Array, start: number, end: number, from: Subscriber | undefined): boolean;
  /** The router removed sub after it reached its UNSUB max. */
  autoUnsubscribed(sub: Subscription): void;
}

/**
 * Messages up to this size are copied into outbound buffers with a byte loop straight from the
 * publisher's range; bigger ones with TypedArray.set, which needs a view (made once per route).
 */
export const copyLoopBytesMax = 64;

export class Subscription implements SubjectSub {
  delivered = 0;
  /** UNSUB max: remove after this many deliveries; -1 = unlimited. */
  max = -1;
  readonly sidBytes: Uint8Array;
  constructor(
    readonly subject: string,
    readonly queue: string | undefined,
    readonly sid: string,
    readonly owner: Subscriber,
  ) {
    this.sidBytes = encodeUtf8(sid);
  }
}

export interface RouterStats {
  in_msgs: number;
  in_bytes: number;
  out_msgs: number;
  out_bytes: number;
}

export class Router implements Bus {
  readonly sublist: Sublist<Subscription>;
  readonly stats: RouterStats = { in_msgs: 0, in_bytes: 0, out_msgs: 0, out_bytes: 0 };
  private internalIds = 0;

  constructor(
    private readonly random: Random,
    /** An internal handler threw: a bug in that service; reported, never fatal to the publisher. */
    private readonly onInternalError: (err: unknown, subject: string) => void = () => {},
    matchCacheEntriesMax = 4096,
  ) {
    this.sublist = new Sublist<Subscription>(matchCacheEntriesMax);
  }

  add(sub: Subscription): void {
    this.sublist.insert(sub);
  }

  remove(sub: Subscription): void {
    this.sublist.remove(sub);
  }

  /** Route one message; returns how many subscribers got it. */
  route(from: Subscriber | undefined, subject: string, reply: string | undefined, headerBytes: number, data: Uint8Array): number {
    return this.routeRange(from, subject, reply, headerBytes, data, 0, data.length);
  }

  /**
   * route() for the message buf[start, end) (headers + payload), passed down as a range: a
   * subarray costs ~100 ns, and client connections copy straight from the range.
   */
  routeRange(from: Subscriber | undefined, subject: string, reply: string | undefined, headerBytes: number, buf: Uint8Array, start: number, end: number): number {
    const stats = this.stats;
    stats.in_msgs++;
    stats.in_bytes += end - start;
    const r = this.sublist.match(subject);
    const plain = r.plain;
    const queues = r.queues;
    if (plain.length === 0 && queues.length === 0) return 0;
    if (end - start > copyLoopBytesMax && (start !== 0 || end !== buf.length)) {
      buf = buf.subarray(start, end);
      start = 0;
      end = buf.length;
    }
    const noEcho = from !== undefined && !from.echo;
    let delivered = 0;
    for (let i = 0; i < plain.length; i++) {
      const sub = plain[i]!;
      if (noEcho && sub.owner === from) continue;
      if (this.deliverTo(sub, subject, reply, headerBytes, buf, start, end, from)) delivered++;
    }
    for (let q = 0; q < queues.length; q++) {
      const group = queues[q]!;
      const n = group.length;
      const first = n === 1 ? 0 : Math.floor(this.random.next() * n);
      for (let k = 0; k < n; k++) {
        const sub = group[(first + k) % n]!;
        if (noEcho && sub.owner === from) continue;
        if (this.deliverTo(sub, subject, reply, headerBytes, buf, start, end, from)) {
          delivered++;
          break;
        }
      }
    }
    return delivered;
  }

  /**
   * No responders: the publisher asked for a reply but nobody got the request. The 503 status
   * goes to the publisher's own subscription matching the reply subject.
   */
  sendNoResponders(from: Subscriber, subject: string, reply: string): void {
    const r = this.sublist.match(reply);
    let target: Subscription | undefined;
    for (const s of r.plain) if (s.owner === from) target = s;
    if (target === undefined) for (const g of r.queues) for (const s of g) if (s.owner === from) target = s;
    if (target === undefined) return;
    const hdr = noRespondersHeader(subject);
    this.deliverTo(target, reply, undefined, hdr.length, hdr, 0, hdr.length, undefined);
  }

  private deliverTo(sub: Subscription, subject: string, reply: string | undefined, headerBytes: number, buf: Uint8Array, start: number, end: number, from: Subscriber | undefined): boolean {
    if (sub.max >= 0 && sub.delivered >= sub.max) return false;
    if (!sub.owner.deliverRange(sub, subject, reply, headerBytes, buf, start, end, from)) return false;
    sub.delivered++;
    this.stats.out_msgs++;
    this.stats.out_bytes += end - start;
    if (sub.max >= 0 && sub.delivered >= sub.max) {
      this.sublist.remove(sub);
      sub.owner.autoUnsubscribed(sub);
    }
    return true;
  }

  // ---- Bus: the in-process API for internal services ----

  subscribe(subject: string, handler: (msg: BusMessage) => void, opts?: { queue?: string }): BusSubscription {
    if (!isValidSubject(subject)) throw new Error(`Bus.subscribe: invalid subject ${JSON.stringify(subject)}`);
    const queue = opts?.queue;
    if (queue !== undefined && !isValidQueueName(queue)) throw new Error(`Bus.subscribe: invalid queue ${JSON.stringify(queue)}`);
    const owner = new InternalSubscriber(handler, this.onInternalError);
    const sub = new Subscription(subject, queue, `_INTERNAL_${++this.internalIds}`, owner);
    this.add(sub);
    let active = true;
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        this.remove(sub);
      },
    };
  }

  publish(subject: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): void {
    if (headers === undefined) {
      this.route(undefined, subject, reply, -1, payload);
      return;
    }
    const data = new Uint8Array(headers.length + payload.length);
    data.set(headers);
    data.set(payload, headers.length);
    this.route(undefined, subject, reply, headers.length, data);
  }

  /** `repeated`: the caller will ask again about this subject (see Sublist.match). */
  hasInterest(subject: string, repeated = false): boolean {
    return this.sublist.hasInterest(subject, repeated);
  }

  pendingBytesFor(subject: string): number {
    const r = this.sublist.match(subject);
    let max = 0;
    for (const s of r.plain) max = Math.max(max, s.owner.pendingBytes);
    for (const g of r.queues) for (const s of g) max = Math.max(max, s.owner.pendingBytes);
    return max;
  }
}

/** A Bus subscription: delivers synchronously to a handler. */
class InternalSubscriber implements Subscriber {
  readonly cid = 0;
  readonly user = undefined;
  readonly echo = true;
  readonly pendingBytes = 0;
  constructor(
    private readonly handler: (msg: BusMessage) => void,
    private readonly onError: (err: unknown, subject: string) => void,
  ) {}

  deliver(_sub: Subscription, subject: string, reply: string | undefined, headerBytes: number, data: Uint8Array, from: Subscriber | undefined): boolean {
    try {
      this.handler({
        subject,
        reply,
        headers: headerBytes >= 0 ? data.subarray(0, headerBytes) : undefined,
        payload: headerBytes >= 0 ? data.subarray(headerBytes) : data,
        origin: from === undefined ? undefined : { client_id: from.cid, user: from.user },
      });
    } catch (err) {
      this.onError(err, subject);
    }
    return true;
  }

  deliverRange(sub: Subscription, subject: string, reply: string | undefined, headerBytes: number, buf: Uint8Array, start: number, end: number, from: Subscriber | undefined): boolean {
    return this.deliver(sub, subject, reply, headerBytes, start === 0 && end === buf.length ? buf : buf.subarray(start, end), from);
  }

  autoUnsubscribed(): void {}
}
