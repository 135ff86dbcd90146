/**
 * The one table-driven suite every Store implementation passes (run by memory_store.test.ts and
 * file_store.test.ts). Each case gets a fresh store from the harness; persistent stores also run
 * every case's `reopen` steps, so recovery must reproduce exactly the state before closing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../common/clock.js";
import { Prng } from "../../common/prng.js";
import { subjectMatches } from "./subject_match.js";
import { StoreError } from "./types.js";
import type { Store, StoredMessage, StoreLimits, StoreOptions } from "./types.js";

export interface StoreHarness {
  open(options: StoreOptions, clock: ManualClock): Promise<Store>;
  /** Close and reopen over the same data; identity for stores that do not persist. */
  reopen(store: Store, options: StoreOptions, clock: ManualClock): Promise<Store>;
  cleanup(): Promise<void>;
}

export const unlimited: StoreLimits = {
  max_msgs: 0,
  max_bytes: 0,
  max_age_ms: 0,
  max_msgs_per_subject: 0,
  max_msg_size_bytes: 0,
  discard: "old",
  discard_new_per_subject: false,
};

const enc = new TextEncoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (m: StoredMessage | undefined): string | undefined => (m === undefined ? undefined : new TextDecoder().decode(m.payload));

interface Ctx {
  store: Store;
  clock: ManualClock;
  options: StoreOptions;
  /** Close and reopen (persistent stores); later steps use the returned store. */
  reopen(): Promise<Store>;
  put(subject: string, payload?: string): Promise<number>;
}

interface Case {
  name: string;
  limits?: Partial<StoreLimits>;
  run(ctx: Ctx): Promise<void>;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return err instanceof StoreError ? err.code : `other:${String(err)}`;
  }
}

const cases: Case[] = [
  {
    name: "appends get contiguous sequences and read back exactly",
    async run(c) {
      const hdr = bytes("NATS/1.0\r\nA: b\r\n\r\n");
      const a = await c.store.append({ subject: "orders.new", headers: hdr, payload: bytes("one") });
      const b = await c.store.append({ subject: "orders.old", headers: undefined, payload: new Uint8Array(0) });
      expect([a.seq, b.seq]).toEqual([1, 2]);
      for (const reopen of [false, true]) {
        const s = reopen ? await c.reopen() : c.store;
        const m1 = await s.get(1);
        expect(m1?.subject).toBe("orders.new");
        expect(m1?.headers).toEqual(hdr);
        expect(text(m1)).toBe("one");
        expect(m1?.ts_ns).toBe(a.ts_ns);
        const m2 = await s.get(2);
        expect(m2?.headers).toBeUndefined();
        expect(m2?.payload.length).toBe(0);
        expect(await s.get(3)).toBeUndefined();
        expect(s.state()).toMatchObject({ msgs: 2, first_seq: 1, last_seq: 2, num_subjects: 2, num_deleted: 0 });
      }
    },
  },
  {
    name: "caller timestamps and sequences are kept; going backwards is bad_sequence",
    async run(c) {
      const r = await c.store.append({ subject: "a", headers: undefined, payload: bytes("x"), ts_ns: 42n, seq: 10 });
      expect(r).toEqual({ seq: 10, ts_ns: 42n, removed: [] });
      expect(await code(c.store.append({ subject: "a", headers: undefined, payload: bytes("y"), seq: 10 }))).toBe("bad_sequence");
      const s = await c.reopen();
      expect((await s.get(10))?.ts_ns).toBe(42n);
      expect((await s.append({ subject: "a", headers: undefined, payload: bytes("z") })).seq).toBe(11);
      expect(s.state()).toMatchObject({ first_seq: 10, last_seq: 11, msgs: 2, num_deleted: 0 });
    },
  },
  {
    name: "max_msgs with discard old removes the oldest and reports it",
    limits: { max_msgs: 3 },
    async run(c) {
      for (let i = 0; i < 3; i++) await c.put("s");
      const r = await c.store.append({ subject: "s", headers: undefined, payload: bytes("4") });
      expect(r.removed).toEqual([1]);
      const s = await c.reopen();
      expect(s.state()).toMatchObject({ msgs: 3, first_seq: 2, last_seq: 4 });
      expect(await s.get(1)).toBeUndefined();
    },
  },
  {
    name: "max_bytes with discard old keeps bytes under the limit",
    limits: { max_bytes: 200 },
    async run(c) {
      for (let i = 0; i < 20; i++) await c.put("b", "x".repeat(30));
      const s = await c.reopen();
      expect(s.state().bytes).toBeLessThanOrEqual(200);
      expect(s.state().last_seq).toBe(20);
      expect(s.state().msgs).toBe(4);
      expect(await code(s.append({ subject: "b", headers: undefined, payload: new Uint8Array(300) }))).toBe("max_bytes");
    },
  },
  {
    name: "discard new rejects at max_msgs and max_bytes",
    limits: { max_msgs: 2, max_bytes: 1000, discard: "new" },
    async run(c) {
      await c.put("a");
      await c.put("a");
      expect(await code(c.put("a"))).toBe("max_msgs");
      await c.store.delete(1);
      await c.put("a", "x".repeat(900));
      expect(await code(c.put("a", "y".repeat(900)))).toBe("max_msgs");
      await c.store.delete(2);
      expect(await code(c.put("a", "y".repeat(900)))).toBe("max_bytes");
      expect(c.store.state()).toMatchObject({ msgs: 1, last_seq: 3 });
    },
  },
  {
    name: "max_msgs_per_subject keeps the newest per subject",
    limits: { max_msgs_per_subject: 2 },
    async run(c) {
      for (const s of ["k.a", "k.b", "k.a", "k.a", "k.b", "k.a"]) await c.put(s, s);
      const s = await c.reopen();
      expect(s.subjectCounts("k.*")).toEqual(new Map([["k.a", 2], ["k.b", 2]]));
      expect([...(await Promise.all([1, 2, 3, 4, 5, 6].map((q) => s.get(q))))].map((m) => m?.seq)).toEqual([undefined, 2, undefined, 4, 5, 6]);
    },
  },
  {
    name: "discard new per subject rejects the subject at its limit only",
    limits: { max_msgs_per_subject: 1, discard: "new", discard_new_per_subject: true },
    async run(c) {
      await c.put("kv.a");
      expect(await code(c.put("kv.a"))).toBe("max_msgs_per_subject");
      expect(await c.put("kv.b")).toBe(2);
    },
  },
  {
    name: "max_msg_size rejects large messages with msg_too_large",
    limits: { max_msg_size_bytes: 10 },
    async run(c) {
      await c.put("m", "0123456789");
      expect(await code(c.put("m", "0123456789a"))).toBe("msg_too_large");
      expect(c.store.state().msgs).toBe(1);
    },
  },
  {
    name: "bad input is a clear error and changes nothing",
    async run(c) {
      expect(await code(c.store.append({ subject: "", headers: undefined, payload: bytes("x") }))).toMatch(/empty/);
      expect(await code(c.store.append({ subject: "a.*", headers: undefined, payload: bytes("x") }))).toMatch(/invalid/);
      expect(await code(c.store.append({ subject: "x".repeat(5000), headers: undefined, payload: bytes("x") }))).toBe("msg_too_large");
      expect(c.store.state()).toMatchObject({ msgs: 0, last_seq: 0, first_seq: 0 });
    },
  },
  {
    name: "expire removes messages older than max_age",
    limits: { max_age_ms: 1000 },
    async run(c) {
      await c.put("t");
      c.clock.advance(600);
      await c.put("t");
      c.clock.advance(600);
      expect(await c.store.expire(c.clock.nowNs())).toEqual([1]);
      c.clock.advance(600);
      expect(await c.store.expire(c.clock.nowNs())).toEqual([2]);
      const s = await c.reopen();
      expect(s.state()).toMatchObject({ msgs: 0, first_seq: 3, last_seq: 2 });
    },
  },
  {
    name: "delete leaves a tombstone that survives reopen",
    async run(c) {
      for (let i = 0; i < 5; i++) await c.put("d");
      expect(await c.store.delete(3)).toBe(true);
      expect(await c.store.delete(3)).toBe(false);
      expect(await c.store.delete(99)).toBe(false);
      expect(await c.store.delete(1, { erase: true })).toBe(true);
      const s = await c.reopen();
      expect(await s.get(3)).toBeUndefined();
      expect(await s.get(1)).toBeUndefined();
      expect(s.state()).toMatchObject({ msgs: 3, first_seq: 2, last_seq: 5, num_deleted: 1 });
      expect((await s.next(3))?.seq).toBe(4);
    },
  },
  {
    name: "deleting every message keeps last_seq and continues after it",
    async run(c) {
      for (let i = 0; i < 3; i++) await c.put("d");
      for (const q of [3, 1, 2]) await c.store.delete(q);
      const s = await c.reopen();
      expect(s.state()).toMatchObject({ msgs: 0, first_seq: 4, last_seq: 3 });
      expect(await c.put("d")).toBe(4);
    },
  },
  {
    name: "purge all keeps the sequence going",
    async run(c) {
      for (let i = 0; i < 10; i++) await c.put(`p.${i % 3}`);
      expect(await c.store.purge()).toBe(10);
      let s = await c.reopen();
      expect(s.state()).toMatchObject({ msgs: 0, bytes: 0, first_seq: 11, last_seq: 10, num_subjects: 0 });
      expect(await c.put("p.0")).toBe(11);
      s = await c.reopen();
      expect(s.state()).toMatchObject({ msgs: 1, first_seq: 11, last_seq: 11 });
    },
  },
  {
    name: "purge by wildcard subject, keep N and up to sequence",
    async run(c) {
      for (let i = 1; i <= 12; i++) await c.put(i % 2 === 0 ? `even.${i}` : `odd.${i}`);
      expect(await c.store.purge({ filter: "even.*" })).toBe(6);
      expect(await c.store.purge({ filter: "odd.>", keep: 4 })).toBe(2);
      expect(await c.store.purge({ up_to_seq: 7 })).toBe(1);
      const s = await c.reopen();
      expect(s.state()).toMatchObject({ msgs: 3, first_seq: 7, last_seq: 12 });
      expect((await s.next(0))?.seq).toBe(7);
      expect(await s.purge({ keep: 1 })).toBe(2);
      expect(s.state()).toMatchObject({ msgs: 1, first_seq: 11 });
      expect(await s.purge({ up_to_seq: 20 })).toBe(1);
      const t = await c.reopen();
      expect(t.state()).toMatchObject({ msgs: 0, first_seq: 20, last_seq: 19 });
      expect(await c.put("x")).toBe(20);
    },
  },
  {
    name: "next, lastBySubject, numPending and subjectCounts honour wildcards",
    async run(c) {
      const subjects = ["a.b.c", "a.x.c", "a.b", "z", "a.b.c", "a.y.q"];
      for (const s of subjects) await c.put(s, s);
      const s = await c.reopen();
      expect((await s.next(1, "a.*.c"))?.seq).toBe(1);
      expect((await s.next(2, "a.*.c"))?.seq).toBe(2);
      expect((await s.next(3, "a.*.c"))?.seq).toBe(5);
      expect((await s.next(6, "a.*.c"))?.seq).toBeUndefined();
      expect((await s.next(4, ">"))?.seq).toBe(4);
      expect((await s.next(2, "z"))?.seq).toBe(4);
      expect((await s.lastBySubject("a.>"))?.seq).toBe(6);
      expect((await s.lastBySubject("a.b.c"))?.seq).toBe(5);
      expect((await s.lastBySubject("*"))?.subject).toBe("z");
      expect(await s.lastBySubject("nope")).toBeUndefined();
      expect(s.numPending(1, "a.>")).toBe(5);
      expect(s.numPending(3)).toBe(4);
      expect(s.numPending(2, "a.b.c")).toBe(1);
      expect(s.subjectCounts(">")).toEqual(new Map([["a.b.c", 2], ["a.x.c", 1], ["a.b", 1], ["z", 1], ["a.y.q", 1]]));
    },
  },
  {
    name: "firstAtOrAfterTime finds the first sequence at or after a time",
    async run(c) {
      await c.store.append({ subject: "t", headers: undefined, payload: bytes("1"), ts_ns: 100n });
      await c.store.append({ subject: "t", headers: undefined, payload: bytes("2"), ts_ns: 200n });
      await c.store.append({ subject: "t", headers: undefined, payload: bytes("3"), ts_ns: 300n });
      const s = await c.reopen();
      expect(await s.firstAtOrAfterTime(150n)).toBe(2);
      expect(await s.firstAtOrAfterTime(0n)).toBe(1);
      expect(await s.firstAtOrAfterTime(301n)).toBe(4);
    },
  },
  {
    name: "updateLimits applies tighter limits at once and persists",
    async run(c) {
      for (let i = 0; i < 10; i++) await c.put("u");
      await c.store.updateLimits({ ...unlimited, max_msgs: 4 });
      expect(c.store.state()).toMatchObject({ msgs: 4, first_seq: 7 });
      const s = await c.reopen();
      expect(s.state()).toMatchObject({ msgs: 4, first_seq: 7 });
    },
  },
  {
    name: "a closed store rejects calls with closed",
    async run(c) {
      await c.put("c");
      await c.store.close();
      expect(await code(c.put("c"))).toBe("closed");
      expect(await code(c.store.get(1))).toBe("closed");
    },
  },
];

/** A naive reference model: the whole stream as a sorted array. */
interface ModelMsg {
  seq: number;
  subject: string;
  payload: string;
}

async function randomAgainstModel(c: Ctx, seed: number): Promise<void> {
  const prng = new Prng(seed);
  const model: ModelMsg[] = [];
  let last = 0;
  const perSubjectMax = 5;
  let store = c.store;
  for (let step = 0; step < 400; step++) {
    const r = prng.int(100);
    if (r < 70) {
      const subject = `r.${prng.int(6)}.${prng.int(3)}`;
      const payload = `${step}:${"p".repeat(prng.int(300))}`;
      const res = await store.append({ subject, headers: undefined, payload: bytes(payload) });
      last++;
      expect(res.seq).toBe(last);
      model.push({ seq: last, subject, payload });
      const same = model.filter((m) => m.subject === subject);
      const dropped = same.slice(0, Math.max(0, same.length - perSubjectMax)).map((m) => m.seq);
      expect(res.removed).toEqual(dropped);
      for (const d of dropped) model.splice(model.findIndex((m) => m.seq === d), 1);
    } else if (r < 82 && model.length > 0) {
      const victim = prng.pick(model).seq;
      expect(await store.delete(victim)).toBe(true);
      model.splice(model.findIndex((m) => m.seq === victim), 1);
    } else if (r < 85) {
      const filter = `r.${prng.int(6)}.*`;
      const n = await store.purge({ filter });
      const gone = model.filter((m) => subjectMatches(filter, m.subject));
      expect(n).toBe(gone.length);
      for (const g of gone) model.splice(model.indexOf(g), 1);
    } else if (r < 88) {
      store = await c.reopen();
    } else {
      const start = prng.int(last + 2);
      const filter = [undefined, "r.1.*", "r.*.2", "r.>", "r.3.0"][prng.int(5)];
      const want = model.find((m) => m.seq >= start && (filter === undefined || subjectMatches(filter, m.subject)));
      const got = await store.next(start, filter);
      expect(got?.seq).toBe(want?.seq);
      if (want !== undefined) expect(text(got)).toBe(want.payload);
      expect(store.numPending(start, filter)).toBe(model.filter((m) => m.seq >= start && (filter === undefined || subjectMatches(filter, m.subject))).length);
      if (filter !== undefined) expect((await store.lastBySubject(filter))?.seq).toBe(model.filter((m) => subjectMatches(filter, m.subject)).at(-1)?.seq);
    }
    const st = store.state();
    expect(st.msgs).toBe(model.length);
    expect(st.last_seq).toBe(last);
    expect(st.first_seq).toBe(model[0]?.seq ?? (last > 0 ? last + 1 : 0));
  }
  for (const m of model) expect(text(await store.get(m.seq))).toBe(m.payload);
}

export function storeSuite(name: string, makeHarness: () => StoreHarness): void {
  describe(`Store suite: ${name}`, () => {
    let harness: StoreHarness | undefined;
    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    async function context(limits: Partial<StoreLimits> | undefined): Promise<Ctx> {
      harness = makeHarness();
      const h = harness;
      const clock = new ManualClock();
      const options: StoreOptions = { name: "SUITE", limits: { ...unlimited, ...limits }, sync: "always", sync_interval_ms: 1000 };
      const ctx: Ctx = {
        store: await h.open(options, clock),
        clock,
        options,
        async reopen() {
          ctx.store = await h.reopen(ctx.store, options, clock);
          return ctx.store;
        },
        async put(subject, payload = "x") {
          return (await ctx.store.append({ subject, headers: undefined, payload: bytes(payload) })).seq;
        },
      };
      return ctx;
    }

    it.each(cases)("$name", async (tc) => {
      const ctx = await context(tc.limits);
      await tc.run(ctx);
    });

    it.each([1, 2, 3])("matches a reference model under random operations (seed %i)", async (seed) => {
      const ctx = await context({ max_msgs_per_subject: 5 });
      await randomAgainstModel(ctx, seed);
    });
  });
}
