/**
 * The cluster DNS responder (UDP and TCP on <gateway>:53, the nameserver in every pod's
 * resolv.conf). Answers only names under cluster.local; everything else is REFUSED, so no query
 * ever leaves this host.
 */
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import * as dnsPacket from "dns-packet";
import { lookup, type Zone } from "./records.js";

export const DNS_TTL_S = 5;
export const DNS_TCP_MSG_BYTES_MAX = 65_535;

export function respond(query: Buffer, zone: Zone): Buffer {
  let q: dnsPacket.Packet;
  try {
    q = dnsPacket.decode(query);
  } catch {
    return Buffer.alloc(0);
  }
  const question = q.questions?.[0];
  const base = { type: "response" as const, id: q.id ?? 0, flags: dnsPacket.AUTHORITATIVE_ANSWER | ((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED), questions: q.questions ?? [] };
  if (!question) return dnsPacket.encode({ ...base, flags: base.flags | 1 });
  const ans = lookup(zone, question.name, question.type);
  if (ans.rcode !== "NOERROR") {
    const rcode = ans.rcode === "NXDOMAIN" ? 3 : 5;
    return dnsPacket.encode({ ...base, flags: base.flags | rcode });
  }
  const answers: dnsPacket.Answer[] = [
    ...ans.a.map((ip) => ({ type: "A" as const, name: question.name, ttl: DNS_TTL_S, class: "IN" as const, data: ip })),
    ...ans.srv.map((s) => ({ type: "SRV" as const, name: question.name, ttl: DNS_TTL_S, class: "IN" as const, data: { priority: 0, weight: 100, port: s.port, target: s.target } })),
  ];
  return dnsPacket.encode({ ...base, answers });
}

export class DnsServer {
  private udp: Socket | undefined;
  private tcp: Server | undefined;

  constructor(
    private readonly address: string,
    private readonly zone: () => Zone,
    private readonly port = 53,
  ) {}

  async start(): Promise<void> {
    const udp = createSocket("udp4");
    this.udp = udp;
    udp.on("message", (msg, rinfo) => {
      const out = respond(msg, this.zone());
      if (out.length > 0) udp.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(this.port, this.address, () => resolve());
    });
    const tcp = createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.setTimeout(5000, () => sock.destroy());
      sock.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length > DNS_TCP_MSG_BYTES_MAX + 2) return sock.destroy();
        while (buf.length >= 2) {
          const len = buf.readUInt16BE(0);
          if (buf.length < 2 + len) break;
          const out = respond(buf.subarray(2, 2 + len), this.zone());
          buf = buf.subarray(2 + len);
          const hdr = Buffer.alloc(2);
          hdr.writeUInt16BE(out.length);
          sock.write(Buffer.concat([hdr, out]));
        }
      });
      sock.on("error", () => undefined);
    });
    this.tcp = tcp;
    await new Promise<void>((resolve, reject) => {
      tcp.once("error", reject);
      tcp.listen(this.port, this.address, () => resolve());
    });
  }

  stop(): void {
    this.udp?.close();
    this.tcp?.close();
  }
}
