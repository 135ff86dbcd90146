/**
 * nats-py (official Python client) against the broker: runs pytest in test/clients/python with
 * the fixture's env. Core group (test_core.py) always; JetStream group (test_jetstream.py) when
 * JetStream answers (the examples/ demo is run by work-queue-example.test.ts).
 */
import { join } from "node:path";
import { defineClientSuite } from "./lib/define-suite.js";
import { CLIENTS_DIR, PYTHON_BIN, pythonToolchainMissing } from "./lib/toolchain.js";

const cwd = join(CLIENTS_DIR, "python");

defineClientSuite({
  language: "Python (nats-py)",
  toolchainMissing: pythonToolchainMissing,
  core: { cmd: PYTHON_BIN, args: ["-m", "pytest", "-v", "test_core.py"], cwd },
  jetstream: { cmd: PYTHON_BIN, args: ["-m", "pytest", "-v", "test_jetstream.py"], cwd },
  timeout_ms: 150_000,
});
