/**
 * The "image registry" of the process kubelet: maps a container image to a local command
 * (ENTRYPOINT + CMD). Sluice images run this checkout's CLI; a few localkube/* test images run
 * scripts shipped in localkube/images/. Anything else fails the pod like a missing image would.
 */
import { join } from "node:path";

export interface ImageCommand {
  entrypoint: string[];
  cmd: string[];
  /** Environment the image would bake in (PATH etc.). */
  env: Record<string, string>;
  /** Names a pod's `command[0]` may use for the entrypoint binary (e.g. "sluice", "/usr/local/bin/sluice"). */
  entrypointNames: string[];
}

export type ImageResolution = { ok: true; image: ImageCommand } | { ok: false; reason: "ErrImagePull" | "InvalidImageName"; message: string };

const BASE_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };

/** `ghcr.io/org/name:tag@sha256:..` -> `ghcr.io/org/name` */
export function imageRepository(image: string): string {
  let s = image.trim();
  const at = s.indexOf("@");
  if (at >= 0) s = s.slice(0, at);
  const slash = s.lastIndexOf("/");
  const colon = s.lastIndexOf(":");
  if (colon > slash) s = s.slice(0, colon);
  return s;
}

export function resolveImage(image: string, root: string, nodePath: string): ImageResolution {
  const repo = imageRepository(image);
  if (repo === "" || /\s/.test(image)) return { ok: false, reason: "InvalidImageName", message: `invalid image name "${image}"` };
  const node = (script: string, names: string[]): ImageResolution => ({
    ok: true,
    image: { entrypoint: [nodePath, "--enable-source-maps", script], cmd: [], env: { ...BASE_ENV }, entrypointNames: names },
  });
  if (repo.toLowerCase().includes("sluice")) return node(join(root, "dist", "cli", "main.js"), ["sluice", "/usr/local/bin/sluice", "/sluice", "bin/sluice"]);
  switch (repo) {
    case "localkube/http-echo":
      return node(join(root, "localkube", "images", "http-echo.mjs"), ["http-echo"]);
    case "localkube/shell":
    case "busybox":
    case "docker.io/library/busybox":
      // Runs host commands (sh, sleep, cat ...) inside the pod's namespaces.
      return { ok: true, image: { entrypoint: [], cmd: ["/bin/sh"], env: { ...BASE_ENV }, entrypointNames: [] } };
    default:
      return {
        ok: false,
        reason: "ErrImagePull",
        message: `localkube: image "${image}" is not in the local image map (known: *sluice*, localkube/http-echo, localkube/shell, busybox)`,
      };
  }
}

/** Docker semantics: `command` replaces ENTRYPOINT (and drops CMD), `args` replaces CMD. */
export function containerArgv(img: ImageCommand, command: string[] | undefined, args: string[] | undefined): string[] {
  let entry = img.entrypoint;
  let cmd = img.cmd;
  if (command !== undefined && command.length > 0) {
    const [first, ...rest] = command;
    // A pod that names the image's own binary gets the mapped command for it.
    entry = first !== undefined && img.entrypointNames.includes(first) ? [...img.entrypoint, ...rest] : command;
    cmd = [];
  }
  if (args !== undefined) cmd = args;
  return [...entry, ...cmd];
}
