/** Shared steps for JetStream tests on the harness. */
import { waitFor } from "../../../common/wait.js";
import type { BusMessage } from "../../core/bus.js";
import { hdrs, type Harness } from "./harness.js";

type Json = Record<string, unknown>;

export async function createStream(h: Harness, cfg: Json): Promise<Json> {
  const r = await h.bus.json(`$JS.API.STREAM.CREATE.${String(cfg["name"])}`, cfg);
  if (r["error"] !== undefined) throw new Error(`stream create failed: ${JSON.stringify(r["error"])}`);
  return r;
}

export async function createConsumer(h: Harness, stream: string, cfg: Json, name?: string): Promise<Json> {
  const n = name ?? (typeof cfg["durable_name"] === "string" ? cfg["durable_name"] : typeof cfg["name"] === "string" ? cfg["name"] : undefined);
  const subject = n === undefined ? `$JS.API.CONSUMER.CREATE.${stream}` : `$JS.API.CONSUMER.CREATE.${stream}.${n}`;
  return h.bus.json(subject, { stream_name: stream, config: cfg });
}

export async function publish(h: Harness, subject: string, body: string, headers?: Record<string, string>): Promise<number> {
  const m = await h.bus.request(subject, body, headers === undefined ? undefined : hdrs(headers));
  const r = JSON.parse(new TextDecoder().decode(m.payload)) as Json;
  if (typeof r["seq"] !== "number" || r["seq"] === 0) throw new Error(`publish failed: ${JSON.stringify(r)}`);
  return r["seq"];
}

/** Send a pull request and collect everything that arrives on its inbox. */
export function pull(h: Harness, stream: string, consumer: string, body: Json | string): { inbox: string; msgs: BusMessage[]; stop: () => void } {
  const inbox = h.bus.newInbox();
  const c = h.bus.collect(inbox);
  h.bus.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, inbox, undefined, new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body)));
  return { inbox, ...c };
}

export async function until(what: string, check: () => boolean): Promise<void> {
  await waitFor(what, () => check(), { timeout_ms: 5000, interval_ms: 1 });
}

export function body(m: BusMessage): string {
  return new TextDecoder().decode(m.payload);
}

export function headerText(m: BusMessage): string {
  return new TextDecoder().decode(m.headers);
}

export async function consumerInfo(h: Harness, stream: string, name: string): Promise<Json> {
  return h.bus.json(`$JS.API.CONSUMER.INFO.${stream}.${name}`);
}

export function ack(h: Harness, m: BusMessage, payload = "+ACK", reply?: string): void {
  h.bus.publish(m.reply!, reply, undefined, new TextEncoder().encode(payload));
}
