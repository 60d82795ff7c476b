import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * The reference pipeline's own test suite (`pipeline test`): checks of a running pipeline's
 * state dir and endpoints, selected by PIPELINE_DIR / PIPELINE_PORT. JUnit XML is requested by
 * the runner (pipeline/scripts/test-suite.ts) with --reporter=junit --outputFile.junit=...
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 20_000,
    fileParallelism: false,
    reporters: ["default"],
  },
});
