/** A hand-made checkpoint context for evaluator tests: the default config and the given measurements. */
import { monitorConfigSchema } from "../../src/config/resolve.js";
import type { CheckpointContext } from "../../src/checkpoint/context.js";
import type { MonitorConfigInput } from "../../src/config/schema.js";

export function checkpointContext(measurements: Record<string, unknown>, config: MonitorConfigInput = {}): CheckpointContext {
  return {
    config: monitorConfigSchema.parse(config),
    checkpoint: { id: "x", phase: "stability", label: "stability", startedAt: "" },
    measurements: { phase: "stability", checkpoint: "x", startedAt: "", finishedAt: "", probes: Object.keys(measurements), state: {}, ...measurements },
    cutover: null,
    baselines: { hour1: null },
    history: [],
    attestations: [],
  } as unknown as CheckpointContext;
}
