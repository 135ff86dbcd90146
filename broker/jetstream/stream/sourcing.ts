/**
 * Mirrors and sources between streams of this server. A link copies messages from an origin
 * stream into a target stream: catch-up by reading the origin's store from the target's
 * position, then following new appends. Mirrors keep the origin's sequence numbers; sources get
 * new ones and a `Nats-Stream-Source` header recording where each message came from.
 */
import type { StoredMessage } from "../../store/types.js";
import { appendHeaders, getHeader } from "../headers.js";
import { compileTransform, subjectMatches } from "../subjects.js";
import type { JsLog } from "../types.js";
import type { StreamSourceConfig } from "./config.js";
import type { JsStream } from "./stream.js";

interface StreamLookup {
  readonly streams: ReadonlyMap<string, JsStream>;
}

/** Messages copied per sync turn before yielding. */
const syncBatchMax = 1024;

class Link {
  private cursor = 0;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly listener = (): void => this.trigger();
  private readonly transform: ((s: string) => string | undefined) | undefined;

  constructor(
    readonly origin: JsStream,
    readonly target: JsStream,
    readonly source: StreamSourceConfig,
    readonly mirror: boolean,
    private readonly log: JsLog,
  ) {
    const t = source.subject_transforms?.[0];
    const c = t === undefined ? undefined : compileTransform(t.src, t.dest);
    this.transform = typeof c === "function" ? c : undefined;
    origin.appendListeners.add(this.listener);
  }

  key(): string {
    return `${this.target.name}<-${this.origin.name}:${this.mirror ? "mirror" : "source"}`;
  }

  async init(): Promise<void> {
    if (this.mirror) {
      const last = this.target.store.state().last_seq;
      this.cursor = last > 0 ? last + 1 : (this.source.opt_start_seq ?? 1);
    } else {
      // Find how far this origin was already copied (Nats-Stream-Source: <origin> <seq> ...).
      let max = 0;
      const st = this.target.store.state();
      let seq = st.first_seq;
      for (let guard = 0; guard < 10_000_000 && seq <= st.last_seq; guard++) {
        const m = await this.target.store.next(seq);
        if (m === undefined) break;
        const h = getHeader(m.headers, "Nats-Stream-Source");
        if (h !== undefined) {
          const [name, s] = h.split(" ");
          if (name === this.origin.name && Number(s) > max) max = Number(s);
        }
        seq = m.seq + 1;
      }
      this.cursor = max > 0 ? max + 1 : (this.source.opt_start_seq ?? 1);
    }
    if (this.source.opt_start_time !== undefined && this.cursor <= 1) {
      const ms = Date.parse(this.source.opt_start_time);
      if (!Number.isNaN(ms)) this.cursor = Math.max(1, await this.origin.store.firstAtOrAfterTime(BigInt(ms) * 1_000_000n));
    }
    this.trigger();
  }

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.sync()
      .catch((err: unknown) => this.log.warn(`${this.key()}: ${String(err)}`))
      .finally(() => {
        this.running = false;
      });
  }

  private async sync(): Promise<void> {
    do {
      this.again = false;
      for (let i = 0; i < syncBatchMax && !this.stopped; i++) {
        const m = await this.origin.store.next(Math.max(1, this.cursor));
        if (m === undefined) break;
        this.cursor = m.seq + 1;
        if (!this.mirror && this.source.filter_subject !== undefined && !subjectMatches(this.source.filter_subject, m.subject)) continue;
        await this.copy(m);
        if (i === syncBatchMax - 1) this.again = true;
      }
    } while (this.again && !this.stopped);
  }

  private async copy(m: StoredMessage): Promise<void> {
    const subject = this.mirror ? m.subject : (this.transform?.(m.subject) ?? m.subject);
    const headers = this.mirror ? m.headers : appendHeaders(m.headers, [["Nats-Stream-Source", `${this.origin.name} ${m.seq} > > ${subject}`]]);
    const res = await this.target.store.append({ subject, headers, payload: m.payload, ts_ns: m.ts_ns, ...(this.mirror ? { seq: m.seq } : {}) });
    this.target.afterStored({ seq: res.seq, ts_ns: res.ts_ns, subject, headers, payload: m.payload });
  }

  stop(): void {
    this.stopped = true;
    this.origin.appendListeners.delete(this.listener);
  }

  lag(): number {
    return Math.max(0, this.origin.store.state().last_seq - this.cursor + 1);
  }
}

export class SourceLinks {
  private links = new Map<string, Link>();

  constructor(
    private readonly js: StreamLookup,
    private readonly log: JsLog,
  ) {}

  /** Re-derive links from stream configs (after create/update/delete/recovery). */
  refresh(): void {
    const wanted = new Map<string, { origin: JsStream; target: JsStream; source: StreamSourceConfig; mirror: boolean }>();
    for (const target of this.js.streams.values()) {
      const entries: Array<[StreamSourceConfig, boolean]> = [];
      if (target.config.mirror !== undefined) entries.push([target.config.mirror, true]);
      for (const s of target.config.sources ?? []) entries.push([s, false]);
      for (const [source, mirror] of entries) {
        const origin = this.js.streams.get(source.name);
        if (origin === undefined || origin === target) continue;
        wanted.set(`${target.name}<-${origin.name}:${mirror ? "mirror" : "source"}`, { origin, target, source, mirror });
      }
    }
    for (const [key, link] of this.links) {
      const w = wanted.get(key);
      if (w === undefined || w.origin !== link.origin || w.target !== link.target) {
        link.stop();
        this.links.delete(key);
      }
    }
    for (const [key, w] of wanted) {
      if (this.links.has(key)) continue;
      const link = new Link(w.origin, w.target, w.source, w.mirror, this.log);
      this.links.set(key, link);
      void link.init().catch((err: unknown) => this.log.warn(`${key}: init: ${String(err)}`));
    }
  }

  info(target: string): { mirror?: Record<string, unknown>; sources?: Array<Record<string, unknown>> } {
    const out: { mirror?: Record<string, unknown>; sources?: Array<Record<string, unknown>> } = {};
    for (const link of this.links.values()) {
      if (link.target.name !== target) continue;
      const info = { name: link.origin.name, lag: link.lag(), active: 0 };
      if (link.mirror) out.mirror = info;
      else (out.sources ??= []).push(info);
    }
    return out;
  }

  stop(): void {
    for (const l of this.links.values()) l.stop();
    this.links.clear();
  }
}
