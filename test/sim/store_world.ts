/**
 * Seeded store scenarios on the simulated disk: power loss during a concurrent workload, and
 * bit rot after a clean shutdown. Each run returns undefined when every check holds, or a
 * one-line failure that starts with the seed, so `STORE_SIM_SEED=<n>` replays it.
 */
import { ManualClock } from "../../common/clock.js";
import { Prng } from "../../common/prng.js";
import { Keyring } from "../../broker/store/encryption.js";
import { FileStore } from "../../broker/store/file_store.js";
import type { FileStoreConfig } from "../../broker/store/file_store.js";
import type { FileSystem } from "../../broker/store/fs.js";
import type { StoredMessage, StoreOptions } from "../../broker/store/types.js";
import { SimDisk } from "./sim_disk.js";

const keyring = Keyring.parse(`7:${"ab".repeat(32)}`);
const dir = "/data/stream";
const enc = new TextEncoder();
const dec = new TextDecoder();

export const simOptions: StoreOptions = {
  name: "SIM",
  limits: { max_msgs: 0, max_bytes: 0, max_age_ms: 0, max_msgs_per_subject: 0, max_msg_size_bytes: 0, discard: "old", discard_new_per_subject: false },
  sync: "always",
  sync_interval_ms: 1000,
};

interface Issued {
  id: number;
  subject: string;
  headers: Uint8Array | undefined;
  payload: Uint8Array;
}

function makeInput(prng: Prng, id: number): Issued {
  const body = `id=${id};` + "x".repeat(prng.int(prng.chance(0.1) ? 3000 : 200));
  const headers = prng.chance(0.3) ? enc.encode(`NATS/1.0\r\nId: ${id}\r\n\r\n`) : undefined;
  return { id, subject: `sim.${prng.int(5)}.${prng.int(3)}`, headers, payload: enc.encode(body) };
}

function idOf(m: StoredMessage): number {
  const match = /^id=(\d+);/.exec(dec.decode(m.payload.subarray(0, 24)));
  return match === null ? -1 : Number(match[1]);
}

function same(m: StoredMessage, i: Issued): boolean {
  const eq = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
    a === undefined || b === undefined ? a === b : a.length === b.length && a.every((x, k) => x === b[k]);
  return m.subject === i.subject && eq(m.headers, i.headers) && eq(m.payload, i.payload);
}

function config(prng: Prng, clock: ManualClock): (fs: FileSystem) => FileStoreConfig {
  const segment_bytes_max = 256 + prng.int(6000);
  const batch_ops_max = 1 + prng.int(32);
  const cipher = prng.chance(0.2) ? keyring : undefined;
  return (fs) => ({ fs, dir, clock, segment_bytes_max, batch_ops_max, ...(cipher ? { cipher } : {}) });
}

/** Open, crashing during recovery itself on some seeds (then booting once more). */
async function reopen(disk: SimDisk, prng: Prng, cfg: (fs: FileSystem) => FileStoreConfig, options: StoreOptions): Promise<FileStore> {
  if (prng.chance(0.25)) {
    disk.crashAtOp = disk.opCount + 1 + prng.int(8);
    try {
      const s = await FileStore.open(options, cfg(disk.boot()));
      disk.crashAtOp = Number.POSITIVE_INFINITY;
      await s.close();
    } catch {
      // crashed while recovering: fine, recover again below
    }
    disk.crashAtOp = Number.POSITIVE_INFINITY;
  }
  return FileStore.open(options, cfg(disk.boot()));
}

export async function runPowerLoss(seed: number): Promise<string | undefined> {
  const prng = new Prng(seed);
  const disk = new SimDisk(new Prng(seed ^ 0x5eed5eed));
  const clock = new ManualClock();
  const cfg = config(prng, clock);
  const fail = (what: string): string => `SEED=${seed} power-loss: ${what}`;
  // Some seeds run with max_msgs (discard old): floors, dropped segments and compaction.
  const maxMsgs = prng.chance(0.3) ? 3 + prng.int(30) : 0;
  const options: StoreOptions = { ...simOptions, limits: { ...simOptions.limits, max_msgs: maxMsgs } };
  let store = await FileStore.open(options, cfg(disk.boot()));
  const issued = new Map<number, Issued>();
  const acked = new Map<number, Issued>(); // seq -> input
  const deleteIssued = new Set<number>();
  const deleteAcked = new Set<number>();
  const inflight: Array<Promise<unknown>> = [];
  let nextId = 1;
  disk.crashAtOp = disk.opCount + 1 + prng.int(120);
  const steps = 10 + prng.int(80);
  for (let i = 0; i < steps && disk.crashes === 0; i++) {
    const r = prng.int(100);
    if (r < 78) {
      const input = makeInput(prng, nextId++);
      issued.set(input.id, input);
      inflight.push(store.append(input).then((res) => acked.set(res.seq, input)));
    } else if (acked.size > 0) {
      const seqs = [...acked.keys()];
      const seq = seqs[prng.int(seqs.length)]!;
      deleteIssued.add(seq);
      inflight.push(store.delete(seq).then((ok) => ok && deleteAcked.add(seq)));
    }
    if (prng.chance(0.35)) await Promise.allSettled(inflight.splice(0));
  }
  await Promise.allSettled(inflight.splice(0));
  if (disk.crashes === 0) disk.crash();
  store = await reopen(disk, prng, cfg, options);
  try {
    const st = store.state();
    if (st.damage.length > 0) return fail(`power loss reported as damage: ${JSON.stringify(st.damage)}`);
    const maxAcked = Math.max(0, ...acked.keys());
    if (st.last_seq < maxAcked) return fail(`last_seq ${st.last_seq} < acknowledged ${maxAcked}`);
    if (maxMsgs > 0 && st.msgs > maxMsgs) return fail(`${st.msgs} messages, max_msgs ${maxMsgs}`);
    for (const [seq, input] of acked) {
      const m = await store.get(seq);
      if (deleteAcked.has(seq)) {
        if (m !== undefined) return fail(`acknowledged delete of ${seq} undone`);
      } else if (m === undefined) {
        // Limits remove from the front only, and only while the stream is full.
        const removedByLimits = maxMsgs > 0 && seq < st.first_seq && st.msgs + deleteIssued.size >= maxMsgs;
        if (!deleteIssued.has(seq) && !removedByLimits) return fail(`acknowledged seq ${seq} lost`);
      } else if (!same(m, input)) return fail(`acknowledged seq ${seq} changed`);
    }
    let prevId = 0;
    for (let seq = maxMsgs > 0 ? Math.max(1, st.first_seq) : 1; seq <= st.last_seq; seq++) {
      const m = await store.get(seq);
      if (m === undefined) {
        if (!deleteIssued.has(seq)) return fail(`gap at seq ${seq} (first_seq ${st.first_seq}, last_seq ${st.last_seq})`);
        continue;
      }
      const input = issued.get(idOf(m));
      if (input === undefined || !same(m, input)) return fail(`seq ${seq} holds bytes nobody appended`);
      if (input.id <= prevId) return fail(`seq ${seq} out of append order`);
      prevId = input.id;
    }
    const after = await store.append(makeInput(prng, nextId++));
    if (after.seq !== st.last_seq + 1) return fail(`next append got ${after.seq}, want ${st.last_seq + 1}`);
    return undefined;
  } finally {
    await store.close();
  }
}

export async function runBitRot(seed: number): Promise<string | undefined> {
  const prng = new Prng(seed);
  const disk = new SimDisk(new Prng(seed ^ 0x0b17f11b));
  const clock = new ManualClock();
  const cfg = config(prng, clock);
  const fail = (what: string): string => `SEED=${seed} bit-rot: ${what}`;
  let store = await FileStore.open(simOptions, cfg(disk.boot()));
  const written = new Map<number, Issued>();
  const deleted = new Set<number>();
  const n = 5 + prng.int(60);
  for (let id = 1; id <= n; ) {
    const group: Array<Promise<void>> = [];
    for (let k = 1 + prng.int(8); k > 0 && id <= n; k--, id++) {
      const input = makeInput(prng, id);
      group.push(store.append(input).then((r) => void written.set(r.seq, input)));
    }
    await Promise.all(group);
    if (prng.chance(0.2) && written.size > 0) {
      const seq = [...written.keys()][prng.int(written.size)]!;
      if (await store.delete(seq)) deleted.add(seq);
    }
  }
  await store.close();
  const files = disk.listDir(dir);
  const segs = files.filter((f) => f.endsWith(".seg"));
  let segFlips = 0;
  for (let k = 1 + prng.int(3); k > 0; k--) {
    const onSeg = prng.chance(0.85) || segs.length === files.length;
    const others = files.filter((f) => !f.endsWith(".seg"));
    const file = onSeg ? segs[prng.int(segs.length)]! : others[prng.int(others.length)]!;
    if (onSeg) segFlips++;
    const bit = prng.int(disk.fileSize(`${dir}/${file}`) * 8);
    disk.flipBit(`${dir}/${file}`, bit);
  }
  store = await FileStore.open(simOptions, cfg(disk.boot()));
  try {
    const covered = (seq: number): boolean => store.state().damage.some((d) => seq >= d.first_seq && seq <= d.last_seq);
    for (const [seq, input] of written) {
      const m = await store.get(seq);
      if (m !== undefined && !same(m, input)) return fail(`served corrupted bytes for seq ${seq}`);
      if (deleted.has(seq)) {
        if (m !== undefined && store.state().damage.length === 0) return fail(`deleted seq ${seq} came back with no damage reported`);
      } else if (m === undefined && !covered(seq)) {
        return fail(`seq ${seq} lost without a damage report covering it: ${JSON.stringify(store.state().damage)}`);
      }
    }
    await store.scrub();
    if (segFlips > 0 && store.state().damage.length === 0) return fail(`${segFlips} bit flip(s) in segments went undetected`);
    return undefined;
  } finally {
    await store.close();
  }
}
