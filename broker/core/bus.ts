/**
 * The in-process messaging seam between the server's routing core and internal services
 * (JetStream API, stream capture, consumers, system services). The server implements it;
 * services see only this, never sockets.
 */

export interface BusMessage {
  subject: string;
  reply: string | undefined;
  /** Raw header block ("NATS/1.0...\r\n\r\n") or undefined. */
  headers: Uint8Array | undefined;
  payload: Uint8Array;
  /** Who published it: client id and authenticated user (undefined for internal publishers). */
  origin: { client_id: number; user: string | undefined } | undefined;
}

export interface BusSubscription {
  unsubscribe(): void;
}

export interface Bus {
  /** Deliver matching messages to handler synchronously, in publish order. */
  subscribe(subject: string, handler: (msg: BusMessage) => void, opts?: { queue?: string }): BusSubscription;
  /** Route a message to every matching subscriber (clients and internal). */
  publish(subject: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): void;
  /** True if some subscription (client or internal) matches subject. */
  hasInterest(subject: string): boolean;
  /** Flow-control hook: bytes pending to be written to the client that owns subject's interest; 0 if unknown. */
  pendingBytesFor(subject: string): number;
}
