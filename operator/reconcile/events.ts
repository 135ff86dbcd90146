/** Kubernetes Events on the MessageQueue (not on pods), one per action the operator takes. */
import { randomBytes } from "node:crypto";
import type { MessageQueue } from "../api/types.js";
import type { Kube } from "./kube.js";

export type EventType = "Normal" | "Warning";
const messageCharsMax = 1024;

export async function recordEvent(kube: Kube, mq: MessageQueue, type: EventType, reason: string, message: string, now: Date): Promise<void> {
  const ts = now.toISOString();
  await kube.create({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${mq.metadata.name}.${randomBytes(8).toString("hex")}`, namespace: mq.metadata.namespace },
    involvedObject: {
      apiVersion: mq.apiVersion,
      kind: mq.kind,
      name: mq.metadata.name,
      namespace: mq.metadata.namespace,
      uid: mq.metadata.uid,
      resourceVersion: mq.metadata.resourceVersion,
    },
    type,
    reason,
    message: message.slice(0, messageCharsMax),
    source: { component: "sluice-operator" },
    reportingComponent: "sluice.dev/operator",
    reportingInstance: process.env["POD_NAME"] ?? "sluice-operator",
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
  } as never);
}
