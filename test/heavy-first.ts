/**
 * The order the self-test files start in: the longest first, so that two workers finish together
 * (vitest orders by the durations it cached on an earlier run; a clean clone in CI has none, and
 * would start these in alphabetical order, the watch's three-minute files near the end). The
 * durations are this machine's, whole files with their setup, rounded; a file not listed keeps
 * vitest's order after these.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

export const HEAVY_FIRST: Record<string, number> = {
  "test/cli/demo.test.ts": 150,
  "test/monitor/watch-healthy.test.ts": 120,
  "test/monitor/watch-faults.test.ts": 110,
  "test/monitor/watch-restart.test.ts": 90,
  "test/checkpoint/healthy-soak.test.ts": 80,
  "test/channels/faults.test.ts": 80,
  "test/checkpoint/kill-anywhere.test.ts": 60,
  "test/checkpoint/detection-matrix-metrics.test.ts": 55,
  "test/checkpoint/detection-matrix-data.test.ts": 55,
  "test/readme/readme.test.ts": 55,
  "test/history/pg-cli.test.ts": 50,
  "test/report/signoff.test.ts": 40,
  "test/checkpoint/robustness.test.ts": 35,
  "test/checkpoint/rollback.test.ts": 30,
};

export default class HeavyFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const weight = (f: TestSpecification) => HEAVY_FIRST[f.moduleId.slice(f.project.config.root.length + 1)] ?? 0;
    // Stable: files of equal weight (the rest, 0) keep vitest's order.
    return sorted.map((f, i) => ({ f, i, w: weight(f) })).sort((a, b) => b.w - a.w || a.i - b.i).map((x) => x.f);
  }
}
