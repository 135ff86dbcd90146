/**
 * Pod volumes as host directories: emptyDir, configMap, secret, downwardAPI and projected (incl.
 * the service-account token) are materialised under the pod's directory and refreshed
 * periodically; persistentVolumeClaim resolves to the bound PV's directory; hostPath is used as is.
 * Containers see them at their mountPath through bind mounts in the pod's mount namespace.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import type { V1ConfigMap, V1KeyToPath, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1Secret, V1Volume, V1DownwardAPIVolumeFile } from "@kubernetes/client-node";
import { fieldPathValue } from "./env.js";

export interface VolumeLookups {
  configMap: (namespace: string, name: string) => V1ConfigMap | undefined;
  secret: (namespace: string, name: string) => V1Secret | undefined;
  pvc: (namespace: string, name: string) => V1PersistentVolumeClaim | undefined;
  pv: (name: string) => V1PersistentVolume | undefined;
  /** TokenRequest for the pod's service account, bound to the pod. */
  token: (pod: V1Pod, audience: string | undefined, expirationSeconds: number) => Promise<string>;
  podIp: string;
  hostIp: string;
}

/** Thrown while a volume cannot be set up yet (claim unbound, configmap missing): retried. */
export class VolumeNotReady extends Error {}

type Files = Map<string, { data: Buffer; mode: number }>;

function safeRel(path: string): string {
  const n = normalize(path);
  if (n.startsWith("..") || n.startsWith("/") || n === ".") throw new Error(`volume item path "${path}" escapes the volume`);
  return n;
}

function keyFiles(data: Record<string, Buffer>, items: V1KeyToPath[] | undefined, mode: number, what: string, optional: boolean): Files {
  const out: Files = new Map();
  if (items && items.length > 0) {
    for (const it of items) {
      const d = data[it.key];
      if (d === undefined) {
        if (optional) continue;
        throw new VolumeNotReady(`${what}: key "${it.key}" not found`);
      }
      out.set(safeRel(it.path), { data: d, mode: it.mode ?? mode });
    }
  } else {
    for (const [k, d] of Object.entries(data)) out.set(safeRel(k), { data: d, mode });
  }
  return out;
}

function configMapData(cm: V1ConfigMap): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v, "utf8");
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, "base64");
  return out;
}

function secretData(s: V1Secret): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, "base64");
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = Buffer.from(v, "utf8");
  return out;
}

function downwardFiles(pod: V1Pod, items: V1DownwardAPIVolumeFile[], mode: number, lk: VolumeLookups): Files {
  const out: Files = new Map();
  for (const it of items) {
    let v = "";
    if (it.fieldRef) v = fieldPathValue(pod, it.fieldRef.fieldPath, lk);
    out.set(safeRel(it.path), { data: Buffer.from(v, "utf8"), mode: it.mode ?? mode });
  }
  return out;
}

async function volumeFiles(pod: V1Pod, v: V1Volume, lk: VolumeLookups): Promise<Files | undefined> {
  const ns = pod.metadata?.namespace ?? "default";
  if (v.configMap) {
    const cm = lk.configMap(ns, v.configMap.name ?? "");
    if (!cm) {
      if (v.configMap.optional === true) return new Map();
      throw new VolumeNotReady(`configmap "${v.configMap.name}" not found`);
    }
    return keyFiles(configMapData(cm), v.configMap.items, v.configMap.defaultMode ?? 0o644, `configmap ${v.configMap.name}`, v.configMap.optional === true);
  }
  if (v.secret) {
    const s = lk.secret(ns, v.secret.secretName ?? "");
    if (!s) {
      if (v.secret.optional === true) return new Map();
      throw new VolumeNotReady(`secret "${v.secret.secretName}" not found`);
    }
    return keyFiles(secretData(s), v.secret.items, v.secret.defaultMode ?? 0o644, `secret ${v.secret.secretName}`, v.secret.optional === true);
  }
  if (v.downwardAPI) return downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644, lk);
  if (v.projected) {
    const out: Files = new Map();
    const mode = v.projected.defaultMode ?? 0o644;
    for (const src of v.projected.sources ?? []) {
      let part: Files = new Map();
      if (src.configMap) {
        const cm = lk.configMap(ns, src.configMap.name ?? "");
        if (cm) part = keyFiles(configMapData(cm), src.configMap.items, mode, `configmap ${src.configMap.name}`, src.configMap.optional === true);
        else if (src.configMap.optional !== true) throw new VolumeNotReady(`configmap "${src.configMap.name}" not found`);
      } else if (src.secret) {
        const s = lk.secret(ns, src.secret.name ?? "");
        if (s) part = keyFiles(secretData(s), src.secret.items, mode, `secret ${src.secret.name}`, src.secret.optional === true);
        else if (src.secret.optional !== true) throw new VolumeNotReady(`secret "${src.secret.name}" not found`);
      } else if (src.downwardAPI) {
        part = downwardFiles(pod, src.downwardAPI.items ?? [], mode, lk);
      } else if (src.serviceAccountToken) {
        const t = src.serviceAccountToken;
        const token = await lk.token(pod, t.audience, t.expirationSeconds ?? 3607);
        part.set(safeRel(t.path), { data: Buffer.from(token, "utf8"), mode });
      }
      for (const [k, f] of part) out.set(k, f);
    }
    return out;
  }
  return undefined;
}

/** Write `files` into `dir` (atomic per file), removing files that are no longer projected. */
function syncDir(dir: string, files: Files): void {
  mkdirSync(dir, { recursive: true });
  const wanted = new Set<string>();
  for (const [rel, f] of files) {
    wanted.add(rel);
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    let same = false;
    try {
      same = readFileSync(path).equals(f.data) && (statSync(path).mode & 0o777) === f.mode;
    } catch {
      same = false;
    }
    if (same) continue;
    const tmp = `${path}.lk-tmp`;
    writeFileSync(tmp, f.data, { mode: f.mode });
    renameSync(tmp, path);
  }
  const walk = (d: string, prefix: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory()) walk(join(d, e.name), rel);
      else if (!wanted.has(rel)) rmSync(join(d, e.name), { force: true });
    }
  };
  walk(dir, "");
}

function pvPath(pv: V1PersistentVolume): string | undefined {
  return pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
}

/**
 * Resolve every volume to a host directory, creating/refreshing projected files. Returns name ->
 * host path. Throws VolumeNotReady while something must appear first (e.g. the claim binding).
 */
export async function prepareVolumes(pod: V1Pod, podDir: string, lk: VolumeLookups): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ns = pod.metadata?.namespace ?? "default";
  for (const v of pod.spec?.volumes ?? []) {
    const dir = join(podDir, "volumes", v.name);
    if (v.emptyDir) {
      mkdirSync(dir, { recursive: true });
      out.set(v.name, dir);
    } else if (v.persistentVolumeClaim) {
      const claim = lk.pvc(ns, v.persistentVolumeClaim.claimName);
      if (!claim) throw new VolumeNotReady(`persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" not found`);
      if (claim.status?.phase !== "Bound" || !claim.spec?.volumeName) throw new VolumeNotReady(`persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" is not bound`);
      const pv = lk.pv(claim.spec.volumeName);
      const path = pv ? pvPath(pv) : undefined;
      if (path === undefined) throw new VolumeNotReady(`persistentvolume "${claim.spec.volumeName}" has no hostPath/local path`);
      if (!existsSync(path)) throw new VolumeNotReady(`persistentvolume "${claim.spec.volumeName}": directory ${path} is missing`);
      out.set(v.name, path);
    } else if (v.hostPath) {
      const t = v.hostPath.type ?? "";
      if (t === "DirectoryOrCreate") mkdirSync(v.hostPath.path, { recursive: true });
      else if (t !== "" && t !== "FileOrCreate" && !existsSync(v.hostPath.path)) throw new VolumeNotReady(`hostPath ${v.hostPath.path} does not exist`);
      out.set(v.name, v.hostPath.path);
    } else {
      const files = await volumeFiles(pod, v, lk);
      if (files === undefined) throw new Error(`volume "${v.name}": unsupported volume type`);
      syncDir(dir, files);
      out.set(v.name, dir);
    }
  }
  return out;
}

/** Re-project configMap/secret/downwardAPI/projected volumes (kubelet refreshes them too). */
export async function refreshVolumes(pod: V1Pod, podDir: string, lk: VolumeLookups): Promise<void> {
  for (const v of pod.spec?.volumes ?? []) {
    if (v.emptyDir || v.persistentVolumeClaim || v.hostPath) continue;
    const files = await volumeFiles(pod, v, lk).catch(() => undefined);
    if (files !== undefined) syncDir(join(podDir, "volumes", v.name), files);
  }
}
