/**
 * REST paths for the kinds the operator touches. A fixed table instead of API discovery: the
 * operator only ever talks about these kinds, and RBAC in the chart lists the same ones.
 */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const table: ResourceType[] = [
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true },
  { apiVersion: "v1", kind: "Event", plural: "events", namespaced: true },
  { apiVersion: "apps/v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true },
  { apiVersion: "coordination.k8s.io/v1", kind: "Lease", plural: "leases", namespaced: true },
  { apiVersion: "sluice.dev/v1alpha1", kind: "MessageQueue", plural: "messagequeues", namespaced: true },
  { apiVersion: "cert-manager.io/v1", kind: "Certificate", plural: "certificates", namespaced: true },
  { apiVersion: "monitoring.coreos.com/v1", kind: "ServiceMonitor", plural: "servicemonitors", namespaced: true },
];

export function resourceType(apiVersion: string, kind: string): ResourceType {
  const t = table.find((r) => r.apiVersion === apiVersion && r.kind === kind);
  if (t === undefined) throw new Error(`operator does not manage ${apiVersion} ${kind}`);
  return t;
}

/** `/api/v1/namespaces/ns/pods/name` or `/apis/apps/v1/...`; name and subresource optional. */
export function resourcePath(t: ResourceType, namespace: string | undefined, name?: string, subresource?: string): string {
  const base = t.apiVersion.includes("/") ? `/apis/${t.apiVersion}` : `/api/${t.apiVersion}`;
  const ns = t.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const n = name !== undefined ? `/${encodeURIComponent(name)}` : "";
  const sub = subresource !== undefined ? `/${subresource}` : "";
  return `${base}${ns}/${t.plural}${n}${sub}`;
}
