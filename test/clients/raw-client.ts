/**
 * A raw TCP client for protocol-level tests: send exact bytes, wait for exact server output.
 * Every wait has a deadline.
 */
import { connect, type Socket } from "node:net";

export class RawClient {
  text = "";
  closed = false;
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (b: Buffer) => {
      this.text += b.toString("latin1");
      if (this.text.length > 4 * 1024 * 1024) this.text = this.text.slice(-1024 * 1024);
    });
    socket.on("error", () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.on("close", () => {
        this.closed = true;
        resolve();
      }),
    );
  }

  static async open(port: number, host = "127.0.0.1"): Promise<RawClient> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const c = new RawClient(socket);
    await c.waitFor(/^INFO .*\r\n/);
    return c;
  }

  /** INFO's JSON. */
  info(): Record<string, unknown> {
    const m = /^INFO (\{.*\}) \r\n/.exec(this.text);
    if (m === null) throw new Error("no INFO");
    return JSON.parse(m[1]!) as Record<string, unknown>;
  }

  send(data: string | Uint8Array): void {
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  async waitFor(pattern: RegExp | string, timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const test = (): boolean => (typeof pattern === "string" ? this.text.includes(pattern) : pattern.test(this.text));
    while (!test()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; got ${JSON.stringify(this.text.slice(-500))}`);
      if (this.closed) {
        if (test()) return;
        throw new Error(`connection closed while waiting for ${String(pattern)}; got ${JSON.stringify(this.text.slice(-500))}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Resolves when the server closes the connection; rejects after timeoutMs. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise<void>((_r, reject) => {
        timer = setTimeout(() => reject(new Error(`connection not closed within ${timeoutMs} ms; got ${JSON.stringify(this.text.slice(-300))}`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Prove the connection is still open and in sync: PING must get a PONG. */
  async roundTrip(): Promise<void> {
    const before = (this.text.match(/PONG\r\n/g) ?? []).length;
    this.send("PING\r\n");
    const deadline = performance.now() + 10_000;
    while ((this.text.match(/PONG\r\n/g) ?? []).length <= before) {
      if (this.closed) throw new Error(`closed; got ${JSON.stringify(this.text.slice(-300))}`);
      if (performance.now() > deadline) throw new Error("no PONG");
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
