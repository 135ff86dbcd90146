/**
 * ConsumerConfig as nats-server serialises it: defaults, validation with nats-server's error
 * codes, and which fields an update may change.
 */
import { jsError, type JsApiError } from "../api/errors.js";
import { hasPathSeparator, isValidName } from "../names.js";
import { hasWildcard, isValidSubject, subjectsOverlap } from "../subjects.js";
import type { StreamConfig } from "../stream/config.js";

export type DeliverPolicy = "all" | "last" | "new" | "by_start_sequence" | "by_start_time" | "last_per_subject";
export type AckPolicy = "none" | "all" | "explicit";

export interface ConsumerConfig {
  name?: string;
  durable_name?: string;
  description?: string;
  deliver_policy: DeliverPolicy;
  opt_start_seq?: number;
  opt_start_time?: string;
  ack_policy: AckPolicy;
  /** Nanoseconds. */
  ack_wait: number;
  max_deliver: number;
  /** Nanoseconds per redelivery. */
  backoff?: number[];
  filter_subject?: string;
  filter_subjects?: string[];
  replay_policy: "instant" | "original";
  rate_limit_bps?: number;
  sample_freq?: string;
  max_waiting?: number;
  max_ack_pending: number;
  headers_only?: boolean;
  max_batch?: number;
  /** Nanoseconds. */
  max_expires?: number;
  max_bytes?: number;
  /** Nanoseconds. */
  inactive_threshold?: number;
  num_replicas: number;
  mem_storage?: boolean;
  deliver_subject?: string;
  deliver_group?: string;
  flow_control?: boolean;
  /** Nanoseconds. */
  idle_heartbeat?: number;
  metadata?: Record<string, string>;
  /** Sluice extension: republish a message here once when it reaches max_deliver or gets +TERM. */
  sluice_dead_letter_subject?: string;
}

export const defaultAckWaitNs = 30_000_000_000;
export const defaultMaxAckPending = 1000;
export const defaultMaxWaiting = 512;
export const defaultEphemeralInactiveNs = 5_000_000_000;
const minHeartbeatNs = 100_000_000;

type Raw = Record<string, unknown>;

function optNum(raw: Raw, key: string): number | undefined | JsApiError {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) return jsError("consumer_create", `${key} must be a number`);
  return v;
}

/** Normalise a consumer config from a create request (defaults as nats-server applies them). */
export function normalizeConsumerConfig(raw: Raw, stream: StreamConfig, ephemeral: boolean): ConsumerConfig | JsApiError {
  const nums: Record<string, number | undefined> = {};
  for (const k of ["opt_start_seq", "ack_wait", "max_deliver", "rate_limit_bps", "max_waiting", "max_ack_pending", "max_batch", "max_expires", "max_bytes", "inactive_threshold", "num_replicas", "idle_heartbeat"]) {
    const v = optNum(raw, k);
    if (v !== undefined && typeof v !== "number") return v;
    nums[k] = v;
  }
  const str = (k: string): string | undefined => (typeof raw[k] === "string" && raw[k] !== "" ? raw[k] : undefined);
  const durable = str("durable_name");
  const name = str("name");
  if (durable !== undefined && name !== undefined && durable !== name) return jsError("consumer_durable_and_name_mismatch");
  for (const n of [durable, name]) {
    if (n === undefined) continue;
    if (hasPathSeparator(n)) return jsError("consumer_name_path_separators");
    if (!isValidName(n)) return jsError("consumer_bad_durable_name");
  }
  const deliverPolicy = (raw["deliver_policy"] ?? "all") as DeliverPolicy;
  if (!["all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"].includes(deliverPolicy)) {
    return jsError("consumer_invalid_policy", `deliver policy ${JSON.stringify(raw["deliver_policy"])} is not valid`);
  }
  const ackPolicy = (raw["ack_policy"] ?? "none") as AckPolicy;
  if (!["none", "all", "explicit"].includes(ackPolicy)) return jsError("consumer_ack_policy_invalid");
  const replay = raw["replay_policy"] ?? "instant";
  if (replay !== "instant" && replay !== "original") return jsError("consumer_replay_policy_invalid");
  const deliverSubject = str("deliver_subject");
  const push = deliverSubject !== undefined;
  const cfg: ConsumerConfig = {
    deliver_policy: deliverPolicy,
    ack_policy: ackPolicy,
    ack_wait: nums["ack_wait"] ?? 0,
    max_deliver: nums["max_deliver"] ?? -1,
    replay_policy: replay,
    max_ack_pending: nums["max_ack_pending"] ?? 0,
    num_replicas: nums["num_replicas"] ?? 0,
  };
  if (durable !== undefined) cfg.durable_name = durable;
  cfg.name = name ?? durable ?? "";
  const description = str("description");
  if (description !== undefined) {
    if (Buffer.byteLength(description) > 4096) return jsError("consumer_description_too_long", 4096);
    cfg.description = description;
  }
  if (cfg.ack_wait < 0) return jsError("consumer_ack_wait_negative");
  if (cfg.max_deliver === 0) cfg.max_deliver = -1;
  if (Array.isArray(raw["backoff"]) && raw["backoff"].length > 0) {
    const backoff = raw["backoff"] as unknown[];
    if (backoff.some((b) => typeof b !== "number" || b <= 0)) return jsError("consumer_backoff_negative");
    cfg.backoff = backoff as number[];
    if (cfg.max_deliver !== -1 && cfg.max_deliver <= backoff.length) return jsError("consumer_max_deliver_backoff");
    if (cfg.ack_wait === 0) cfg.ack_wait = backoff[0] as number;
  }
  if (cfg.ack_wait === 0) cfg.ack_wait = defaultAckWaitNs;

  // Start position.
  if (deliverPolicy === "by_start_sequence") {
    if (nums["opt_start_seq"] === undefined || nums["opt_start_seq"] <= 0) return jsError("consumer_invalid_policy", "consumer deliver policy by start sequence requires opt_start_seq");
    cfg.opt_start_seq = nums["opt_start_seq"];
  } else if (nums["opt_start_seq"] !== undefined && nums["opt_start_seq"] > 0) {
    return jsError("consumer_invalid_policy", "consumer opt_start_seq requires deliver policy by start sequence");
  }
  const startTime = str("opt_start_time");
  if (deliverPolicy === "by_start_time") {
    if (startTime === undefined || Number.isNaN(Date.parse(startTime))) return jsError("consumer_invalid_policy", "consumer deliver policy by start time requires opt_start_time");
    cfg.opt_start_time = startTime;
  } else if (startTime !== undefined && !startTime.startsWith("0001-")) {
    return jsError("consumer_invalid_policy", "consumer opt_start_time requires deliver policy by start time");
  }

  // Filters.
  const filter = str("filter_subject");
  const filtersRaw = raw["filter_subjects"];
  const filters = Array.isArray(filtersRaw) ? filtersRaw : [];
  if (filter !== undefined && filters.length > 0) return jsError("consumer_duplicate_filter_subjects");
  for (const f of filters) if (typeof f !== "string" || f === "") return jsError("consumer_empty_filter");
  const all = filter !== undefined ? [filter] : (filters as string[]);
  for (let i = 0; i < all.length; i++) {
    if (!isValidSubject(all[i]!)) return jsError("consumer_create", `consumer filter subject is not a valid subject`);
    for (let j = i + 1; j < all.length; j++) if (subjectsOverlap(all[i]!, all[j]!)) return jsError("consumer_overlapping_filters");
  }
  if (filter !== undefined) cfg.filter_subject = filter;
  if (filters.length === 1) cfg.filter_subject = filters[0] as string;
  else if (filters.length > 1) cfg.filter_subjects = filters as string[];

  // Delivery mode.
  if (push) {
    if (hasWildcard(deliverSubject)) return jsError("consumer_deliver_to_wildcards");
    if (!isValidSubject(deliverSubject, false)) return jsError("consumer_invalid_deliver_subject");
    if (nums["max_waiting"] !== undefined && nums["max_waiting"] !== 0) return jsError("consumer_push_max_waiting");
    cfg.deliver_subject = deliverSubject;
    const group = str("deliver_group");
    if (group !== undefined) cfg.deliver_group = group;
    if (raw["flow_control"] === true) cfg.flow_control = true;
    const hb = nums["idle_heartbeat"];
    if (hb !== undefined && hb > 0) {
      if (hb < minHeartbeatNs) return jsError("consumer_small_heartbeat");
      cfg.idle_heartbeat = hb;
    }
    if (cfg.flow_control === true && cfg.idle_heartbeat === undefined) return jsError("consumer_fc_needs_heartbeats");
  } else {
    if (raw["flow_control"] === true) return jsError("consumer_fc_requires_push");
    if (nums["idle_heartbeat"] !== undefined && nums["idle_heartbeat"] !== 0) return jsError("consumer_hb_requires_push");
    const mw = nums["max_waiting"] ?? 0;
    if (mw < 0) return jsError("consumer_max_waiting_negative");
    cfg.max_waiting = mw === 0 ? defaultMaxWaiting : mw;
    if (nums["max_batch"] !== undefined) {
      if (nums["max_batch"] < 0) return jsError("consumer_max_request_batch_negative");
      if (nums["max_batch"] > 0) cfg.max_batch = nums["max_batch"];
    }
    if (nums["max_expires"] !== undefined && nums["max_expires"] !== 0) {
      if (nums["max_expires"] < 1_000_000) return jsError("consumer_max_request_expires_too_small");
      cfg.max_expires = nums["max_expires"];
    }
    if (nums["max_bytes"] !== undefined && nums["max_bytes"] > 0) cfg.max_bytes = nums["max_bytes"];
  }

  if (cfg.ack_policy === "none") {
    if (cfg.max_ack_pending > 0) cfg.max_ack_pending = -1;
    else cfg.max_ack_pending = -1;
  } else if (cfg.max_ack_pending === 0) {
    cfg.max_ack_pending = stream.consumer_limits.max_ack_pending ?? defaultMaxAckPending;
  }
  const inactive = nums["inactive_threshold"];
  if (inactive !== undefined && inactive < 0) return jsError("consumer_create", "consumer inactive threshold can not be negative");
  if (inactive !== undefined && inactive > 0) cfg.inactive_threshold = inactive;
  else if (ephemeral) cfg.inactive_threshold = stream.consumer_limits.inactive_threshold ?? defaultEphemeralInactiveNs;
  if (raw["headers_only"] === true) cfg.headers_only = true;
  if (raw["mem_storage"] === true) cfg.mem_storage = true;
  if (cfg.num_replicas < 0) return jsError("replicas_negative");
  if (cfg.num_replicas > 1) return jsError("replicas_not_supported");
  const sf = str("sample_freq");
  if (sf !== undefined) cfg.sample_freq = sf;
  if (nums["rate_limit_bps"] !== undefined && nums["rate_limit_bps"] > 0) {
    if (!push) return jsError("consumer_create", "consumer in pull mode can not have rate limit set");
    cfg.rate_limit_bps = nums["rate_limit_bps"];
  }
  const md = raw["metadata"];
  if (typeof md === "object" && md !== null && !Array.isArray(md)) {
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(md)) if (typeof v === "string") meta[k] = v;
    if (Object.keys(meta).length > 0) cfg.metadata = meta;
  }
  const dl = str("sluice_dead_letter_subject");
  if (dl !== undefined) {
    if (!isValidSubject(dl, false)) return jsError("consumer_create", "sluice_dead_letter_subject must be a literal subject");
    cfg.sluice_dead_letter_subject = dl;
  }

  // Stream-dependent rules.
  if (stream.retention === "workqueue") {
    if (cfg.ack_policy !== "explicit") return jsError("consumer_wq_requires_explicit_ack");
    if (cfg.deliver_policy !== "all") return jsError("consumer_wq_not_deliver_all");
  }
  return cfg;
}

export function consumerFilters(cfg: ConsumerConfig): string[] {
  if (cfg.filter_subjects !== undefined) return cfg.filter_subjects;
  if (cfg.filter_subject !== undefined) return [cfg.filter_subject];
  return [];
}

/** Fields an update may not change, with nats-server's wording. */
export function checkConsumerUpdate(old: ConsumerConfig, next: ConsumerConfig): JsApiError | undefined {
  if (old.deliver_policy !== next.deliver_policy) return jsError("consumer_create", "deliver policy can not be updated");
  if (old.opt_start_seq !== next.opt_start_seq) return jsError("consumer_create", "start sequence can not be updated");
  if (old.opt_start_time !== next.opt_start_time) return jsError("consumer_create", "start time can not be updated");
  if (old.ack_policy !== next.ack_policy) return jsError("consumer_create", "ack policy can not be updated");
  if (old.replay_policy !== next.replay_policy) return jsError("consumer_create", "replay policy can not be updated");
  if ((old.deliver_subject === undefined) !== (next.deliver_subject === undefined)) {
    return jsError("consumer_create", old.deliver_subject === undefined ? "can not update pull consumer to push based" : "can not update push consumer to pull based");
  }
  if (old.mem_storage !== next.mem_storage) return jsError("consumer_create", "can not update consumer storage type");
  return undefined;
}

/** Stable comparison of two configs (key order independent). */
export function sameConsumerConfig(a: ConsumerConfig, b: ConsumerConfig): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}
export { canonical as canonicalJson };
