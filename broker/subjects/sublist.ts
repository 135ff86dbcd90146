/**
 * The subscription trie (nats-server's Sublist): one level per subject token, each node holding
 * plain subscribers and queue groups, with `*` and `>` children kept apart from literal ones.
 *
 * Matching a literal subject walks at most three branches per level. Results are cached per
 * subject (bounded, CLOCK approximation of LRU) and returned as frozen arrays, so the publish hot
 * path allocates nothing on a hit. Inserting or removing a subscription drops exactly the cached
 * subjects it could match.
 */
import { isLiteral, subjectMatches } from "./validate.js";

/**
 * Subjects that are unique by design: JetStream ack subjects (one per delivery) and request
 * inboxes (one per request). Caching them never hits and only evicts subjects that repeat.
 */
const oneShotPrefixes = ["$JS.ACK.", "_INBOX."] as const;

export function isOneShot(subject: string): boolean {
  for (const p of oneShotPrefixes) if (subject.startsWith(p)) return true;
  return false;
}

export interface SubjectSub {
  readonly subject: string;
  /** Queue group name, or undefined for a plain subscription. */
  readonly queue: string | undefined;
}

export interface MatchResult<S> {
  readonly plain: readonly S[];
  /** One array per queue group with at least one matching member. */
  readonly queues: readonly (readonly S[])[];
}

export interface SublistStats {
  num_subscriptions: number;
  num_cache: number;
  num_inserts: number;
  num_removes: number;
  num_matches: number;
  cache_hit_rate: number;
  max_fanout: number;
  avg_fanout: number;
}

class Node<S> {
  next: Level<S> | undefined = undefined;
  readonly plain = new Set<S>();
  readonly queues = new Map<string, Set<S>>();
  isEmpty(): boolean {
    return this.plain.size === 0 && this.queues.size === 0 && (this.next === undefined || this.next.isEmpty());
  }
}

class Level<S> {
  readonly literal = new Map<string, Node<S>>();
  pwc: Node<S> | undefined = undefined;
  fwc: Node<S> | undefined = undefined;
  isEmpty(): boolean {
    return this.literal.size === 0 && this.pwc === undefined && this.fwc === undefined;
  }
}

interface CacheEntry<S> {
  result: MatchResult<S>;
  used: boolean;
}

const emptyResult: MatchResult<never> = Object.freeze({ plain: Object.freeze([]), queues: Object.freeze([]) });

export class Sublist<S extends SubjectSub> {
  private readonly root = new Level<S>();
  private readonly cache = new Map<string, CacheEntry<S>>();
  private count = 0;
  private inserts = 0;
  private removes = 0;
  private matches = 0;
  private cacheHits = 0;
  private fanoutMax = 0;
  private fanoutTotal = 0;
  private fanoutSamples = 0;

  constructor(private readonly cacheEntriesMax = 1024) {}

  get size(): number {
    return this.count;
  }

  insert(sub: S): void {
    const tokens = sub.subject.split(".");
    let level = this.root;
    let node: Node<S> | undefined;
    for (const t of tokens) {
      if (t === "*") node = level.pwc ??= new Node<S>();
      else if (t === ">") node = level.fwc ??= new Node<S>();
      else {
        node = level.literal.get(t);
        if (node === undefined) level.literal.set(t, (node = new Node<S>()));
      }
      level = node.next ??= new Level<S>();
    }
    if (node === undefined) return;
    if (sub.queue === undefined) node.plain.add(sub);
    else {
      let group = node.queues.get(sub.queue);
      if (group === undefined) node.queues.set(sub.queue, (group = new Set<S>()));
      group.add(sub);
    }
    this.count++;
    this.inserts++;
    this.invalidate(sub.subject);
  }

  /** Returns false when sub was not present. */
  remove(sub: S): boolean {
    const tokens = sub.subject.split(".");
    const path: Array<{ level: Level<S>; token: string; node: Node<S> }> = [];
    let level: Level<S> | undefined = this.root;
    let node: Node<S> | undefined;
    for (const t of tokens) {
      if (level === undefined) return false;
      node = t === "*" ? level.pwc : t === ">" ? level.fwc : level.literal.get(t);
      if (node === undefined) return false;
      path.push({ level, token: t, node });
      level = node.next;
    }
    if (node === undefined) return false;
    let removed: boolean;
    if (sub.queue === undefined) removed = node.plain.delete(sub);
    else {
      const group = node.queues.get(sub.queue);
      removed = group?.delete(sub) ?? false;
      if (group !== undefined && group.size === 0) node.queues.delete(sub.queue);
    }
    if (!removed) return false;
    // Prune nodes left empty, deepest first, so churn does not leak memory.
    for (let i = path.length - 1; i >= 0; i--) {
      const step = path[i]!;
      if (!step.node.isEmpty()) break;
      if (step.token === "*") step.level.pwc = undefined;
      else if (step.token === ">") step.level.fwc = undefined;
      else step.level.literal.delete(step.token);
    }
    this.count--;
    this.removes++;
    this.invalidate(sub.subject);
    return true;
  }

  /**
   * Subscribers of `subject`. One-shot subjects (`isOneShot`) are not cached unless the caller
   * says it will match this one again (`repeated`: a consumer delivering to a pull request's
   * inbox message after message). Cached results are invalidated per subject on insert/remove.
   */
  match(subject: string, repeated = false): MatchResult<S> {
    this.matches++;
    const hit = this.cache.get(subject);
    if (hit !== undefined) {
      this.cacheHits++;
      hit.used = true;
      return hit.result;
    }
    const result = this.compute(subject);
    if (repeated || !isOneShot(subject)) this.remember(subject, result);
    return result;
  }

  hasInterest(subject: string, repeated = false): boolean {
    const r = this.match(subject, repeated);
    return r.plain.length > 0 || r.queues.length > 0;
  }

  /** Every subscription (for monitoring), in no particular order. */
  all(): S[] {
    const out: S[] = [];
    const visit = (level: Level<S>): void => {
      const nodes = [...level.literal.values()];
      if (level.pwc !== undefined) nodes.push(level.pwc);
      if (level.fwc !== undefined) nodes.push(level.fwc);
      for (const n of nodes) {
        for (const s of n.plain) out.push(s);
        for (const g of n.queues.values()) for (const s of g) out.push(s);
        if (n.next !== undefined) visit(n.next);
      }
    };
    visit(this.root);
    return out;
  }

  stats(): SublistStats {
    return {
      num_subscriptions: this.count,
      num_cache: this.cache.size,
      num_inserts: this.inserts,
      num_removes: this.removes,
      num_matches: this.matches,
      cache_hit_rate: this.matches === 0 ? 0 : this.cacheHits / this.matches,
      max_fanout: this.fanoutMax,
      avg_fanout: this.fanoutSamples === 0 ? 0 : this.fanoutTotal / this.fanoutSamples,
    };
  }

  private compute(subject: string): MatchResult<S> {
    const tokens = subject.split(".");
    for (const t of tokens) if (t.length === 0) return emptyResult;
    const plain: S[] = [];
    const groups = new Map<string, S[]>();
    const collect = (node: Node<S>): void => {
      for (const s of node.plain) plain.push(s);
      for (const [name, g] of node.queues) {
        let into = groups.get(name);
        if (into === undefined) groups.set(name, (into = []));
        for (const s of g) into.push(s);
      }
    };
    const walk = (level: Level<S>, i: number): void => {
      if (level.fwc !== undefined) collect(level.fwc);
      const last = i === tokens.length - 1;
      const lit = level.literal.get(tokens[i]!);
      for (const n of level.pwc === undefined ? [lit] : [lit, level.pwc]) {
        if (n === undefined) continue;
        if (last) collect(n);
        else if (n.next !== undefined) walk(n.next, i + 1);
      }
    };
    walk(this.root, 0);
    if (plain.length === 0 && groups.size === 0) return emptyResult;
    const fanout = plain.length + groups.size;
    this.fanoutMax = Math.max(this.fanoutMax, fanout);
    this.fanoutTotal += fanout;
    this.fanoutSamples++;
    return Object.freeze({ plain: Object.freeze(plain), queues: Object.freeze([...groups.values()].map((g) => Object.freeze(g))) });
  }

  private remember(subject: string, result: MatchResult<S>): void {
    if (this.cacheEntriesMax <= 0) return;
    if (this.cache.size >= this.cacheEntriesMax) this.evict();
    this.cache.set(subject, { result, used: false });
  }

  /** CLOCK sweep: recently used entries get a second chance (moved to the back), others go. */
  private evict(): void {
    const target = Math.max(1, this.cacheEntriesMax >> 2);
    let evicted = 0;
    let visited = 0;
    for (const [key, entry] of this.cache) {
      if (evicted >= target || visited >= this.cacheEntriesMax) break;
      visited++;
      this.cache.delete(key);
      if (entry.used) {
        entry.used = false;
        this.cache.set(key, entry);
      } else evicted++;
    }
  }

  private invalidate(subject: string): void {
    if (this.cache.size === 0) return;
    if (isLiteral(subject)) {
      this.cache.delete(subject);
      return;
    }
    for (const key of this.cache.keys()) if (subjectMatches(subject, key)) this.cache.delete(key);
  }
}
