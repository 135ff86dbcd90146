/**
 * Consumer deliveries are routed to the subscribers of one subject (the pull request's reply, the
 * push deliver subject) but must *show* the message's original subject, as nats-server does
 * (clients tell protocol messages from data by the subject). The `Bus` contract has no such
 * operation yet, so this adapter provides it: natively when the bus offers `deliver`, through the
 * server's Router (public members only) otherwise, and as a plain publish as a last resort.
 */
import type { Bus } from "../core/bus.js";
import { Router, type Subscription } from "../core/router.js";

export type DeliverFn = (route: string, subject: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array) => void;

export interface DeliveringBus extends Bus {
  /** Deliver to subscribers of `route`, presenting the message as published on `subject`. */
  deliver(route: string, subject: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): void;
}

function hasDeliver(bus: Bus): bus is DeliveringBus {
  return typeof (bus as Partial<DeliveringBus>).deliver === "function";
}

export function makeDeliver(bus: Bus): DeliverFn {
  if (hasDeliver(bus)) return (route, subject, reply, headers, payload) => bus.deliver(route, subject, reply, headers, payload);
  if (bus instanceof Router) return routerDeliver(bus);
  return (route, _subject, reply, headers, payload) => bus.publish(route, reply, headers, payload);
}

function routerDeliver(router: Router): DeliverFn {
  const one = (sub: Subscription, subject: string, reply: string | undefined, headerBytes: number, data: Uint8Array): boolean => {
    if (sub.max >= 0 && sub.delivered >= sub.max) return false;
    if (!sub.owner.deliver(sub, subject, reply, headerBytes, data, undefined)) return false;
    sub.delivered++;
    router.stats.out_msgs++;
    router.stats.out_bytes += data.length;
    if (sub.max >= 0 && sub.delivered >= sub.max) {
      router.remove(sub);
      sub.owner.autoUnsubscribed(sub);
    }
    return true;
  };
  let rr = 0;
  return (route, subject, reply, headers, payload) => {
    let data = payload;
    let headerBytes = -1;
    if (headers !== undefined) {
      data = new Uint8Array(headers.length + payload.length);
      data.set(headers);
      data.set(payload, headers.length);
      headerBytes = headers.length;
    }
    // A consumer delivers to the same route (a pull request's inbox) message after message:
    // cached by the sublist even when it is a one-shot `_INBOX.` subject.
    const r = router.sublist.match(route, true);
    for (const sub of r.plain) one(sub, subject, reply, headerBytes, data);
    for (const group of r.queues) {
      const n = group.length;
      const start = rr++ % Math.max(1, n);
      for (let k = 0; k < n; k++) if (one(group[(start + k) % n]!, subject, reply, headerBytes, data)) break;
    }
  };
}

/**
 * The bus consumers see: for a Router, interest checks are cached like deliveries (a consumer asks
 * about the same inbox before every message); other buses as they are.
 */
export function consumerBus(bus: Bus): Bus {
  if (!(bus instanceof Router)) return bus;
  return {
    subscribe: (subject, handler, opts) => bus.subscribe(subject, handler, opts),
    publish: (subject, reply, headers, payload) => bus.publish(subject, reply, headers, payload),
    hasInterest: (subject) => bus.hasInterest(subject, true),
    pendingBytesFor: (subject) => bus.pendingBytesFor(subject),
  };
}
