import { defineConfig } from "vitest/config";
import { PHASES, phaseTestOptions } from "./specs/phase-project.js";
import HeavyFirst from "./test/heavy-first.js";

/** One vitest project per checklist phase (the product: specs/) plus the monitor's own tests (test/). */
export default defineConfig({
  test: {
    // The longest self-test files first (test/heavy-first.ts): a clean clone has no cached durations.
    sequence: { sequencer: HeavyFirst },
    projects: [
      ...PHASES.map((phase) => ({ test: { name: phase, ...phaseTestOptions(phase) } })),
      {
        test: {
          name: "self-test",
          include: ["test/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Tests start real pipelines, servers and databases on free ports. Three workers on two cores:
          // the watch and demo files spend minutes waiting on their compressed clock, and a third file
          // runs meanwhile (measured: npm test 11m36s with two workers).
          fileParallelism: true,
          maxWorkers: 3,
          // Each worker imports the monitor once, not once per file (about 4 s a file on this
          // machine, 100 s of the suite). Tests that need a fresh module state reset it themselves
          // (the secret registry: resetSecretRegistry).
          isolate: false,
        },
      },
    ],
  },
});
