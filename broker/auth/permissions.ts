/**
 * Publish/subscribe permission decisions, as nats-server makes them:
 * - publish: allowed when the allow list is absent or matches, and no deny entry matches;
 * - subscribe: entries are "subject" or "subject queue"; a queue entry decides for that queue
 *   (queue names may hold wildcards); deny is checked after allow;
 * - a subscription whose wildcard overlaps a deny entry is created, but messages on denied
 *   subjects are not delivered to it;
 * - `allow_responses` without a publish allow list turns publishing off except for replies.
 * Decisions are cached per subject (bounded) because the publish check sits on the hot path.
 */
import { subjectMatches } from "../subjects/validate.js";

export interface PermissionRule {
  allow?: string[];
  deny?: string[];
}

export interface PermissionsSpec {
  publish?: PermissionRule;
  subscribe?: PermissionRule;
  allow_responses?: { max: number; expires_ms: number };
}

interface Entry {
  subject: string;
  queue: string | undefined;
}

function parseEntries(list: string[] | undefined): Entry[] | undefined {
  if (list === undefined) return undefined;
  return list.map((raw) => {
    const parts = raw.trim().split(/[ \t]+/);
    return { subject: parts[0] ?? "", queue: parts[1] };
  });
}

const decisionCacheMax = 1024;

export class PermissionChecker {
  private readonly pubAllow: Entry[] | undefined;
  private readonly pubDeny: Entry[] | undefined;
  private readonly subAllow: Entry[] | undefined;
  private readonly subDeny: Entry[] | undefined;
  private readonly pubCache = new Map<string, boolean>();
  private readonly deliverCache = new Map<string, boolean>();
  /** allow_responses: replies each received request may get, and for how long. */
  readonly responses: { max: number; expires_ms: number } | undefined;

  constructor(spec: PermissionsSpec) {
    this.responses = spec.allow_responses;
    let pubAllow = spec.publish?.allow;
    if (this.responses !== undefined && pubAllow === undefined) pubAllow = [];
    this.pubAllow = parseEntries(pubAllow);
    this.pubDeny = parseEntries(spec.publish?.deny);
    this.subAllow = parseEntries(spec.subscribe?.allow);
    this.subDeny = parseEntries(spec.subscribe?.deny);
  }

  /** Literal publish subject allowed? (Replies granted by allow_responses are tracked by the caller.) */
  canPublish(subject: string): boolean {
    const cached = this.pubCache.get(subject);
    if (cached !== undefined) return cached;
    let ok = this.pubAllow === undefined || this.pubAllow.some((e) => subjectMatches(e.subject, subject));
    if (ok && this.pubDeny !== undefined) ok = !this.pubDeny.some((e) => subjectMatches(e.subject, subject));
    if (this.pubCache.size >= decisionCacheMax) this.pubCache.clear();
    this.pubCache.set(subject, ok);
    return ok;
  }

  /** May a SUB on subject (possibly wildcard) with this queue be created? */
  canSubscribe(subject: string, queue: string | undefined): boolean {
    let ok = true;
    if (this.subAllow !== undefined) ok = decide(this.subAllow, subject, queue);
    if (ok && this.subDeny !== undefined) ok = !decide(this.subDeny, subject, queue);
    return ok;
  }

  /** Can a message on this literal subject be delivered (deny entries inside a wildcard sub)? */
  canDeliver(subject: string): boolean {
    if (this.subDeny === undefined) return true;
    const cached = this.deliverCache.get(subject);
    if (cached !== undefined) return cached;
    const ok = !this.subDeny.some((e) => e.queue === undefined && subjectMatches(e.subject, subject));
    if (this.deliverCache.size >= decisionCacheMax) this.deliverCache.clear();
    this.deliverCache.set(subject, ok);
    return ok;
  }

  get hasSubscribeDeny(): boolean {
    return this.subDeny !== undefined && this.subDeny.length > 0;
  }
}

/** nats-server's rule: plain entries decide unless a queue entry matches, then the queue name decides. */
function decide(entries: Entry[], subject: string, queue: string | undefined): boolean {
  let plain = false;
  let queueEntries = 0;
  let queueOk = false;
  for (const e of entries) {
    if (!subjectMatches(e.subject, subject)) continue;
    if (e.queue === undefined) plain = true;
    else {
      queueEntries++;
      if (queue !== undefined && subjectMatches(e.queue, queue)) queueOk = true;
    }
  }
  if (queue !== undefined && queueEntries > 0) return queueOk;
  return plain;
}
