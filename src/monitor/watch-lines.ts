/** The lines of samples.jsonl (types only: read by the uptime criterion without the sampler). */

/** One line of samples.jsonl. `t` is the monitor's clock (simulated under --speed), ISO. */
export type WatchLine =
  | SampleLine
  | { kind: "checkpoint"; t: string; end: string; session: number; index: number; slot: string; id: string; verdict: string; exit: number; up: boolean | null; late_min?: number; firing: string[]; /** Real ms the checkpoint took inside the watch. */ ms?: number }
  | { kind: "missed"; t: string; session: number; index: number; slot: string; reason: string }
  | { kind: "gap"; t: string; session: number; from: string; to: string; minutes: number; reason: string }
  | { kind: "start"; t: string; session: number; pid: number; speed: number; every: number; resumed: boolean; real: string; scenario: string | null }
  | { kind: "end"; t: string; session: number; reason: string; exit: number; verdict?: string }
  | { kind: "fault"; t: string; session: number; at: string; started: string[]; cleared: string[]; faults: string[]; confirmed: boolean };

export interface SampleLine {
  kind: "sample";
  /** Sample index, counted over the whole watch (across restarts). */
  i: number;
  t: string;
  session: number;
  /** pipeline-up: true PASS, false FAIL (measured down), null not judged (the monitor's own error). */
  up: boolean | null;
  /** The judged checks that did not PASS, by id: their verdict's first letter (W F E). */
  v: Record<string, string>;
  rss: number | null;
  cpu: number | null;
  lat: number | null;
  err: number | null;
  /** New ERROR/CRITICAL log lines since the previous sample. */
  log_errors: number | null;
  /** Alert transitions at this sample. */
  fired?: string[];
  escalated?: string[];
  resolved?: string[];
  firing: string[];
  decision: string;
  /** Real ms the sample took. */
  ms: number;
}
