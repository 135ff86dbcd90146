/**
 * Lifecycle handlers: grace accounting after preStop, and each action against a real target
 * (a real HTTP server on loopback, real exec exit codes through the target's exec).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execWithTimeout, type ProbeTarget } from "./probes.js";
import { GRACE_AFTER_PRESTOP_MS_MIN, graceAfterPreStop, leftLauncher, runLifecycleHandler } from "./hooks.js";

describe("preStop grace accounting", () => {
  it("leaves SIGTERM what the hook did not use, never under 2 s", () => {
    expect(graceAfterPreStop(30_000, 0)).toBe(30_000);
    expect(graceAfterPreStop(30_000, 12_500)).toBe(17_500);
    expect(graceAfterPreStop(30_000, 29_000)).toBe(GRACE_AFTER_PRESTOP_MS_MIN);
    expect(graceAfterPreStop(30_000, 90_000)).toBe(GRACE_AFTER_PRESTOP_MS_MIN);
    expect(graceAfterPreStop(1_000, -5)).toBe(GRACE_AFTER_PRESTOP_MS_MIN);
  });
});

describe("runLifecycleHandler", () => {
  let server: Server;
  let port = 0;
  const paths: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(`${req.url} ${req.headers["user-agent"]}`);
      res.statusCode = req.url === "/fail" ? 500 : 200;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const target: ProbeTarget = {
    podIp: "127.0.0.1",
    ports: [{ name: "http", containerPort: 0 }],
    exec: (argv, timeout_ms) => execWithTimeout(argv[0] ?? "", argv.slice(1), process.env, timeout_ms),
  };

  it("exec: success on exit 0, the exit code otherwise, a timeout as such", async () => {
    expect(await runLifecycleHandler({ exec: { command: ["/bin/sh", "-c", "exit 0"] } }, target, 5_000)).toBeUndefined();
    expect(await runLifecycleHandler({ exec: { command: ["/bin/sh", "-c", "exit 3"] } }, target, 5_000)).toMatch(/exit code 3$/);
    expect(await runLifecycleHandler({ exec: { command: ["/bin/sh", "-c", "sleep 5"] } }, target, 100)).toMatch(/did not finish within 100 ms/);
    expect(await runLifecycleHandler({ exec: { command: [] } }, target, 1_000)).toBe("exec: empty command");
  });

  it("httpGet: any response succeeds (as the kubelet), a refused connection fails", async () => {
    expect(await runLifecycleHandler({ httpGet: { path: "/drain", port } }, target, 5_000)).toBeUndefined();
    expect(await runLifecycleHandler({ httpGet: { path: "/fail", port } }, target, 5_000)).toBeUndefined();
    expect(paths).toEqual(["/drain kube-lifecycle/1.34", "/fail kube-lifecycle/1.34"]);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    expect(await runLifecycleHandler({ httpGet: { path: "/", port: freePort } }, target, 5_000)).toMatch(/httpGet \/: .*ECONNREFUSED/);
  });

  it("sleep succeeds; tcpSocket and an empty handler are refused with a reason", async () => {
    expect(await runLifecycleHandler({ sleep: { seconds: 0 } }, target, 1_000)).toBeUndefined();
    expect(await runLifecycleHandler({ tcpSocket: { port } }, target, 1_000)).toMatch(/tcpSocket is not supported/);
    expect(await runLifecycleHandler({}, target, 1_000)).toMatch(/names no action/);
  });
});

describe("leftLauncher: hooks wait for the sandbox launch chain to exec the container's command", () => {
  it("is false while ip, unshare, chroot or a launch script runs, true for the command itself", () => {
    expect(leftLauncher([])).toBe(false);
    expect(leftLauncher(["/usr/sbin/ip", "netns", "exec", "lk1-0badcafe", "unshare", "--uts", "--", "/bin/sh"])).toBe(false);
    expect(leftLauncher(["unshare", "--uts", "--", "/bin/sh", "-c", "mount ...", "lk-init", "node", "app.js"])).toBe(false);
    expect(leftLauncher(["/bin/sh", "-c", "mount ...; exec \"$@\"", "lk-init", "node", "app.js"])).toBe(false);
    expect(leftLauncher(["chroot", "/tmp/root", "/bin/sh", "-c", "..."])).toBe(false);
    expect(leftLauncher(["/bin/sh", "-c", 'cd "$1"; exec "$@"', "lk-chroot", "/", "/usr/bin:/bin", "node"])).toBe(false);
    expect(leftLauncher(["/usr/bin/node", "--enable-source-maps", "/srv/dist/cli/main.js", "broker"])).toBe(true);
    // A container whose own command is a shell script is its command, not the launcher.
    expect(leftLauncher(["/bin/sh", "-c", "while :; do sleep 1; done"])).toBe(true);
  });
});
