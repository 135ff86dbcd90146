/**
 * Declares the vitest cases for one official client: the core group against the core fixture,
 * and (where the language has one) the JetStream group against a `-js` server, gated on
 * SLUICE_JS_CLIENT_TESTS=1 or the server answering `$JS.API.INFO`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreFixture, JetStreamFixture } from "./fixtures.js";
import { describeFailure, runSuite } from "./run-suite.js";
import { clientSuiteServerKind } from "./server-process.js";
import { IN_CI, jetStreamUnavailable } from "./toolchain.js";

export interface SuiteCommand {
  cmd: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
}

export interface ClientSuiteSpec {
  language: string;
  /** Why the toolchain cannot run (undefined when it can). Checked synchronously at collection. */
  toolchainMissing: () => string | undefined;
  core: SuiteCommand;
  jetstream?: SuiteCommand;
  /** Extra programs run against the JetStream server (examples/), same gating. */
  jetstreamExtras?: { name: string; command: SuiteCommand }[];
  timeout_ms: number;
}

export function defineClientSuite(spec: ClientSuiteSpec): void {
  const kind = clientSuiteServerKind();
  const missing = spec.toolchainMissing();
  if (missing && IN_CI) {
    it(`${spec.language} toolchain is set up`, () => {
      throw new Error(`${spec.language} client toolchain missing in CI: ${missing}`);
    });
    return;
  }
  const title = `${spec.language} official client against ${kind}${missing ? ` (skipped: ${missing})` : ""}`;

  describe.skipIf(missing !== undefined)(title, () => {
    describe("core", () => {
      const fx = lazy(() => new CoreFixture(kind));
      beforeAll(async () => fx().start());
      afterAll(async () => fx.dispose(async (f) => f.stop()));

      it("passes the core suite", { timeout: spec.timeout_ms + 10_000 }, async () => {
        const r = await runSuite(spec.core.cmd, spec.core.args, {
          cwd: spec.core.cwd,
          env: { ...fx().env, ...spec.core.env },
          timeout_ms: spec.timeout_ms,
        });
        showIfVerbose(`${spec.language} core suite`, r.output);
        if (r.code !== 0) expect.fail(describeFailure(`${spec.language} core suite`, r, fx().logs()));
      });
    });

    const jsCommands = [
      ...(spec.jetstream ? [{ name: "passes the JetStream suite", command: spec.jetstream }] : []),
      ...(spec.jetstreamExtras ?? []),
    ];
    if (jsCommands.length === 0) return;

    describe("jetstream", () => {
      const fx = lazy(() => new JetStreamFixture(kind));
      let unavailable: string | undefined;
      beforeAll(async () => {
        const forced = process.env["SLUICE_JS_CLIENT_TESTS"] === "1";
        try {
          await fx().start();
        } catch (err) {
          if (forced) throw err;
          unavailable = `server did not start with -js: ${(err as Error).message.split("\n")[0] ?? ""}`;
          return;
        }
        unavailable = await jetStreamUnavailable(fx().server.url());
      });
      afterAll(async () => fx.dispose(async (f) => f.stop()));

      for (const { name, command } of jsCommands) {
        it(name, { timeout: spec.timeout_ms + 10_000 }, async (ctx) => {
          if (unavailable) {
            console.warn(`[${spec.language}] JetStream group skipped: ${unavailable} (set SLUICE_JS_CLIENT_TESTS=1 to force)`);
            ctx.skip();
            return;
          }
          const r = await runSuite(command.cmd, command.args, {
            cwd: command.cwd,
            env: { ...fx().env, ...command.env },
            timeout_ms: spec.timeout_ms,
          });
          showIfVerbose(`${spec.language} ${name}`, r.output);
          if (r.code !== 0) expect.fail(describeFailure(`${spec.language} ${name}`, r, fx().logs()));
        });
      }
    });
  });
}

/** Creates the fixture on first use, so skipped groups leave no temp dirs behind. */
function lazy<T>(make: () => T): (() => T) & { dispose: (f: (v: T) => Promise<void>) => Promise<void> } {
  let value: T | undefined;
  const get = (): T => (value ??= make());
  return Object.assign(get, {
    dispose: async (f: (v: T) => Promise<void>): Promise<void> => {
      if (value !== undefined) await f(value);
    },
  });
}

/** SLUICE_CLIENTS_VERBOSE=1 prints each suite's output even when it passes. */
function showIfVerbose(what: string, output: string): void {
  if (process.env["SLUICE_CLIENTS_VERBOSE"] === "1") console.log(`===== ${what} =====\n${output}`);
}
