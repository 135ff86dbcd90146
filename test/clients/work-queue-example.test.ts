/**
 * Runs the Python work-queue demo (examples/work-queue/demo.py) against a `-js` broker, gated like
 * the client JetStream groups (SLUICE_JS_CLIENT_TESTS=1 or the server answers $JS.API.INFO).
 */
import { join } from "node:path";
import { defineClientSuite } from "./lib/define-suite.js";
import { REPO_ROOT } from "./lib/server-process.js";
import { PYTHON_BIN, pythonToolchainMissing } from "./lib/toolchain.js";

defineClientSuite({
  language: "Python work-queue example",
  toolchainMissing: pythonToolchainMissing,
  jetstreamPrograms: [
    {
      name: "producer and 3 workers process every job exactly once",
      command: {
        cmd: PYTHON_BIN,
        args: ["demo.py", "--workers", "3", "--jobs", "60"],
        cwd: join(REPO_ROOT, "examples/work-queue"),
        env: (fx) => ({ NATS_URL: fx["NATS_JS_URL"] ?? "" }),
      },
    },
  ],
  timeout_ms: 120_000,
});
