/**
 * The broker as a process: PID and ports files, log file, signals (SIGTERM, SIGHUP reload,
 * SIGUSR2 lame duck), JetStream advertised in INFO.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../../common/wait.js";
import { startBroker } from "../broker-process.js";
import { RawClient } from "../raw-client.js";

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
}

describe("broker process", () => {
  it("writes PID, ports and log files and removes them on SIGTERM", async () => {
    const dir = tempDir("files");
    const pidFile = join(dir, "broker.pid");
    const logFile = join(dir, "broker.log");
    const broker = await startBroker(["-P", pidFile, "-l", logFile, "-D"]);
    expect(readFileSync(pidFile, "utf8").trim()).toBe(String(broker.pid));
    const portsFile = readdirSync(broker.dir).find((f) => f.endsWith(`_${broker.pid}.ports`));
    expect(portsFile).toBe(`sluice_${broker.pid}.ports`);
    const ports = JSON.parse(readFileSync(join(broker.dir, portsFile!), "utf8")) as Record<string, string[]>;
    expect(ports["nats"]).toEqual([`nats://127.0.0.1:${broker.port}`]);
    expect(ports["monitoring"]).toEqual([`http://127.0.0.1:${broker.httpPort}`]);
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false}\r\nPING\r\n');
    await c.waitFor("PONG");
    c.destroy();
    await waitFor("debug line in the log file", () => /\[DBG\] .*Client connection closed/.test(readFileSync(logFile, "utf8")));
    expect(readFileSync(logFile, "utf8")).toMatch(/^\[\d+\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} \[INF\] Server is ready$/m);
    const dirOfPorts = broker.dir;
    broker.signal("SIGTERM");
    expect(await broker.exited()).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
    expect(existsSync(join(dirOfPorts, portsFile!))).toBe(false);
    await broker.stop();
  });

  it("reloads authorization on SIGHUP", async () => {
    const dir = tempDir("reload");
    const conf = join(dir, "broker.conf");
    writeFileSync(conf, "authorization { user: first, password: one }\n");
    const broker = await startBroker(["-c", conf]);
    try {
      const a = await RawClient.open(broker.port);
      a.send('CONNECT {"verbose":false,"user":"first","pass":"one"}\r\nPING\r\n');
      await a.waitFor("PONG");
      writeFileSync(conf, "authorization { user: second, password: two }\n");
      broker.signal("SIGHUP");
      await waitFor("reload logged", () => broker.logs().includes("Reloaded server configuration"));
      // Like nats-server, a connected client whose credentials are gone is closed.
      await a.waitClosed();
      expect(a.text).toContain("-ERR 'Authorization Violation'");
      const b = await connect({ servers: broker.url, user: "second", pass: "two" });
      await b.close();
      await expect(connect({ servers: broker.url, user: "first", pass: "one", reconnect: false })).rejects.toThrow(/authorization violation/i);
      // A broken file is reported and the running configuration kept.
      writeFileSync(conf, "authorization { user: \n");
      broker.signal("SIGHUP");
      await waitFor("reload failure logged", () => broker.logs().includes("Failed to reload server configuration"));
      const c = await connect({ servers: broker.url, user: "second", pass: "two" });
      await c.close();
    } finally {
      await broker.stop();
    }
  });

  it("enters lame duck on SIGUSR2: INFO ldm:true, no new clients, then exits", async () => {
    const dir = tempDir("ldm");
    const conf = join(dir, "broker.conf");
    writeFileSync(conf, 'lame_duck_duration: "30s"\nlame_duck_grace_period: "500ms"\n');
    const broker = await startBroker(["-c", conf]);
    const c = await RawClient.open(broker.port);
    c.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
    await c.waitFor("PONG");
    const port = broker.port;
    broker.signal("SIGUSR2");
    await c.waitFor(/INFO \{[^\r]*"ldm":true[^\r]*\} \r\n/);
    await c.waitClosed(15_000);
    expect(await broker.exited()).toBe(0);
    await expect(RawClient.open(port)).rejects.toThrow();
    await broker.stop();
  });

  it("advertises jetstream in INFO when enabled", async () => {
    const broker = await startBroker(["-js", "-sd", tempDir("js")]);
    try {
      const c = await RawClient.open(broker.port);
      expect(c.info()["jetstream"]).toBe(true);
      c.destroy();
    } finally {
      await broker.stop();
    }
  });

  it("prints usage for --help and fails clearly on a bad flag", async () => {
    const { spawnSync } = await import("node:child_process");
    const { repoRoot } = await import("../broker-process.js");
    const bin = join(repoRoot(), "bin", "sluice");
    const help = spawnSync(bin, ["broker", "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--ports_file_dir/);
    const bad = spawnSync(bin, ["broker", "--no-such-flag"], { encoding: "utf8" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/no-such-flag/);
  });
});
