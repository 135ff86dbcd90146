/**
 * The official `nats` CLI (natscli, built by scripts/setup.d/30-nats-tools.sh) against a Sluice
 * broker: the commands the broker-core and JetStream issues name as "done when".
 * Every command runs with a bounded timeout; output is asserted, not just exit codes.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../../common/wait.js";
import { startBroker, type BrokerProcess } from "./broker-process.js";

const run = promisify(execFile);
const natsBin = join(process.env["SLUICE_CACHE"] ?? join(homedir(), ".cache", "sluice"), "bin", "nats");
const available = existsSync(natsBin);
if (!available && process.env["CI"] === "true") {
  throw new Error(`nats CLI missing at ${natsBin}: scripts/setup.d/30-nats-tools.sh should have built it`);
}

describe.skipIf(!available)("nats CLI against sluice broker -js", () => {
  let broker: BrokerProcess;
  const nats = async (...args: string[]): Promise<string> => {
    const { stdout, stderr } = await run(natsBin, ["--server", broker.url, "--timeout", "5s", ...args], {
      timeout: 20_000,
      env: { ...process.env, NATS_CONTEXT: "", HOME: mkdtempSync(join(tmpdir(), "sluice-natscli-home-")) },
    });
    return stdout + stderr;
  };

  beforeAll(async () => {
    broker = await startBroker(["-js", "-sd", mkdtempSync(join(tmpdir(), "sluice-natscli-js-"))]);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it("server info reports a 2.10 version and JetStream", async () => {
    const out = await nats("server", "info");
    expect(out).toMatch(/Version:\s+2\.10\.\d+/);
    expect(out).toMatch(/JetStream/);
    expect(out).toMatch(/Storage Directory:/);
  });

  it("sub receives what pub sends", async () => {
    const sub = spawn(natsBin, ["--server", broker.url, "sub", "cli.demo", "--count", "1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    sub.stdout.on("data", (b: Buffer) => (output += b.toString()));
    sub.stderr.on("data", (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => sub.on("exit", resolve));
    try {
      await waitFor("nats sub to subscribe", () => /Subscribing on cli\.demo/.test(output), { timeout_ms: 15_000 });
      await waitFor(
        "nats sub to receive",
        async () => {
          await nats("pub", "cli.demo", "hello-from-cli");
          return output.includes("hello-from-cli");
        },
        { timeout_ms: 15_000, interval_ms: 200 },
      );
      expect(await exited).toBe(0);
    } finally {
      sub.kill();
    }
  });

  it("req gets the reply of a reply service", async () => {
    const reply = spawn(natsBin, ["--server", broker.url, "reply", "cli.svc", "pong-from-cli"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let replyOut = "";
    reply.stdout.on("data", (b: Buffer) => (replyOut += b.toString()));
    reply.stderr.on("data", (b: Buffer) => (replyOut += b.toString()));
    try {
      await waitFor("nats reply to listen", () => /Listening on/.test(replyOut), { timeout_ms: 15_000 });
      expect(await nats("req", "cli.svc", "ping")).toContain("pong-from-cli");
    } finally {
      reply.kill();
    }
  });

  it("req to a subject nobody serves reports no responders", async () => {
    expect(await nats("req", "cli.nobody", "x")).toMatch(/No responders are available/);
  });

  it("stream add, pub, consumer add, consumer next", async () => {
    expect(await nats("stream", "add", "CLI", "--subjects", "cli.orders.>", "--defaults")).toMatch(/Stream CLI was created/);
    expect(await nats("pub", "cli.orders.1", "order-one")).toMatch(/Published/);
    expect(await nats("consumer", "add", "CLI", "WORKER", "--pull", "--defaults")).toMatch(/WORKER/);
    const next = await nats("consumer", "next", "CLI", "WORKER");
    expect(next).toContain("order-one");
    expect(next).toMatch(/Acknowledged message/);
    const info = await nats("stream", "info", "CLI", "--json");
    expect((JSON.parse(info) as { state: { messages: number } }).state.messages).toBe(1);
    // The same state on /metrics, registered by the JetStream service on the monitor's registry.
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^sluice_jetstream_stream_messages\{stream="CLI"\} 1$/m);
    expect(metrics).toMatch(/^sluice_jetstream_consumer_num_pending\{stream="CLI",consumer="WORKER"\} 0$/m);
  });

  it("kv add, put, get", async () => {
    await nats("kv", "add", "CLIKV");
    await nats("kv", "put", "CLIKV", "color", "blue");
    expect(await nats("kv", "get", "CLIKV", "color", "--raw")).toContain("blue");
  });
});
