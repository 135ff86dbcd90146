/**
 * The stream metadata file (`meta.json`): small, replaced atomically — write a temp file, fsync
 * it, rename it over the old one, fsync the directory (durability rules 1 and 2). A trailing
 * CRC32C line makes a damaged file detectable; the store then rebuilds it from its options.
 */
import { crc32c } from "./crc32c.js";
import { joinPath } from "./fs.js";
import type { FileSystem } from "./fs.js";
import type { StoreDamage, StoreLimits, SyncPolicy } from "./types.js";

export const metaFileName = "meta.json";
export const damageEntriesMax = 64;

export interface StreamMeta {
  format: 1;
  name: string;
  limits: StoreLimits;
  sync: SyncPolicy;
  encrypted: boolean;
  damage: StoreDamage[];
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

function hex(n: number): string {
  return n.toString(16).padStart(8, "0");
}

export async function writeMeta(fs: FileSystem, dir: string, meta: StreamMeta): Promise<void> {
  const json = JSON.stringify(meta);
  const bytes = enc.encode(`${json}\n${hex(crc32c(enc.encode(json)))}\n`);
  const tmp = joinPath(dir, `${metaFileName}.tmp`);
  const h = await fs.open(tmp, { create: true });
  try {
    await h.truncate(0);
    await h.write(0, bytes);
    await h.sync();
  } finally {
    await h.close();
  }
  await fs.rename(tmp, joinPath(dir, metaFileName));
  await fs.syncDir(dir);
}

export type MetaRead = { kind: "missing" } | { kind: "damaged"; reason: string } | { kind: "ok"; meta: StreamMeta };

export async function readMeta(fs: FileSystem, dir: string): Promise<MetaRead> {
  if (!(await fs.list(dir)).includes(metaFileName)) return { kind: "missing" };
  const h = await fs.open(joinPath(dir, metaFileName), { create: false });
  let bytes: Uint8Array;
  try {
    bytes = await h.read(0, Math.min(await h.size(), 1 << 20));
  } finally {
    await h.close();
  }
  try {
    const [json, crc] = dec.decode(bytes).split("\n");
    if (json === undefined || crc !== hex(crc32c(enc.encode(json)))) return { kind: "damaged", reason: "metadata checksum mismatch" };
    const meta = JSON.parse(json) as StreamMeta;
    if (meta.format !== 1) return { kind: "damaged", reason: `unknown metadata format ${String(meta.format)}` };
    return { kind: "ok", meta };
  } catch (err) {
    return { kind: "damaged", reason: `unreadable metadata: ${(err as Error).message}` };
  }
}
