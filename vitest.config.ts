import { defineConfig } from "vitest/config";

// One runner for unit, simulation, client and end-to-end suites. Suites that need external
// services (Go/Python/Java clients, localkube) start what they need in their own setup.
export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**", "test/clients/go/**", "test/clients/java/**", "test/clients/python/**"],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
    reporters: ["default"],
  },
});
