/**
 * nats.go (official Go client) against the broker: runs `go test` in test/clients/go with the
 * fixture's env. Core group always; JetStream group (TestJetStream*) when JetStream answers.
 */
import { join } from "node:path";
import { defineClientSuite } from "./lib/define-suite.js";
import { CLIENTS_DIR, GO_ENV, goToolchainMissing } from "./lib/toolchain.js";

const cwd = join(CLIENTS_DIR, "go");

defineClientSuite({
  language: "Go (nats.go)",
  toolchainMissing: goToolchainMissing,
  core: { cmd: "go", args: ["test", "-count=1", "-v", "-run", "^TestCore", "./..."], cwd, env: GO_ENV },
  jetstream: { cmd: "go", args: ["test", "-count=1", "-v", "-run", "^TestJetStream", "./..."], cwd, env: GO_ENV },
  timeout_ms: 150_000,
});
