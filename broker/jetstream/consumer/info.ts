/** ConsumerInfo as nats-server serialises it (`$JS.API.CONSUMER.INFO`, lists, /jsz). */
import type { PullRequest } from "./pull.js";
import type { ConsumerConfig } from "./config.js";
import { settleAckFloor, type ConsumerState } from "./state.js";

/** What the info body reads from a consumer (kept structural: no import of consumer.ts). */
export interface ConsumerView {
  readonly name: string;
  readonly stream: { readonly name: string };
  readonly createdNs: bigint;
  readonly config: ConsumerConfig;
  readonly state: ConsumerState;
  readonly waiting: readonly PullRequest[];
  readonly isPush: boolean;
  numPending(): number;
  pushBound(): boolean;
}

export function consumerInfoBody(c: ConsumerView, nowNs: bigint, clusterName: string | undefined, serverName: string): Record<string, unknown> {
  const s = c.state;
  settleAckFloor(s);
  let redelivered = 0;
  for (const e of s.pending.values()) if (e.deliveries > 1) redelivered++;
  const ts = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();
  const info: Record<string, unknown> = {
    stream_name: c.stream.name,
    name: c.name,
    created: ts(c.createdNs),
    config: c.config,
    delivered: { consumer_seq: s.deliveredConsumerSeq, stream_seq: s.deliveredStreamSeq },
    ack_floor: { consumer_seq: s.ackFloorConsumerSeq, stream_seq: s.ackFloorStreamSeq },
    num_ack_pending: s.pending.size,
    num_redelivered: redelivered,
    num_waiting: c.waiting.length,
    num_pending: c.numPending(),
    cluster: { ...(clusterName !== undefined ? { name: clusterName } : {}), leader: serverName },
    ts: ts(nowNs),
  };
  if (c.isPush) info["push_bound"] = c.pushBound();
  return info;
}
