/**
 * StreamConfig as nats-server serialises it: defaults applied on create, validation errors
 * carrying nats-server's texts, and the update rules (what may not change).
 */
import { jsError, type JsApiError } from "../api/errors.js";
import { hasPathSeparator, isValidName } from "../names.js";
import { compileTransform, hasWildcard, isValidSubject, subjectsOverlap } from "../subjects.js";

export type RetentionPolicy = "limits" | "interest" | "workqueue";
export type StorageType = "file" | "memory";

export interface SubjectTransformConfig {
  src: string;
  dest: string;
}

export interface StreamSourceConfig {
  name: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  filter_subject?: string;
  subject_transforms?: SubjectTransformConfig[];
}

export interface RePublishConfig {
  src: string;
  dest: string;
  headers_only?: boolean;
}

export interface StreamConfig {
  name: string;
  description?: string;
  subjects?: string[];
  retention: RetentionPolicy;
  max_consumers: number;
  max_msgs: number;
  max_bytes: number;
  /** Nanoseconds; 0 = forever. */
  max_age: number;
  max_msgs_per_subject: number;
  max_msg_size: number;
  discard: "old" | "new";
  discard_new_per_subject?: boolean;
  storage: StorageType;
  num_replicas: number;
  /** Nanoseconds. */
  duplicate_window: number;
  no_ack?: boolean;
  compression: "none" | "s2";
  allow_direct: boolean;
  mirror_direct: boolean;
  sealed: boolean;
  deny_delete: boolean;
  deny_purge: boolean;
  allow_rollup_hdrs: boolean;
  allow_msg_ttl: boolean;
  consumer_limits: { inactive_threshold?: number; max_ack_pending?: number };
  first_seq?: number;
  subject_transform?: SubjectTransformConfig;
  republish?: RePublishConfig;
  mirror?: StreamSourceConfig;
  sources?: StreamSourceConfig[];
  metadata?: Record<string, string>;
  placement?: { cluster?: string; tags?: string[] };
  /** Sluice extension: deliver higher `Sluice-Priority` first. */
  sluice_priority?: boolean;
  /** Sluice extension: each this many ms of waiting raises a message's priority by one (starvation bound). */
  sluice_priority_aging_ms?: number;
}

export const defaultDuplicateWindowNs = 120_000_000_000;
const minDurationNs = 100_000_000;
export const descriptionBytesMax = 4096;
export const sluicePriorityAgingMsDefault = 10_000;

type Raw = Record<string, unknown>;

function num(raw: Raw, key: string, dflt: number): number | JsApiError {
  const v = raw[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v)) return jsError("stream_invalid_config", `${key} must be a number`);
  return v;
}

function bool(raw: Raw, key: string): boolean | JsApiError {
  const v = raw[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") return jsError("stream_invalid_config", `${key} must be a boolean`);
  return v;
}

function unlimited(n: number): number {
  return n === 0 ? -1 : n;
}

function sourceConfig(v: unknown, field: string): StreamSourceConfig | JsApiError {
  if (typeof v !== "object" || v === null) return jsError("stream_invalid_config", `${field} must be an object`);
  const s = v as Raw;
  if (!isValidName(s["name"])) return jsError(field === "mirror" ? "mirror_invalid_stream_name" : "stream_invalid_config", field === "mirror" ? undefined : "sourced stream name is invalid");
  const out: StreamSourceConfig = { name: s["name"] };
  if (typeof s["opt_start_seq"] === "number" && s["opt_start_seq"] > 0) out.opt_start_seq = s["opt_start_seq"];
  if (typeof s["opt_start_time"] === "string" && s["opt_start_time"] !== "" && !s["opt_start_time"].startsWith("0001-")) out.opt_start_time = s["opt_start_time"];
  if (typeof s["filter_subject"] === "string" && s["filter_subject"] !== "") out.filter_subject = s["filter_subject"];
  if (Array.isArray(s["subject_transforms"]) && s["subject_transforms"].length > 0) {
    out.subject_transforms = (s["subject_transforms"] as Raw[]).map((t) => ({ src: String(t["src"] ?? ""), dest: String(t["dest"] ?? "") }));
  }
  return out;
}

/** Parse and default a create/update request body into a full config, or a validation error. */
export function normalizeStreamConfig(raw: Raw): StreamConfig | JsApiError {
  const name = raw["name"];
  if (typeof name === "string" && hasPathSeparator(name)) return jsError("stream_name_path_separators");
  if (!isValidName(name)) return jsError("stream_invalid_config", "stream name is required and can not contain '.', '*', '>'");
  const fields: Record<string, number | JsApiError> = {
    max_consumers: num(raw, "max_consumers", 0),
    max_msgs: num(raw, "max_msgs", 0),
    max_bytes: num(raw, "max_bytes", 0),
    max_age: num(raw, "max_age", 0),
    max_msgs_per_subject: num(raw, "max_msgs_per_subject", 0),
    max_msg_size: num(raw, "max_msg_size", 0),
    num_replicas: num(raw, "num_replicas", 1),
    duplicate_window: num(raw, "duplicate_window", 0),
  };
  for (const v of Object.values(fields)) if (typeof v !== "number") return v;
  const n = fields as Record<string, number>;
  const bools: Record<string, boolean | JsApiError> = {};
  for (const k of ["no_ack", "allow_direct", "mirror_direct", "sealed", "deny_delete", "deny_purge", "allow_rollup_hdrs", "allow_msg_ttl", "discard_new_per_subject", "sluice_priority"]) {
    bools[k] = bool(raw, k);
    if (typeof bools[k] !== "boolean") return bools[k];
  }
  const b = bools as Record<string, boolean>;
  const retention = raw["retention"] ?? "limits";
  if (retention !== "limits" && retention !== "interest" && retention !== "workqueue") return jsError("stream_invalid_config", `invalid retention policy ${JSON.stringify(retention)}`);
  const discard = raw["discard"] ?? "old";
  if (discard !== "old" && discard !== "new") return jsError("stream_invalid_config", `invalid discard policy ${JSON.stringify(discard)}`);
  const storage = raw["storage"] ?? "file";
  if (storage !== "file" && storage !== "memory") return jsError("stream_invalid_config", `invalid storage type ${JSON.stringify(storage)}`);
  const compression = raw["compression"] ?? "none";
  if (compression !== "none" && compression !== "s2" && compression !== "") return jsError("stream_invalid_config", `invalid compression ${JSON.stringify(compression)}`);
  if (n["num_replicas"]! < 0) return jsError("replicas_negative");
  const replicas = n["num_replicas"] === 0 ? 1 : n["num_replicas"]!;
  if (replicas > 5) return jsError("stream_invalid_config", "replicas > 5 not supported");
  if (replicas > 1) return jsError("replicas_not_supported");
  const maxAge = n["max_age"]!;
  if (maxAge < 0) return jsError("stream_invalid_config", "max age needs to be >= 0");
  if (maxAge !== 0 && maxAge < minDurationNs) return jsError("stream_invalid_config", "max age needs to be >= 100ms");
  let dupWindow = n["duplicate_window"]!;
  if (dupWindow < 0) return jsError("stream_invalid_config", "duplicates window can not be negative");
  if (dupWindow === 0) dupWindow = maxAge !== 0 && maxAge < defaultDuplicateWindowNs ? maxAge : defaultDuplicateWindowNs;
  else if (dupWindow < minDurationNs) return jsError("stream_invalid_config", "duplicates window needs to be >= 100ms");
  else if (maxAge !== 0 && dupWindow > maxAge) return jsError("stream_invalid_config", "duplicates window can not be larger then max age");
  if (b["deny_purge"] && b["allow_rollup_hdrs"]) return jsError("stream_invalid_config", "roll-ups require the purge permission");
  if (b["discard_new_per_subject"] && (discard !== "new" || unlimited(n["max_msgs_per_subject"]!) <= 0)) {
    return jsError("stream_invalid_config", "discard new per subject requires discard new policy to be set and max msgs per subject > 0");
  }
  const description = raw["description"];
  if (description !== undefined && (typeof description !== "string" || Buffer.byteLength(description) > descriptionBytesMax)) {
    return jsError("stream_invalid_config", "stream description is too long, maximum allowed is 4096");
  }

  const cfg: StreamConfig = {
    name,
    retention,
    max_consumers: unlimited(n["max_consumers"]!),
    max_msgs: unlimited(n["max_msgs"]!),
    max_bytes: unlimited(n["max_bytes"]!),
    max_age: maxAge,
    max_msgs_per_subject: unlimited(n["max_msgs_per_subject"]!),
    max_msg_size: unlimited(n["max_msg_size"]!),
    discard,
    storage,
    num_replicas: replicas,
    duplicate_window: dupWindow,
    compression: compression === "s2" ? "s2" : "none",
    allow_direct: b["allow_direct"]!,
    mirror_direct: b["mirror_direct"]!,
    sealed: b["sealed"]!,
    deny_delete: b["deny_delete"]!,
    deny_purge: b["deny_purge"]!,
    allow_rollup_hdrs: b["allow_rollup_hdrs"]!,
    allow_msg_ttl: b["allow_msg_ttl"]!,
    consumer_limits: {},
  };
  if (typeof description === "string" && description !== "") cfg.description = description;
  if (b["no_ack"]) cfg.no_ack = true;
  if (b["discard_new_per_subject"]) cfg.discard_new_per_subject = true;
  if (b["sluice_priority"]) {
    cfg.sluice_priority = true;
    const aging = raw["sluice_priority_aging_ms"];
    if (aging !== undefined && (typeof aging !== "number" || aging < 0)) return jsError("stream_invalid_config", "sluice_priority_aging_ms must be a number >= 0");
    cfg.sluice_priority_aging_ms = typeof aging === "number" ? aging : sluicePriorityAgingMsDefault;
  }
  const cl = raw["consumer_limits"];
  if (typeof cl === "object" && cl !== null) {
    const c = cl as Raw;
    if (typeof c["inactive_threshold"] === "number" && c["inactive_threshold"] > 0) cfg.consumer_limits.inactive_threshold = c["inactive_threshold"];
    if (typeof c["max_ack_pending"] === "number" && c["max_ack_pending"] > 0) cfg.consumer_limits.max_ack_pending = c["max_ack_pending"];
  }
  if (typeof raw["first_seq"] === "number" && raw["first_seq"] > 0) cfg.first_seq = raw["first_seq"];
  const md = raw["metadata"];
  if (typeof md === "object" && md !== null && !Array.isArray(md)) {
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(md)) if (typeof v === "string") meta[k] = v;
    if (Object.keys(meta).length > 0) cfg.metadata = meta;
  }

  if (raw["mirror"] !== undefined && raw["mirror"] !== null) {
    const m = sourceConfig(raw["mirror"], "mirror");
    if ("body" in m) return m;
    if (m.opt_start_seq !== undefined && m.opt_start_time !== undefined) return jsError("mirror_with_start_seq_and_time");
    if (m.filter_subject !== undefined || m.subject_transforms !== undefined) return jsError("mirror_with_subject_filters");
    cfg.mirror = m;
    if (Array.isArray(raw["sources"]) && raw["sources"].length > 0) return jsError("mirror_with_sources");
    if (Array.isArray(raw["subjects"]) && raw["subjects"].length > 0) return jsError("mirror_with_subjects");
    if (cfg.first_seq !== undefined) return jsError("stream_invalid_config", "stream mirrors can not have first sequence configured");
  }
  if (Array.isArray(raw["sources"]) && raw["sources"].length > 0) {
    const sources: StreamSourceConfig[] = [];
    for (const s of raw["sources"]) {
      const sc = sourceConfig(s, "sources");
      if ("body" in sc) return sc;
      sources.push(sc);
    }
    cfg.sources = sources;
  }

  let subjects: string[] = [];
  const rawSubjects = raw["subjects"];
  if (rawSubjects !== undefined && rawSubjects !== null) {
    if (!Array.isArray(rawSubjects) || rawSubjects.some((s) => typeof s !== "string")) return jsError("stream_invalid_config", "subjects must be an array of strings");
    subjects = rawSubjects as string[];
  }
  if (subjects.length === 0 && cfg.mirror === undefined && cfg.sources === undefined) subjects = [name];
  for (const s of subjects) {
    if (!isValidSubject(s)) return jsError("stream_invalid_config", `invalid subject ${JSON.stringify(s)}`);
    if (!b["no_ack"] && subjectsOverlap(s, "$JS.API.>")) return jsError("stream_invalid_config", "subjects that overlap with jetstream api require no-ack to be true");
  }
  for (let i = 0; i < subjects.length; i++) {
    for (let j = i + 1; j < subjects.length; j++) {
      if (subjects[i] === subjects[j] || subjectsOverlap(subjects[i]!, subjects[j]!)) return jsError("stream_invalid_config", "duplicate subjects detected");
    }
  }
  if (subjects.length > 0) cfg.subjects = subjects;

  const st = raw["subject_transform"];
  if (typeof st === "object" && st !== null) {
    const t = st as Raw;
    const src = typeof t["src"] === "string" ? t["src"] : "";
    const dest = typeof t["dest"] === "string" ? t["dest"] : "";
    if (src !== "" || dest !== "") {
      if (src !== "" && !isValidSubject(src)) return jsError("stream_transform_invalid_source", `invalid subject ${JSON.stringify(src)}`);
      if (!isValidSubject(dest)) return jsError("stream_transform_invalid_destination", `invalid subject ${JSON.stringify(dest)}`);
      const compiled = compileTransform(src === "" ? ">" : src, dest);
      if (typeof compiled === "string") return jsError("stream_transform_invalid_destination", compiled);
      cfg.subject_transform = { src: src === "" ? ">" : src, dest };
    }
  }
  const rp = raw["republish"];
  if (typeof rp === "object" && rp !== null) {
    const r = rp as Raw;
    if (typeof r["dest"] === "string" && r["dest"] !== "") {
      const src = typeof r["src"] === "string" && r["src"] !== "" ? r["src"] : ">";
      if (!isValidSubject(src) || !isValidSubject(r["dest"])) return jsError("stream_invalid_config", "stream configuration for republish destination forms a cycle");
      cfg.republish = { src, dest: r["dest"] };
      if (r["headers_only"] === true) cfg.republish.headers_only = true;
    }
  }
  return cfg;
}

/** Why an update from `old` to `next` is not allowed, or undefined if it is. */
export function checkStreamUpdate(old: StreamConfig, next: StreamConfig): JsApiError | undefined {
  if (old.storage !== next.storage) return jsError("stream_update", "stream configuration update can not change storage type");
  if (old.retention !== next.retention) return jsError("stream_update", "stream configuration update can not change retention policy");
  if (old.num_replicas !== next.num_replicas) return jsError("stream_replicas_not_updatable");
  if (JSON.stringify(old.mirror) !== JSON.stringify(next.mirror)) return jsError("stream_mirror_not_updatable");
  if (old.sealed && !next.sealed) return jsError("stream_update", "stream configuration update can not unseal a sealed stream");
  if (old.deny_delete && !next.deny_delete) return jsError("stream_update", "stream configuration update can not cancel deny message deletes");
  if (old.deny_purge && !next.deny_purge) return jsError("stream_update", "stream configuration update can not cancel deny purge");
  if (Boolean(old.sluice_priority) !== Boolean(next.sluice_priority)) return jsError("stream_update", "stream configuration update can not change sluice_priority");
  return undefined;
}

/** Subjects of `cfg` that overlap any subject of `others`. */
export function overlapsAny(cfg: StreamConfig, others: Iterable<StreamConfig>): boolean {
  for (const o of others) {
    if (o.name === cfg.name) continue;
    for (const a of cfg.subjects ?? []) for (const b of o.subjects ?? []) if (subjectsOverlap(a, b)) return true;
  }
  return false;
}

export function subjectsHaveWildcards(cfg: StreamConfig): boolean {
  return (cfg.subjects ?? []).some(hasWildcard);
}
