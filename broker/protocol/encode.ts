/**
 * Server → client encoders. MSG/HMSG headers are written straight into the caller's outbound
 * buffer (no intermediate strings); the rest are small and rare.
 */
import { encodeUtf8, maxUtf8Bytes, writeString, writeUint } from "./text.js";

export const PING = encodeUtf8("PING\r\n");
export const PONG = encodeUtf8("PONG\r\n");
export const OK = encodeUtf8("+OK\r\n");
export const CRLF = encodeUtf8("\r\n");

/** `INFO {json} \r\n`: nats-server puts a space before the CRLF. */
export function encodeInfo(info: object): Uint8Array {
  return encodeUtf8(`INFO ${JSON.stringify(info)} \r\n`);
}

export function encodeErr(text: string): Uint8Array {
  return encodeUtf8(`-ERR '${text}'\r\n`);
}

/** Room needed by writeMsgHeader for these arguments. */
export function msgHeaderBytesMax(subject: string, sid: Uint8Array, reply: string | undefined): number {
  return 4 + 1 + maxUtf8Bytes(subject) + 1 + sid.length + 1 + (reply === undefined ? 0 : maxUtf8Bytes(reply) + 1) + 24 + 2;
}

/**
 * `MSG <subject> <sid> [reply] <size>\r\n` or, when headerBytes >= 0,
 * `HMSG <subject> <sid> [reply] <hdr> <total>\r\n`. Returns the new position.
 */
export function writeMsgHeader(
  buf: Uint8Array,
  pos: number,
  subject: string,
  sid: Uint8Array,
  reply: string | undefined,
  headerBytes: number,
  totalBytes: number,
): number {
  // Byte stores instead of TypedArray.set: for these few bytes the call overhead dominates.
  if (headerBytes >= 0) buf[pos++] = 72; // H
  buf[pos] = 77; // M
  buf[pos + 1] = 83; // S
  buf[pos + 2] = 71; // G
  buf[pos + 3] = 32;
  pos = writeString(buf, pos + 4, subject);
  buf[pos++] = 32;
  for (let i = 0; i < sid.length; i++) buf[pos++] = sid[i]!;
  buf[pos++] = 32;
  if (reply !== undefined) {
    pos = writeString(buf, pos, reply);
    buf[pos++] = 32;
  }
  if (headerBytes >= 0) {
    pos = writeUint(buf, pos, headerBytes);
    buf[pos++] = 32;
  }
  pos = writeUint(buf, pos, totalBytes);
  buf[pos++] = 13;
  buf[pos++] = 10;
  return pos;
}

/** Header block of the no-responders status: `NATS/1.0 503\r\nNats-Subject: <subj>\r\n\r\n`. */
export function noRespondersHeader(subject: string): Uint8Array {
  return encodeUtf8(`NATS/1.0 503\r\nNats-Subject: ${subject}\r\n\r\n`);
}

/** Build a full HMSG/MSG frame (for tests and rare paths; the hot path writes in place). */
export function encodeMsg(
  subject: string,
  sid: string,
  reply: string | undefined,
  headers: Uint8Array | undefined,
  payload: Uint8Array,
): Uint8Array {
  const sidBytes = encodeUtf8(sid);
  const hdrLen = headers === undefined ? -1 : headers.length;
  const total = payload.length + (headers?.length ?? 0);
  const out = new Uint8Array(msgHeaderBytesMax(subject, sidBytes, reply) + total + 2);
  let pos = writeMsgHeader(out, 0, subject, sidBytes, reply, hdrLen, total);
  if (headers !== undefined) {
    out.set(headers, pos);
    pos += headers.length;
  }
  out.set(payload, pos);
  pos += payload.length;
  out[pos++] = 13;
  out[pos++] = 10;
  return out.subarray(0, pos);
}
