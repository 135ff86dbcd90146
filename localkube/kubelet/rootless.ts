/**
 * Loopback mode's container sandbox without root: `unshare --user --map-root-user --mount --uts`
 * gives each container a private mount and UTS namespace (root only inside its own user
 * namespace), in which a shell script builds a root that mirrors the host's `/` (a tmpfs with
 * each top-level entry bind-mounted back), binds the pod's volumes at their absolute `mountPath`,
 * sets the hostname and `chroot`s into it. A mount point that does not exist on the host (e.g.
 * /etc/sluice) is made by mirroring its deepest existing ancestor the same way (tmpfs + its entries
 * bound back), so the host filesystem is never written. Mirroring rather than overlayfs: without
 * root, overlayfs refuses some lower directories and cannot copy up directories owned by uids
 * outside the user namespace. The network is the host's (pods are told apart by their loopback address).
 *
 * Planning is pure (filesystem facts come in through `FsProbe`) and tested by value.
 */
import { posix } from "node:path";

export interface FsProbe {
  exists: (path: string) => boolean;
  /** Canonical path of an existing path (symlinks resolved). */
  realpath: (path: string) => string;
  isDirectory: (path: string) => boolean;
}

export interface MountRequest {
  /** Host path of the volume (or of the subPath inside it). */
  source: string;
  /** The container's mountPath (absolute). */
  target: string;
  isFile: boolean;
  readOnly: boolean;
}

export interface PlannedMount extends MountRequest {
  /** Target with every existing component's symlinks resolved (as the chroot will see it). */
  canonical: string;
}

export interface RootlessPlan {
  mounts: PlannedMount[];
  /** Existing host directories re-created on a tmpfs with their entries bound back (mount points are made in them), shallowest first. */
  mirrors: string[];
}

export class MountPathError extends Error {}

/**
 * Resolve `target` the way the kernel will inside the chroot (which mirrors the host's `/`):
 * symlinks in the existing part are followed, the missing rest is appended as is.
 */
export function canonicalTarget(target: string, fs: FsProbe): string {
  if (!posix.isAbsolute(target)) throw new MountPathError(`mountPath "${target}" must be absolute`);
  if (target.split("/").includes("..")) throw new MountPathError(`mountPath "${target}" must not contain ".."`);
  const parts = posix.normalize(target).split("/").filter((p) => p !== "");
  let existing = 0;
  while (existing < parts.length && fs.exists("/" + parts.slice(0, existing + 1).join("/"))) existing++;
  const base = existing === 0 ? "/" : fs.realpath("/" + parts.slice(0, existing).join("/"));
  return posix.join(base, ...parts.slice(existing));
}

export function planRootless(mounts: MountRequest[], fs: FsProbe): RootlessPlan {
  const mirrors = new Set<string>();
  const planned: PlannedMount[] = [];
  for (const m of mounts) {
    const canonical = canonicalTarget(m.target, fs);
    if (canonical === "/") throw new MountPathError(`mountPath "${m.target}" resolves to "/"`);
    if (!fs.exists(canonical)) {
      // Mirror the deepest existing ancestor. A missing top-level entry needs none: it is made in
      // the sandbox root, which is already a mirror.
      let dir = posix.dirname(canonical);
      while (dir !== "/" && !fs.exists(dir)) dir = posix.dirname(dir);
      if (dir !== "/") {
        if (!fs.isDirectory(dir)) throw new MountPathError(`mountPath "${m.target}": ${dir} is not a directory`);
        mirrors.add(dir);
      }
    }
    planned.push({ ...m, canonical });
  }
  const depth = (p: string): number => p.split("/").length;
  return { mounts: planned, mirrors: [...mirrors].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b)) };
}

export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The script run by `unshare ... -- /bin/sh -c <script> lk-init <argv...>`. `rootDir` is a
 * per-container host directory; everything mounted on it lives only in the container's namespace.
 */
export function rootlessScript(o: { rootDir: string; hostname: string; workingDir: string; plan: RootlessPlan }): string {
  const lines = [
    "set -e",
    // The sandbox's own tools come from the system; the container's PATH applies to its command.
    'LK_PATH="$PATH"',
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    // mirror SRC DST: DST (a fresh tmpfs) shows SRC's entries: symlinks copied, the rest bound.
    "mirror() {",
    '  mount -t tmpfs -o "mode=$(stat -c %a "${1:-/}")" lk-mirror "$2"',
    '  for e in "$1"/* "$1"/.[!.]*; do',
    '    [ -e "$e" ] || [ -L "$e" ] || continue',
    '    n="${e##*/}"',
    '    if [ -L "$e" ]; then ln -s "$(readlink "$e")" "$2/$n"',
    '    elif [ -d "$e" ]; then mkdir "$2/$n"; mount --rbind "$e" "$2/$n" 2>/dev/null || true',
    '    else : > "$2/$n"; mount --bind "$e" "$2/$n" 2>/dev/null || true',
    "    fi",
    "  done",
    "}",
    `R=${shq(o.rootDir)}`,
    'mkdir -p "$R"',
    'mirror "" "$R"',
    ...o.plan.mirrors.map((dir) => `mirror ${shq(dir)} "$R"${shq(dir)}`),
  ];
  for (const m of o.plan.mounts) {
    const t = `"$R"${shq(m.canonical)}`;
    lines.push(m.isFile ? `mkdir -p "$(dirname ${t})"; [ -e ${t} ] || : > ${t}` : `mkdir -p ${t}`);
    lines.push(`mount --bind ${shq(m.source)} ${t}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${t}`);
  }
  lines.push(
    `hostname ${shq(o.hostname)}`,
    `exec chroot "$R" /bin/sh -c 'cd "$1" || exit 1; PATH="$2"; shift 2; exec "$@"' lk-chroot ${shq(o.workingDir)} "$LK_PATH" "$@"`,
  );
  return lines.join("\n");
}
