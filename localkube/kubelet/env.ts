/**
 * Container environment as the kubelet builds it: service-host variables, `envFrom`, `env` with
 * literal values, downward-API field/resource refs and ConfigMap/Secret key refs, `$(VAR)`
 * expansion (in env values, command and args).
 */
import type { V1Container, V1Pod, V1ConfigMap, V1Secret } from "@kubernetes/client-node";

export interface EnvLookups {
  configMap: (namespace: string, name: string) => V1ConfigMap | undefined;
  secret: (namespace: string, name: string) => V1Secret | undefined;
  podIp: string;
  hostIp: string;
  kubernetesServiceHost: string;
  kubernetesServicePort: number;
}

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CreateContainerConfigError";
  }
}

/** $(VAR) -> value; $$(VAR) -> literal $(VAR); unknown references stay as written (kubelet rule). */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === "$$") return "$";
    return name !== undefined && Object.prototype.hasOwnProperty.call(env, name) ? (env[name] ?? "") : m;
  });
}

function decodeSecret(s: V1Secret, key: string): string | undefined {
  const v = s.data?.[key];
  if (v !== undefined) return Buffer.from(v, "base64").toString("utf8");
  return s.stringData?.[key];
}

export function fieldPathValue(pod: V1Pod, path: string, lk: Pick<EnvLookups, "podIp" | "hostIp">): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2] ?? ""] ?? "";
  switch (path) {
    case "metadata.name":
      return pod.metadata?.name ?? "";
    case "metadata.namespace":
      return pod.metadata?.namespace ?? "";
    case "metadata.uid":
      return pod.metadata?.uid ?? "";
    case "metadata.labels":
      return Object.entries(pod.metadata?.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join("\n");
    case "metadata.annotations":
      return Object.entries(pod.metadata?.annotations ?? {}).map(([k, v]) => `${k}="${v}"`).join("\n");
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "default";
    case "status.podIP":
    case "status.podIPs":
      return lk.podIp;
    case "status.hostIP":
    case "status.hostIPs":
      return lk.hostIp;
    default:
      throw new EnvError(`unsupported fieldRef fieldPath "${path}"`);
  }
}

const CPU_RE = /^(\d+(?:\.\d+)?)(m?)$/;
const MEM_SUFFIX: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

export function quantity(q: string): number {
  const c = CPU_RE.exec(q);
  if (c) return Number(c[1]) / (c[2] === "m" ? 1000 : 1);
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  if (!m) throw new EnvError(`cannot parse quantity "${q}"`);
  return Number(m[1]) * (MEM_SUFFIX[m[2] ?? ""] ?? 1);
}

function resourceValue(container: V1Container, resource: string, divisor: string | undefined): string {
  const [kind, name] = resource.split(".");
  const table = kind === "limits" ? container.resources?.limits : container.resources?.requests;
  // Without a limit the kubelet reports node allocatable; we report the node's nominal capacity.
  const fallback: Record<string, string> = { cpu: "8", memory: "16Gi", "ephemeral-storage": "100Gi" };
  const raw = table?.[name ?? ""] ?? fallback[name ?? ""];
  if (raw === undefined) throw new EnvError(`unsupported resourceFieldRef "${resource}"`);
  const d = quantity(divisor ?? "1");
  return String(Math.ceil(quantity(String(raw)) / (d === 0 ? 1 : d)));
}

export function buildEnv(pod: V1Pod, container: V1Container, imageEnv: Record<string, string>, lk: EnvLookups): Record<string, string> {
  const ns = pod.metadata?.namespace ?? "default";
  const env: Record<string, string> = {
    ...imageEnv,
    HOSTNAME: pod.spec?.hostname ?? pod.metadata?.name ?? "",
    KUBERNETES_SERVICE_HOST: lk.kubernetesServiceHost,
    KUBERNETES_SERVICE_PORT: String(lk.kubernetesServicePort),
    KUBERNETES_SERVICE_PORT_HTTPS: String(lk.kubernetesServicePort),
    KUBERNETES_PORT: `tcp://${lk.kubernetesServiceHost}:${lk.kubernetesServicePort}`,
  };
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    if (from.configMapRef) {
      const cm = lk.configMap(ns, from.configMapRef.name ?? "");
      if (!cm) {
        if (from.configMapRef.optional === true) continue;
        throw new EnvError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) env[prefix + k] = v;
    }
    if (from.secretRef) {
      const s = lk.secret(ns, from.secretRef.name ?? "");
      if (!s) {
        if (from.secretRef.optional === true) continue;
        throw new EnvError(`secret "${from.secretRef.name}" not found`);
      }
      for (const k of Object.keys({ ...(s.data ?? {}), ...(s.stringData ?? {}) })) env[prefix + k] = decodeSecret(s, k) ?? "";
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = expandVars(e.value, env);
      continue;
    }
    const vf = e.valueFrom;
    if (!vf) {
      env[e.name] = "";
      continue;
    }
    if (vf.fieldRef) env[e.name] = fieldPathValue(pod, vf.fieldRef.fieldPath, lk);
    else if (vf.resourceFieldRef) env[e.name] = resourceValue(container, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor as string | undefined);
    else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const v = lk.configMap(ns, ref.name ?? "")?.data?.[ref.key];
      if (v === undefined) {
        if (ref.optional === true) continue;
        throw new EnvError(`configmap "${ref.name}" key "${ref.key}" not found`);
      }
      env[e.name] = v;
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = lk.secret(ns, ref.name ?? "");
      const v = s ? decodeSecret(s, ref.key) : undefined;
      if (v === undefined) {
        if (ref.optional === true) continue;
        throw new EnvError(`secret "${ref.name}" key "${ref.key}" not found`);
      }
      env[e.name] = v;
    }
  }
  return env;
}
