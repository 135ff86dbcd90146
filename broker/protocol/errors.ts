/**
 * nats-server's `-ERR` texts, exact (clients match on them), and whether nats-server closes the
 * connection after sending each. Source: nats-compat.md §1.8.
 */
export const errText = {
  unknownOp: "Unknown Protocol Operation",
  controlLine: "maximum control line exceeded",
  maxPayload: "Maximum Payload Violation",
  authViolation: "Authorization Violation",
  authTimeout: "Authentication Timeout",
  tlsRequired: "Secure Connection - TLS Required",
  maxConnections: "maximum connections exceeded",
  invalidProtocol: "invalid client protocol",
  noRespondersNeedsHeaders: "no responders requires headers support",
  staleConnection: "Stale Connection",
  maxSubscriptions: "maximum subscriptions exceeded",
  invalidSubject: "Invalid Subject",
  invalidPublishSubject: "Invalid Publish Subject",
} as const;

/** Go's %q for the ASCII subjects we quote; non-printables escaped like Go does. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

export function pubViolation(subject: string): string {
  return `Permissions Violation for Publish to ${goQuote(subject)}`;
}

export function pubReplyViolation(reply: string): string {
  return `Permissions Violation for Publish with Reply of ${goQuote(reply)}`;
}

export function subViolation(subject: string, queue: string | undefined): string {
  const base = `Permissions Violation for Subscription to ${goQuote(subject)}`;
  return queue === undefined ? base : `${base} using queue ${goQuote(queue)}`;
}
