import { defineConfig } from "vitest/config";
import { PHASES, phaseTestOptions } from "./specs/phase-project.js";

/** One vitest project per checklist phase (the product: specs/) plus the monitor's own tests (test/). */
export default defineConfig({
  test: {
    projects: [
      ...PHASES.map((phase) => ({ test: { name: phase, ...phaseTestOptions(phase) } })),
      {
        test: {
          name: "self-test",
          include: ["test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Tests start real pipelines, servers and databases on free ports; two cores.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
