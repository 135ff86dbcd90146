/**
 * Declares the vitest cases for one official client: the core group against the core fixture,
 * and (where the language has one) the JetStream group against a `-js` server, gated on
 * SLUICE_JS_CLIENT_TESTS=1 or the server answering `$JS.API.INFO`. Also used for programs such
 * as the examples/ demos that need a JetStream server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreFixture, JetStreamFixture } from "./fixtures.js";
import { describeFailure, runSuite } from "./run-suite.js";
import { clientSuiteServerKind, type ServerKind } from "./server-process.js";
import { IN_CI, jetStreamUnavailable } from "./toolchain.js";

export interface SuiteCommand {
  cmd: string;
  args: string[];
  cwd: string;
  /** Extra env; a function gets the fixture's env (URLs) to map names, e.g. NATS_URL. */
  env?: Record<string, string> | ((fixtureEnv: Record<string, string>) => Record<string, string>);
}

export interface NamedCommand {
  name: string;
  command: SuiteCommand;
}

export interface ClientSuiteSpec {
  language: string;
  /** Why the toolchain cannot run (undefined when it can). Checked synchronously at collection. */
  toolchainMissing: () => string | undefined;
  core?: SuiteCommand;
  jetstream?: SuiteCommand;
  /** Extra programs run against the JetStream server, same gating. */
  jetstreamPrograms?: NamedCommand[];
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
    const core = spec.core;
    if (core) {
      describe("core", () => {
        const fx = lazy(() => new CoreFixture(kind));
        beforeAll(async () => fx().start());
        afterAll(async () => fx.dispose(async (f) => f.stop()));
        it("passes the core suite", { timeout: spec.timeout_ms + 10_000 }, async () => {
          await runAndAssert(`${spec.language} core suite`, core, fx().env, () => fx().logs(), spec.timeout_ms);
        });
      });
    }
    const programs = [
      ...(spec.jetstream ? [{ name: "passes the JetStream suite", command: spec.jetstream }] : []),
      ...(spec.jetstreamPrograms ?? []),
    ];
    if (programs.length > 0) jetStreamGroup(spec.language, kind, programs, spec.timeout_ms);
  });
}

/** A `jetstream` describe block: one `-js` server (restartable), gated, one case per program. */
function jetStreamGroup(language: string, kind: ServerKind, programs: NamedCommand[], timeout_ms: number): void {
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

    for (const { name, command } of programs) {
      it(name, { timeout: timeout_ms + 10_000 }, async (ctx) => {
        if (unavailable) {
          console.warn(`[${language}] JetStream group skipped: ${unavailable} (set SLUICE_JS_CLIENT_TESTS=1 to force)`);
          ctx.skip();
          return;
        }
        await runAndAssert(`${language} ${name}`, command, fx().env, () => fx().logs(), timeout_ms);
      });
    }
  });
}

async function runAndAssert(
  what: string,
  command: SuiteCommand,
  fixtureEnv: Record<string, string>,
  logs: () => string,
  timeout_ms: number,
): Promise<void> {
  const extra = typeof command.env === "function" ? command.env(fixtureEnv) : (command.env ?? {});
  const r = await runSuite(command.cmd, command.args, { cwd: command.cwd, env: { ...fixtureEnv, ...extra }, timeout_ms });
  if (process.env["SLUICE_CLIENTS_VERBOSE"] === "1") console.log(`===== ${what} =====\n${r.output}`);
  if (r.code !== 0) expect.fail(describeFailure(what, r, logs()));
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
