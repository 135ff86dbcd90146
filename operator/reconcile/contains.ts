/**
 * Does the live object already hold every field we would apply? Used to skip no-op applies, so
 * a second reconcile of an unchanged MessageQueue writes nothing (and drift is still corrected:
 * a field someone changed no longer matches, and the next apply restores it).
 */
export function containsDesired(live: unknown, desired: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null || typeof desired !== "object") return live === desired || (typeof desired === "number" && String(desired) === live);
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => containsDesired(live[i], d));
  }
  if (live === null || typeof live !== "object" || Array.isArray(live)) return false;
  const l = live as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).every(([k, v]) => containsDesired(l[k], v));
}

/** Secrets are applied with base64 `data` (what the apiserver stores), so comparison works. */
export function toSecretData(obj: { stringData?: Record<string, string>; data?: Record<string, string> }): void {
  if (obj.stringData === undefined) return;
  obj.data = { ...(obj.data ?? {}) };
  for (const [k, v] of Object.entries(obj.stringData)) obj.data[k] = Buffer.from(v, "utf8").toString("base64");
  delete obj.stringData;
}
