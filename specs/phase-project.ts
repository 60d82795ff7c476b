/**
 * The vitest settings of one phase's specs, shared by vitest.config.ts (one project per phase,
 * for `vitest run --project NAME`) and the checkpoint runner (which runs one phase inline, without
 * loading a config file: faster by about 100 ms per checkpoint).
 */
export const PHASES = ["pre-cutover", "hour0", "hour1", "stability", "extended", "day", "final"] as const;

export function phaseTestOptions(phase: string) {
  return {
    include: [`specs/${phase}/**/*.spec.ts`],
    // A checkpoint's probes already bounded their own time; a spec only reads measurements.
    testTimeout: 30_000,
    // Specs only read the provided measurements: one worker thread in the checkpoint's own
    // process is enough, and cheaper than a forked worker (time and memory, see BENCHMARKS.md).
    pool: "threads" as const,
    maxWorkers: 1,
    isolate: false,
  };
}
