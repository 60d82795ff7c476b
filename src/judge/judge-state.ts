/** Everything the judge keeps between checkpoints: alert state, silences, recorded baselines. */
import { z } from "zod";
import { stateFile, type StateFile } from "../state/state-file.js";
import type { FileLockOptions } from "../state/file-lock.js";
import { alertStateSchema, emptyAlertState } from "./alert-rules.js";
import { baselineRecordSchema } from "./baseline.js";
import { silenceSchema } from "./silences.js";

export const judgeStateSchema = z.object({
  version: z.literal(1),
  alerts: alertStateSchema,
  silences: z.array(silenceSchema),
  /** Recorded baselines by name, e.g. "hour1". */
  baselines: z.record(z.string(), baselineRecordSchema),
});
export type JudgeState = z.infer<typeof judgeStateSchema>;

export function emptyJudgeState(): JudgeState {
  return { version: 1, alerts: emptyAlertState(), silences: [], baselines: {} };
}

/** The judge's state file, e.g. `reports/judge-state.json`. */
export function judgeStateFile(path: string, lock?: FileLockOptions): StateFile<JudgeState> {
  return stateFile(path, judgeStateSchema, emptyJudgeState, lock);
}
