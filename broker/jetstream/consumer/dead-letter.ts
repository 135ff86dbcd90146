/**
 * What happens to a message that leaves a consumer without an ack: nats-server's advisories and
 * the Sluice dead-letter extension (republish once, with headers naming where it came from).
 */
import type { Clock } from "../../../common/clock.js";
import type { Bus } from "../../core/bus.js";
import { appendHeaders, utf8 } from "../headers.js";
import type { JsStream } from "../stream/stream.js";

export async function publishDeadLetter(
  bus: Bus,
  stream: JsStream,
  subject: string,
  consumer: string,
  seq: number,
  deliveries: number,
  reason: "term" | "max_deliver",
  detail: string,
): Promise<void> {
  const msg = await stream.read(seq);
  if (msg === undefined) return;
  const headers = appendHeaders(msg.headers, [
    ["Sluice-Dead-Letter-Stream", stream.name],
    ["Sluice-Dead-Letter-Sequence", String(seq)],
    ["Sluice-Dead-Letter-Consumer", consumer],
    ["Sluice-Dead-Letter-Subject", msg.subject],
    ["Sluice-Dead-Letter-Deliveries", String(deliveries)],
    ["Sluice-Dead-Letter-Reason", detail !== "" ? `${reason}: ${detail.replace(/[\r\n]/g, " ")}` : reason],
  ]);
  bus.publish(subject, undefined, headers, msg.payload);
}

export function publishAdvisory(bus: Bus, clock: Clock, stream: string, consumer: string, seq: number, deliveries: number, reason: "term" | "max_deliver", detail: string): void {
  const kind = reason === "term" ? "MSG_TERMINATED" : "MAX_DELIVERIES";
  const subject = `$JS.EVENT.ADVISORY.CONSUMER.${kind}.${stream}.${consumer}`;
  if (!bus.hasInterest(subject)) return;
  const body: Record<string, unknown> = {
    type: reason === "term" ? "io.nats.jetstream.advisory.v1.terminated" : "io.nats.jetstream.advisory.v1.max_deliver",
    id: `${stream}-${consumer}-${seq}-${deliveries}`,
    timestamp: new Date(clock.nowMs()).toISOString(),
    stream,
    consumer,
    stream_seq: seq,
    deliveries,
  };
  if (reason === "term") {
    body["consumer_seq"] = 0;
    body["reason"] = detail;
  }
  bus.publish(subject, undefined, undefined, utf8.encode(JSON.stringify(body)));
}
