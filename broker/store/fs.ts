/**
 * The filesystem seam: everything the file store does to a disk goes through these two
 * interfaces. `node_fs.ts` is the only implementation that touches node:fs; the simulator
 * (test/sim/sim_fs.ts) implements them with a fake disk that loses unsynced writes on a crash,
 * tears the last write, flips bits and fails writes with ENOSPC/EIO.
 *
 * Errors are thrown as `Error` objects with a POSIX `code` ("ENOENT", "ENOSPC", "EIO", ...).
 */
export interface FileHandle {
  /** Current size in bytes (including writes not yet synced). */
  size(): Promise<number>;
  /** Up to `length_bytes` bytes from `offset_bytes`; shorter only at end of file. */
  read(offset_bytes: number, length_bytes: number): Promise<Uint8Array>;
  /** Write all of `data` at `offset_bytes` (extends the file as needed). */
  write(offset_bytes: number, data: Uint8Array): Promise<void>;
  truncate(size_bytes: number): Promise<void>;
  /** Make data and size durable (fdatasync). Only synced bytes survive a power loss. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** Open read/write; `create` makes the file when missing (ENOENT otherwise). */
  open(path: string, opts: { create: boolean }): Promise<FileHandle>;
  /** File names in a directory; [] when the directory does not exist. */
  list(dir: string): Promise<string[]>;
  mkdirp(dir: string): Promise<void>;
  /** Atomic replace; durable only after syncDir of the directory. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync the directory so creates, renames and unlinks in it survive a power loss. */
  syncDir(dir: string): Promise<void>;
  removeTree(dir: string): Promise<void>;
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}

/** The disk (or the user's quota) is full: refuse writes for now, not a fatal error. */
export function isNoSpace(err: unknown): boolean {
  const code = errorCode(err);
  return code === "ENOSPC" || code === "EDQUOT";
}

/** An Error carrying a POSIX code, for seam implementations. */
export function fsError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** A directory name for a stream that cannot escape its parent or collide on case-folding. */
export function streamDirName(stream: string): string {
  let hex = "";
  for (const b of new TextEncoder().encode(stream)) hex += b.toString(16).padStart(2, "0");
  return `s_${hex}`;
}
