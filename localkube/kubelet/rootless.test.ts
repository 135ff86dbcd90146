import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalTarget, MountPathError, planRootless, rootlessScript, type FsProbe } from "./rootless.js";

/** A host filesystem as data: directories, files and symlinks (absolute targets). */
function fsOf(entries: Record<string, "dir" | "file" | { link: string }>): FsProbe {
  const resolve = (p: string): string => {
    const parts = p.split("/").filter((x) => x !== "");
    let cur = "";
    for (const part of parts) {
      cur = `${cur}/${part}`;
      const e = entries[cur];
      if (typeof e === "object") cur = resolve(e.link);
    }
    return cur === "" ? "/" : cur;
  };
  return {
    exists: (p) => p === "/" || entries[resolve(p)] !== undefined,
    realpath: resolve,
    isDirectory: (p) => p === "/" || entries[resolve(p)] === "dir",
  };
}

const HOST = fsOf({ "/etc": "dir", "/var": "dir", "/var/lib": "dir", "/run": "dir", "/var/run": { link: "/run" }, "/tmp": "dir", "/tmp/present": "dir", "/data": "dir", "/etc/hosts": "file" });

describe("rootless sandbox planning", () => {
  it("resolves symlinks in the existing part of a mount path, as the chroot will", () => {
    expect(canonicalTarget("/var/run/sluice", HOST)).toBe("/run/sluice");
    expect(canonicalTarget("/etc/sluice/", HOST)).toBe("/etc/sluice");
    expect(canonicalTarget("/new/a/b", HOST)).toBe("/new/a/b");
    expect(() => canonicalTarget("relative/x", HOST)).toThrow(MountPathError);
    expect(() => canonicalTarget("/etc/../x", HOST)).toThrow(/must not contain/);
  });

  it("overlays exactly the deepest existing directories in which a mount point must be created", () => {
    const plan = planRootless(
      [
        { source: "/s/cfg", target: "/etc/sluice", isFile: false, readOnly: true },
        { source: "/s/run", target: "/var/run/sluice", isFile: false, readOnly: false },
        { source: "/s/data", target: "/data", isFile: false, readOnly: false },
        { source: "/s/tmp", target: "/tmp/present", isFile: false, readOnly: false },
        { source: "/s/new", target: "/opt-new/x", isFile: false, readOnly: false },
        { source: "/s/lib", target: "/var/lib/app/a/b", isFile: false, readOnly: false },
        { source: "/s/etc2", target: "/etc/other", isFile: false, readOnly: false },
      ],
      HOST,
    );
    expect(plan.mirrors).toEqual(["/etc", "/run", "/var/lib"]);
    expect(plan.mounts.map((m) => m.canonical)).toEqual(["/etc/sluice", "/run/sluice", "/data", "/tmp/present", "/opt-new/x", "/var/lib/app/a/b", "/etc/other"]);
    expect(() => planRootless([{ source: "/s", target: "/etc/hosts/x", isFile: false, readOnly: false }], HOST)).toThrow(/not a directory/);
    expect(() => planRootless([{ source: "/s", target: "/", isFile: false, readOnly: false }], HOST)).toThrow(/resolves to "\/"/);
  });

  it("renders the script: mirror / and the planned directories, bind (read-only when asked), hostname, chroot", () => {
    const plan = planRootless([{ source: "/s/it's", target: "/etc/sluice", isFile: false, readOnly: true }], HOST);
    const script = rootlessScript({ rootDir: "/st/root", hostname: "web-0", workingDir: "/", plan });
    expect(script).toContain("R='/st/root'");
    expect(script).toContain(`mirror "" "$R"\nmirror '/etc' "$R"'/etc'\n`);
    expect(script).toContain(`mount --bind '/s/it'\\''s' "$R"'/etc/sluice'`);
    expect(script).toContain(`mount -o remount,bind,ro "$R"'/etc/sluice'`);
    expect(script).toContain("hostname 'web-0'");
    expect(script.endsWith(`exec chroot "$R" /bin/sh -c 'cd "$1" || exit 1; PATH="$2"; shift 2; exec "$@"' lk-chroot '/' "$LK_PATH" "$@"`)).toBe(true);
    // Without mount points to create, only the root is mirrored.
    expect(rootlessScript({ rootDir: "/r", hostname: "h", workingDir: "/", plan: planRootless([], HOST) }).match(/^mirror /gm)).toHaveLength(1);
  });
});

function usernsReason(): string | undefined {
  try {
    execFileSync("unshare", ["--user", "--map-root-user", "--mount", "--uts", "--", "true"], { stdio: "pipe", timeout: 10_000 });
    return undefined;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
}
const noUserns = usernsReason();
if (noUserns !== undefined) process.stderr.write(`skipping the real rootless sandbox run: unprivileged user namespaces unavailable (${noUserns})\n`);

describe.skipIf(noUserns !== undefined)("rootless sandbox (real user namespace)", () => {
  const dir = mkdtempSync(join(tmpdir(), "lk-rootless-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("shows a volume at a mount path that does not exist on the host, with the pod's hostname, without writing the host", async () => {
    const vol = join(dir, "vol");
    mkdirSync(vol);
    writeFileSync(join(vol, "app.conf"), "level=debug\n");
    const target = `/etc/localkube-rootless-test-${process.pid}`;
    expect(existsSync(target)).toBe(false);
    const hostFs: FsProbe = { exists: existsSync, realpath: realpathSync, isDirectory: (p) => existsSync(p) && statSync(p).isDirectory() };
    const plan = planRootless([{ source: vol, target, isFile: false, readOnly: true }], hostFs);
    const script = rootlessScript({ rootDir: join(dir, "root"), hostname: "rootless-0", workingDir: "/tmp", plan });
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        "unshare",
        ["--user", "--map-root-user", "--mount", "--uts", "--", "/bin/sh", "-c", script, "lk-init", "/bin/sh", "-c", `cat ${target}/app.conf; hostname; pwd; touch ${target}/x 2>/dev/null && echo writable || echo read-only; echo "$PATH"`],
        // A container PATH without the system directories must not break the sandbox's tools.
        { timeout: 20_000, env: { PATH: "/opt/app/bin:/bin" } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out.split("\n")).toEqual(["level=debug", "rootless-0", "/tmp", "read-only", "/opt/app/bin:/bin", ""]);
    expect(existsSync(target)).toBe(false);
    expect(readFileSync(join(vol, "app.conf"), "utf8")).toBe("level=debug\n");
  });
});
