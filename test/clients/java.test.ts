/**
 * jnats (official Java client) against the broker: runs `mvn -o test` in test/clients/java with
 * the fixture's env (offline: scripts/setup.d/20-clients.sh resolved the dependencies). Core group
 * only; the JetStream client groups are Go and Python.
 */
import { join } from "node:path";
import { defineClientSuite } from "./lib/define-suite.js";
import { CLIENTS_DIR, javaToolchainMissing } from "./lib/toolchain.js";

defineClientSuite({
  language: "Java (jnats)",
  toolchainMissing: javaToolchainMissing,
  core: {
    cmd: "mvn",
    args: ["-o", "-B", "--no-transfer-progress", "test", "-Dtest=CoreTest"],
    cwd: join(CLIENTS_DIR, "java"),
  },
  timeout_ms: 150_000,
});
