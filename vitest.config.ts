import { defineConfig } from "vitest/config";

/** One vitest project per checklist phase (the product: specs/) plus the monitor's own tests (test/). */
export const PHASES = ["pre-cutover", "hour0", "hour1", "stability", "extended", "day", "final"] as const;

export default defineConfig({
  test: {
    projects: [
      ...PHASES.map((phase) => ({
        test: {
          name: phase,
          include: [`specs/${phase}/**/*.spec.ts`],
          // A checkpoint's probes already bounded their own time; a spec only reads measurements.
          testTimeout: 30_000,
          // Specs only read the provided measurements: one worker thread in the checkpoint's own
          // process is enough, and cheaper than a forked worker (time and memory, see BENCHMARKS.md).
          pool: "threads" as const,
          maxWorkers: 1,
          isolate: false,
        },
      })),
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
