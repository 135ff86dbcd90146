/**
 * A simulated disk behind the store's FileSystem seam (broker/store/fs.ts), for deterministic
 * power-loss and corruption tests. What it models (durability.md):
 * - page cache vs stable storage: writes are visible at once, durable only after sync();
 *   directory changes (create, rename, unlink) only after syncDir();
 * - a crash keeps, per file, a random prefix of the unsynced writes, the last one possibly torn
 *   (a random prefix of its bytes); each directory keeps either its synced or its current
 *   entries;
 * - faults: ENOSPC past a capacity, EIO on chosen writes/syncs (a failed sync drops the dirty
 *   pages, as Linux may), bit flips in stored bytes;
 * - after crash(), every handle and view from before the crash fails with EIO, so a store that
 *   was running cannot touch the restarted disk; boot() gives a fresh view.
 * All choices come from the Prng passed in, so a seed replays exactly.
 */
import type { Prng } from "../../common/prng.js";
import type { FileHandle, FileSystem } from "../../broker/store/fs.js";
import { fsError } from "../../broker/store/fs.js";

type Pending = { kind: "write"; off: number; data: Uint8Array } | { kind: "truncate"; size: number };

interface Inode {
  data: Uint8Array;
  durable: Uint8Array;
  pending: Pending[];
}

interface Dir {
  cur: Map<string, number>;
  durable: Map<string, number>;
}

export type FaultPoint = "write" | "sync" | "syncDir" | "rename" | "open";
/** Decide a fault for an operation: return an errno code to fail it, or undefined. */
export type FaultPlan = (op: FaultPoint, path: string) => string | undefined;

function split(path: string): [string, string] {
  const i = path.lastIndexOf("/");
  return [path.slice(0, i) || "/", path.slice(i + 1)];
}

function resized(b: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(b.subarray(0, Math.min(size, b.length)));
  return out;
}

function applyPending(base: Uint8Array, p: Pending, tornBytes?: number): Uint8Array {
  if (p.kind === "truncate") return resized(base, p.size);
  const data = tornBytes === undefined ? p.data : p.data.subarray(0, tornBytes);
  const out = base.length >= p.off + data.length ? base.slice() : resized(base, p.off + data.length);
  out.set(data, p.off);
  return out;
}

export class SimDisk {
  private inodes = new Map<number, Inode>();
  private dirs = new Map<string, Dir>();
  private nextInode = 1;
  private epoch = 0;
  /** Mutating operations so far; with `crashAtOp` the disk crashes when it reaches that count. */
  opCount = 0;
  crashAtOp = Number.POSITIVE_INFINITY;
  capacityBytes = Number.POSITIVE_INFINITY;
  faults: FaultPlan = () => undefined;
  crashes = 0;

  constructor(private readonly prng: Prng) {}

  boot(): FileSystem {
    return new SimFileSystem(this, this.epoch);
  }

  /** Power loss: keep what was durable plus a random prefix (maybe torn) of what was not. */
  crash(): void {
    this.epoch++;
    this.crashes++;
    for (const inode of this.inodes.values()) {
      let data = inode.durable;
      const keep = this.prng.int(inode.pending.length + 1);
      for (let i = 0; i < keep; i++) {
        const p = inode.pending[i]!;
        const tear = i === keep - 1 && p.kind === "write" && this.prng.chance(0.5) ? this.prng.int(p.data.length + 1) : undefined;
        data = applyPending(data, p, tear);
      }
      inode.data = data;
      inode.durable = data.slice();
      inode.pending = [];
    }
    for (const dir of this.dirs.values()) {
      const kept = this.prng.chance(0.5) ? dir.durable : dir.cur;
      dir.cur = new Map(kept);
      dir.durable = new Map(kept);
    }
    this.crashAtOp = Number.POSITIVE_INFINITY;
  }

  /** Flip one bit of a file's stored bytes (both the cache and stable storage). */
  flipBit(path: string, bit: number): void {
    const inode = this.inodes.get(this.lookup(path)!)!;
    for (const b of [inode.data, inode.durable]) if (bit >> 3 < b.length) b[bit >> 3]! ^= 1 << (bit & 7);
  }

  fileSize(path: string): number {
    return this.inodes.get(this.lookup(path)!)!.data.length;
  }

  listDir(dir: string): string[] {
    return [...(this.dirs.get(dir)?.cur.keys() ?? [])].sort();
  }

  /** Raw stored bytes of a file (tests check that plaintext never reaches the disk). */
  durableBytes(path: string): Uint8Array {
    return this.inodes.get(this.lookup(path)!)!.durable.slice();
  }

  usedBytes(): number {
    let n = 0;
    for (const i of this.inodes.values()) n += i.data.length;
    return n;
  }

  // ---- used by the views ------------------------------------------------------------------

  isDead(epoch: number): boolean {
    return epoch !== this.epoch;
  }

  alive(epoch: number): void {
    if (epoch !== this.epoch) throw fsError("EIO", "simulated crash: this process is gone");
  }

  /** Count a mutating op; crash (and fail it) when the planned crash point is reached. */
  step(epoch: number, op: FaultPoint, path: string): void {
    this.alive(epoch);
    this.opCount++;
    if (this.opCount >= this.crashAtOp) {
      this.crash();
      throw fsError("EIO", "simulated crash");
    }
    const code = this.faults(op, path);
    if (code !== undefined) throw fsError(code, `injected fault on ${op} ${path}`);
  }

  lookup(path: string): number | undefined {
    const [d, n] = split(path);
    return this.dirs.get(d)?.cur.get(n);
  }

  dir(path: string): Dir {
    const d = this.dirs.get(path);
    if (d === undefined) throw fsError("ENOENT", `no such directory ${path}`);
    return d;
  }

  mkdir(path: string): void {
    if (!this.dirs.has(path)) this.dirs.set(path, { cur: new Map(), durable: new Map() });
  }

  create(path: string): number {
    const [d, n] = split(path);
    const id = this.nextInode++;
    this.inodes.set(id, { data: new Uint8Array(0), durable: new Uint8Array(0), pending: [] });
    this.dir(d).cur.set(n, id);
    return id;
  }

  inode(id: number): Inode {
    return this.inodes.get(id)!;
  }

  removeDir(path: string): void {
    for (const k of [...this.dirs.keys()]) if (k === path || k.startsWith(`${path}/`)) this.dirs.delete(k);
  }
}

class SimHandle implements FileHandle {
  constructor(private readonly disk: SimDisk, private readonly epoch: number, private readonly id: number, private readonly path: string) {}

  private get node(): Inode {
    this.disk.alive(this.epoch);
    return this.disk.inode(this.id);
  }

  async size(): Promise<number> {
    await Promise.resolve();
    return this.node.data.length;
  }

  async read(offset_bytes: number, length_bytes: number): Promise<Uint8Array> {
    await Promise.resolve();
    return this.node.data.slice(offset_bytes, offset_bytes + length_bytes);
  }

  async write(offset_bytes: number, data: Uint8Array): Promise<void> {
    await Promise.resolve();
    this.disk.step(this.epoch, "write", this.path);
    const node = this.node;
    const growth = Math.max(0, offset_bytes + data.length - node.data.length);
    const room = this.disk.capacityBytes - this.disk.usedBytes();
    if (growth > room) {
      // Like a real full disk: what fits is written, then ENOSPC.
      const fits = Math.max(0, node.data.length + Math.max(0, room) - offset_bytes);
      if (fits > 0) this.apply(node, { kind: "write", off: offset_bytes, data: data.slice(0, fits) });
      throw fsError("ENOSPC", `no space left on device writing ${this.path}`);
    }
    this.apply(node, { kind: "write", off: offset_bytes, data: data.slice() });
  }

  private apply(node: Inode, p: Pending): void {
    node.data = applyPending(node.data, p);
    node.pending.push(p);
  }

  async truncate(size_bytes: number): Promise<void> {
    await Promise.resolve();
    this.disk.step(this.epoch, "write", this.path);
    this.apply(this.node, { kind: "truncate", size: size_bytes });
  }

  async sync(): Promise<void> {
    const node = this.node;
    // An fsync covers what was written when it was called; writes issued while it runs (the
    // store's pipelined writer does that) stay pending and need the next one. It takes a
    // macrotask, so other operations really do interleave with it.
    const covered = node.pending.length;
    const snapshot = node.data.slice();
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      this.disk.step(this.epoch, "sync", this.path);
    } catch (err) {
      // fsyncgate: a failed fsync may drop the dirty pages; later reads see the old bytes.
      if (this.disk.inode(this.id) === node && (err as { code?: string }).code !== undefined && !this.disk.isDead(this.epoch)) {
        node.data = node.durable.slice();
        node.pending = [];
      }
      throw err;
    }
    if (this.disk.inode(this.id) !== node) return;
    node.durable = snapshot;
    node.pending = node.pending.slice(covered);
  }

  async close(): Promise<void> {
    await Promise.resolve();
  }
}

class SimFileSystem implements FileSystem {
  constructor(private readonly disk: SimDisk, private readonly epoch: number) {}

  async open(path: string, opts: { create: boolean }): Promise<FileHandle> {
    await Promise.resolve();
    this.disk.alive(this.epoch);
    let id = this.disk.lookup(path);
    if (id === undefined) {
      if (!opts.create) throw fsError("ENOENT", `no such file ${path}`);
      this.disk.step(this.epoch, "open", path);
      id = this.disk.create(path);
    }
    return new SimHandle(this.disk, this.epoch, id, path);
  }

  async list(dir: string): Promise<string[]> {
    await Promise.resolve();
    this.disk.alive(this.epoch);
    return this.disk.listDir(dir);
  }

  async mkdirp(dir: string): Promise<void> {
    await Promise.resolve();
    this.disk.alive(this.epoch);
    this.disk.mkdir(dir); // directories themselves are modelled as durable once made
  }

  async rename(from: string, to: string): Promise<void> {
    await Promise.resolve();
    this.disk.step(this.epoch, "rename", from);
    const id = this.disk.lookup(from);
    if (id === undefined) throw fsError("ENOENT", `no such file ${from}`);
    const [fd, fn] = split(from);
    const [td, tn] = split(to);
    this.disk.dir(fd).cur.delete(fn);
    this.disk.dir(td).cur.set(tn, id);
  }

  async unlink(path: string): Promise<void> {
    await Promise.resolve();
    this.disk.step(this.epoch, "rename", path);
    const [d, n] = split(path);
    if (!this.disk.dir(d).cur.delete(n)) throw fsError("ENOENT", `no such file ${path}`);
  }

  async syncDir(dir: string): Promise<void> {
    await Promise.resolve();
    this.disk.step(this.epoch, "syncDir", dir);
    const d = this.disk.dir(dir);
    d.durable = new Map(d.cur);
  }

  async removeTree(dir: string): Promise<void> {
    await Promise.resolve();
    this.disk.alive(this.epoch);
    this.disk.removeDir(dir);
  }
}
