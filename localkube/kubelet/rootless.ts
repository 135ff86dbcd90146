/**
 * Loopback mode's container sandbox without root: `unshare --user --map-root-user --mount --uts`
 * gives each container a private mount and UTS namespace (root only inside its own user
 * namespace), in which a shell script builds a root directory that mirrors the host's `/` (each
 * top-level entry bind-mounted), binds the pod's volumes at their absolute `mountPath`, sets the
 * hostname and `chroot`s into it. A mount point that does not exist on the host (e.g. /etc/sluice)
 * is created on a tmpfs-backed overlay of its top-level directory, so the host filesystem is never
 * written. The network is the host's (pods are told apart by their loopback address).
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
  /** Host top-level directories shown through an overlay (a mount point must be created in them). */
  overlayTops: string[];
}

export class MountPathError extends Error {}

/**
 * Resolve `target` the way the kernel will inside the chroot (which mirrors the host's `/`):
 * symlinks in the existing part are followed, the missing rest is appended as is.
 */
export function canonicalTarget(target: string, fs: FsProbe): string {
  if (!posix.isAbsolute(target)) throw new MountPathError(`mountPath "${target}" must be absolute`);
  const parts = posix.normalize(target).split("/").filter((p) => p !== "");
  if (parts.includes("..")) throw new MountPathError(`mountPath "${target}" must not contain ".."`);
  let existing = 0;
  while (existing < parts.length && fs.exists("/" + parts.slice(0, existing + 1).join("/"))) existing++;
  const base = existing === 0 ? "/" : fs.realpath("/" + parts.slice(0, existing).join("/"));
  return posix.join(base, ...parts.slice(existing));
}

export function planRootless(mounts: MountRequest[], fs: FsProbe): RootlessPlan {
  const overlayTops = new Set<string>();
  const planned: PlannedMount[] = [];
  for (const m of mounts) {
    const canonical = canonicalTarget(m.target, fs);
    if (canonical === "/") throw new MountPathError(`mountPath "${m.target}" resolves to "/"`);
    const top = canonical.split("/")[1] ?? "";
    // A missing mount point inside an existing host directory: overlay that top-level directory.
    // A missing top-level entry is simply created in the sandbox root (our own directory).
    if (!fs.exists(canonical) && fs.exists(`/${top}`) && fs.isDirectory(`/${top}`)) overlayTops.add(top);
    planned.push({ ...m, canonical });
  }
  return { mounts: planned, overlayTops: [...overlayTops].sort() };
}

export const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The script run by `unshare ... -- /bin/sh -c <script> lk-init <argv...>`. `rootDir` and
 * `overlayDir` are per-container host directories that only ever hold empty mount points.
 */
export function rootlessScript(o: { rootDir: string; overlayDir: string; hostname: string; workingDir: string; plan: RootlessPlan }): string {
  const R = shq(o.rootDir);
  const tops = o.plan.overlayTops;
  const lines = [
    "set -e",
    `R=${R}`,
    'mkdir -p "$R"',
    // Mounts below an overlaid top-level directory are not part of the overlay's lower layer:
    // list them now, before this script adds mounts of its own, and bind them back afterwards.
    `SUBMOUNTS=$(awk '{print $5}' /proc/self/mountinfo)`,
    "for e in /* /.[!.]*; do",
    '  [ -e "$e" ] || [ -L "$e" ] || continue',
    '  n="${e#/}"',
    `  case " ${tops.map((t) => t.replace(/[^A-Za-z0-9._-]/g, "")).join(" ")} " in *" $n "*) continue ;; esac`,
    '  if [ -L "$e" ]; then ln -sfn "$(readlink "$e")" "$R/$n"',
    '  elif [ -d "$e" ]; then mkdir -p "$R/$n"; mount --rbind "$e" "$R/$n" 2>/dev/null || true',
    '  elif [ -f "$e" ]; then [ -e "$R/$n" ] || : > "$R/$n"; mount --bind "$e" "$R/$n" 2>/dev/null || true',
    "  fi",
    "done",
  ];
  if (tops.length > 0) {
    lines.push(`W=${shq(o.overlayDir)}`, 'mkdir -p "$W"', 'mount -t tmpfs -o mode=0755 lk-overlay "$W"');
    for (const top of tops) {
      const t = shq(top);
      lines.push(
        `mkdir -p "$W"/${t}/upper "$W"/${t}/work "$R"/${t}`,
        `mount -t overlay lk-overlay -o "lowerdir=/"${t}",upperdir=$W/"${t}"/upper,workdir=$W/"${t}"/work" "$R"/${t} || { echo "localkube: cannot overlay /"${t}" to create mount points in it (overlayfs in a user namespace needs Linux 5.11+)" >&2; exit 1; }`,
        `printf '%s\\n' "$SUBMOUNTS" | while IFS= read -r m; do case "$m" in /${top.replace(/[^A-Za-z0-9._-]/g, "")}/*) [ -e "$R$m" ] && mount --rbind "$m" "$R$m" 2>/dev/null || true ;; esac; done`,
      );
    }
  }
  for (const m of o.plan.mounts) {
    const t = `"$R"${shq(m.canonical)}`;
    lines.push(m.isFile ? `mkdir -p "$(dirname ${t})"; [ -e ${t} ] || : > ${t}` : `mkdir -p ${t}`);
    lines.push(`mount --bind ${shq(m.source)} ${t}`);
    if (m.readOnly) lines.push(`mount -o remount,bind,ro ${t}`);
  }
  lines.push(
    `hostname ${shq(o.hostname)}`,
    `exec chroot "$R" /bin/sh -c 'cd "$1" || exit 1; shift; exec "$@"' lk-chroot ${shq(o.workingDir)} "$@"`,
  );
  return lines.join("\n");
}
