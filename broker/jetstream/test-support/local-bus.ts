/**
 * An in-process `Bus` for tests of JetStream without a server: subject matching with wildcards,
 * queue groups (round robin), synchronous delivery in publish order. Plus request helpers.
 */
import { waitFor } from "../../../common/wait.js";
import type { BusMessage, BusSubscription } from "../../core/bus.js";
import type { DeliveringBus } from "../deliver.js";
import { subjectMatches } from "../subjects.js";

interface Sub {
  subject: string;
  queue: string | undefined;
  handler: (m: BusMessage) => void;
}

export class LocalBus implements DeliveringBus {
  private subs = new Set<Sub>();
  private rr = 0;
  private inbox = 0;

  subscribe(subject: string, handler: (msg: BusMessage) => void, opts?: { queue?: string }): BusSubscription {
    const sub: Sub = { subject, queue: opts?.queue, handler };
    this.subs.add(sub);
    return { unsubscribe: () => this.subs.delete(sub) };
  }

  publish(subject: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): void {
    this.deliver(subject, subject, reply, headers, payload);
  }

  /** DeliveringBus: route by `route`, show `subject`. */
  deliver(route: string, subject: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): void {
    const msg: BusMessage = { subject, reply, headers, payload, origin: undefined };
    const groups = new Map<string, Sub[]>();
    for (const s of [...this.subs]) {
      if (!subjectMatches(s.subject, route)) continue;
      if (s.queue === undefined) s.handler(msg);
      else groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
    }
    for (const members of groups.values()) members[this.rr++ % members.length]!.handler(msg);
  }

  hasInterest(subject: string): boolean {
    for (const s of this.subs) if (subjectMatches(s.subject, subject)) return true;
    return false;
  }

  pendingBytesFor(_subject: string): number {
    return 0;
  }

  newInbox(): string {
    return `_INBOX.t${++this.inbox}`;
  }

  /** Collect every message on a subject. */
  collect(subject: string): { msgs: BusMessage[]; stop: () => void } {
    const msgs: BusMessage[] = [];
    const sub = this.subscribe(subject, (m) => msgs.push(m));
    return { msgs, stop: () => sub.unsubscribe() };
  }

  /** Publish with a fresh inbox as reply and wait for the first answer. */
  async request(subject: string, body: string | Uint8Array = "", headers?: Uint8Array, timeoutMs = 5000): Promise<BusMessage> {
    const inbox = this.newInbox();
    const c = this.collect(inbox);
    try {
      this.publish(subject, inbox, headers, typeof body === "string" ? new TextEncoder().encode(body) : body);
      return await waitFor(`reply on ${subject}`, () => c.msgs[0], { timeout_ms: timeoutMs, interval_ms: 1 });
    } finally {
      c.stop();
    }
  }

  /** Request expecting a JSON reply. */
  async json(subject: string, body: unknown = undefined, headers?: Uint8Array): Promise<Record<string, unknown>> {
    const m = await this.request(subject, body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body), headers);
    return JSON.parse(new TextDecoder().decode(m.payload)) as Record<string, unknown>;
  }
}
