/**
 * JetStream API errors: exact `code`, `err_code` and `description` values from nats-server's
 * `server/errors.json`, since clients key off `err_code` (and sometimes the text).
 * Templated descriptions take their parameter via `jsError(kind, text)`.
 */

export interface ApiErrorBody {
  code: number;
  err_code: number;
  description: string;
}

const table = {
  bad_request: [400, 10003, "bad request"],
  cluster_unavailable: [503, 10008, "JetStream system temporarily unavailable"],
  consumer_create: [500, 10012, "{err}"],
  consumer_name_exists: [400, 10013, "consumer name already in use"],
  consumer_not_found: [404, 10014, "consumer not found"],
  consumer_durable_name_not_in_subject: [400, 10016, "consumer expected to be durable but no durable name set in subject"],
  consumer_durable_mismatch: [400, 10017, "consumer name in subject does not match durable name in request"],
  consumer_durable_not_set: [400, 10018, "consumer expected to be durable but a durable name was not set"],
  consumer_ephemeral_with_durable: [400, 10020, "consumer expected to be ephemeral but a durable name was set in request"],
  insufficient_resources: [503, 10023, "insufficient resources"],
  invalid_json: [400, 10025, "invalid JSON: {err}"],
  max_consumers: [400, 10026, "maximum consumers limit reached"],
  max_streams: [400, 10027, "maximum number of streams reached"],
  memory_resources: [500, 10028, "insufficient memory resources available"],
  mirror_with_sources: [400, 10031, "stream mirrors can not also contain other sources"],
  mirror_with_start_seq_and_time: [400, 10032, "stream mirrors can not have both start seq and start time configured"],
  mirror_with_subject_filters: [400, 10033, "stream mirrors can not contain filtered subjects"],
  mirror_with_subjects: [400, 10034, "stream mirrors can not contain subjects"],
  no_message_found: [404, 10037, "no message found"],
  not_empty_request: [400, 10038, "expected an empty request payload"],
  not_enabled_for_account: [503, 10039, "JetStream not enabled for account"],
  sequence_not_found: [400, 10043, "sequence {seq} not found"],
  storage_resources: [500, 10047, "insufficient storage resources available"],
  stream_create: [500, 10049, "{err}"],
  stream_delete: [500, 10050, "{err}"],
  stream_general: [500, 10051, "{err}"],
  stream_invalid_config: [500, 10052, "{err}"],
  stream_message_too_large: [400, 10054, "message size exceeds maximum allowed"],
  stream_mirror_not_updatable: [400, 10055, "stream mirror configuration can not be updated"],
  stream_name_mismatch: [400, 10056, "stream name in subject does not match request"],
  stream_msg_delete_failed: [500, 10057, "{err}"],
  stream_name_exists: [400, 10058, "stream name already in use with a different configuration"],
  stream_not_found: [404, 10059, "stream not found"],
  expected_stream_mismatch: [400, 10060, "expected stream does not match"],
  stream_replicas_not_updatable: [400, 10061, "Replicas configuration can not be updated"],
  stream_subject_overlap: [400, 10065, "subjects overlap with an existing stream"],
  stream_update: [500, 10069, "{err}"],
  wrong_last_msg_id: [400, 10070, "wrong last msg ID: {id}"],
  wrong_last_sequence: [400, 10071, "wrong last sequence: {seq}"],
  replicas_not_supported: [500, 10074, "replicas > 1 not supported in non-clustered mode"],
  not_enabled: [503, 10076, "JetStream not enabled"],
  stream_store_failed: [503, 10077, "{err}"],
  consumer_config_required: [400, 10078, "consumer config required"],
  consumer_deliver_to_wildcards: [400, 10079, "consumer deliver subject has wildcards"],
  consumer_push_max_waiting: [400, 10080, "consumer in push mode can not set max waiting"],
  consumer_deliver_cycle: [400, 10081, "consumer deliver subject forms a cycle"],
  consumer_max_pending_ack_policy_required: [400, 10082, "consumer requires ack policy for max ack pending"],
  consumer_small_heartbeat: [400, 10083, "consumer idle heartbeat needs to be >= 100ms"],
  consumer_max_waiting_negative: [400, 10087, "consumer max waiting needs to be positive"],
  consumer_hb_requires_push: [400, 10088, "consumer idle heartbeat requires a push based consumer"],
  consumer_fc_requires_push: [400, 10089, "consumer flow control requires a push based consumer"],
  consumer_filter_not_subset: [400, 10093, "consumer filter subject is not a valid subset of the interest subjects"],
  consumer_invalid_policy: [400, 10094, "{err}"],
  header_too_large: [400, 10097, "header size exceeds maximum allowed of 64k"],
  consumer_wq_requires_explicit_ack: [400, 10098, "workqueue stream requires explicit ack"],
  consumer_wq_multiple_unfiltered: [400, 10099, "multiple non-filtered consumers not allowed on workqueue stream"],
  consumer_wq_not_unique: [400, 10100, "filtered consumer not unique on workqueue stream"],
  consumer_wq_not_deliver_all: [400, 10101, "consumer must be deliver all on workqueue stream"],
  consumer_name_too_long: [400, 10102, "consumer name is too long, maximum allowed is {max}"],
  consumer_bad_durable_name: [400, 10103, "durable name can not contain '.', '*', '>'"],
  consumer_existing_active: [400, 10105, "consumer already exists and is still active"],
  consumer_description_too_long: [400, 10107, "consumer description is too long, maximum allowed is {max}"],
  consumer_fc_needs_heartbeats: [400, 10108, "consumer with flow control also needs heartbeats"],
  stream_sealed: [400, 10109, "invalid operation on sealed stream"],
  stream_purge_failed: [500, 10110, "{err}"],
  stream_rollup_failed: [500, 10111, "{err}"],
  consumer_invalid_deliver_subject: [400, 10112, "invalid push consumer deliver subject"],
  consumer_max_request_batch_negative: [400, 10114, "consumer max request batch needs to be > 0"],
  consumer_max_request_expires_too_small: [400, 10115, "consumer max request expires needs to be >= 1ms"],
  consumer_max_deliver_backoff: [400, 10116, "max deliver is required to be > length of backoff values"],
  consumer_name_path_separators: [400, 10127, "Consumer name can not contain path separators"],
  stream_name_path_separators: [400, 10128, "Stream name can not contain path separators"],
  consumer_filter_mismatch: [400, 10131, "Consumer create request did not match filtered subject from create subject"],
  consumer_durable_and_name_mismatch: [400, 10132, "Consumer Durable and Name have to be equal if both are provided"],
  replicas_negative: [400, 10133, "replicas count cannot be negative"],
  consumer_duplicate_filter_subjects: [400, 10136, "consumer cannot have both FilterSubject and FilterSubjects specified"],
  consumer_multiple_filters_not_allowed: [400, 10137, "consumer with multiple subject filters cannot use subject based API"],
  consumer_overlapping_filters: [400, 10138, "consumer subject filters cannot overlap"],
  consumer_empty_filter: [400, 10139, "consumer filter in FilterSubjects cannot be empty"],
  mirror_invalid_stream_name: [400, 10142, "mirrored stream name is invalid"],
  consumer_already_exists: [400, 10148, "consumer already exists"],
  consumer_does_not_exist: [400, 10149, "consumer does not exist"],
  stream_transform_invalid_source: [400, 10155, "stream transform source: {err}"],
  stream_transform_invalid_destination: [400, 10156, "stream transform: {err}"],
  pedantic: [400, 10157, "pedantic mode: {err}"],
  duplicate_in_process: [409, 10158, "duplicate message id is in process"],
  wrong_last_sequence_constant: [400, 10164, "wrong last sequence"],
  msg_ttl_invalid: [400, 10165, "invalid per-message TTL"],
  msg_ttl_disabled: [400, 10166, "per-message TTL is disabled"],
  consumer_ack_policy_invalid: [400, 10181, "consumer ack policy invalid"],
  consumer_replay_policy_invalid: [400, 10182, "consumer replay policy invalid"],
  consumer_ack_wait_negative: [400, 10183, "consumer ack wait needs to be positive"],
  consumer_backoff_negative: [400, 10184, "consumer backoff needs to be positive"],
  required_api_level: [412, 10185, "JetStream minimum api level required"],
} as const satisfies Record<string, readonly [number, number, string]>;

export type ApiErrorKind = keyof typeof table;

/** An API failure carried as a value through handlers, rendered into the response `error`. */
export class JsApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    readonly body: ApiErrorBody,
  ) {
    super(body.description);
    this.name = "JsApiError";
  }
}

/**
 * Build an error. `param` fills the single `{...}` placeholder of templated descriptions
 * (e.g. `jsError("wrong_last_sequence", "5")` → "wrong last sequence: 5").
 */
export function jsError(kind: ApiErrorKind, param?: string | number): JsApiError {
  const [code, errCode, template] = table[kind];
  const description = param === undefined ? template : template.replace(/\{[a-z]+\}/, String(param));
  return new JsApiError(kind, { code, err_code: errCode, description });
}

export function errorTable(): ReadonlyArray<{ kind: ApiErrorKind; code: number; err_code: number; description: string }> {
  return (Object.keys(table) as ApiErrorKind[]).map((kind) => {
    const [code, errCode, description] = table[kind];
    return { kind, code, err_code: errCode, description };
  });
}
