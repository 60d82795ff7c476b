/**
 * One sample of the watch: a small set of fast probes between checkpoints (health, a few KPI
 * requests on the golden tape, the error counters, RSS and CPU of the pipeline process over a short
 * window, restarts, new log lines, audit events, output freshness), judged by the catalogue's own
 * evaluators: the checks that feed an alert rule and whose probes a sample runs. The verdicts go
 * through the alert rules like a checkpoint's, so the real-time rules act at the right minute.
 * Each sample is one small line (< 1 KB) of `samples.jsonl`.
 */
import type { MonitorConfig } from "../config/schema.js";
import type { PhaseName } from "../config/schedule.js";
import { CATALOGUE } from "../catalogue/catalogue.js";
import { assess, type CheckDef } from "../catalogue/check.js";
import type { CheckpointContext, CheckRecord, CutoverState, HistoryPoint } from "../checkpoint/context.js";
import { collect } from "../probes/collect.js";
import type { Measurements } from "../probes/measurements.js";
import type { ProbeName, ProbeState } from "../probes/probe.js";
import { MIN_CPU_WINDOW_MS } from "./compress.js";
import type { WatchTime } from "./time.js";

/** What a sample measures (in collect's stage order: resources, then the KPI request, then the rest). */
export const SAMPLE_PROBES: ProbeName[] = ["resources", "latency", "errorRate", "health", "audit", "dataQuality", "logs"];

/** The real-time checks: those with an alert rule whose probes a sample runs. */
export const SAMPLE_CHECKS: readonly CheckDef[] = CATALOGUE.filter((d) => "rule" in d.alert && d.probes.length > 0 && d.probes.every((p) => SAMPLE_PROBES.includes(p)));

/**
 * KPI requests per sample. Three, not one: the pipeline-up check reads "no successful answer" as
 * the endpoint being down, and one request cannot tell an injected 500 from a dead endpoint; the
 * p95 of three is their maximum, so a latency fault shows at once.
 */
export const SAMPLE_KPI_REQUESTS = 3;

/** The longest a sample's CPU window is (real ms): a sample is a glance, the checkpoint takes the long look. */
export const SAMPLE_CPU_WINDOW_MS = 500;

export type Kind = "sample" | "checkpoint" | "missed" | "gap" | "start" | "end" | "fault";

export type { SampleLine, WatchLine } from "./watch-lines.js";
import type { SampleLine, WatchLine } from "./watch-lines.js";

export interface SampleResult {
  measurements: Measurements;
  checks: CheckRecord[];
  state: ProbeState;
}

/** The target a sample probes: a few KPI requests, a short CPU window, a short wait for audit events. */
export function sampleTarget(config: MonitorConfig): MonitorConfig["target"] {
  const t = structuredClone(config.target);
  t.kpi.samples = Math.min(t.kpi.samples, SAMPLE_KPI_REQUESTS);
  // Side by side: a slow endpoint costs a sample one request's time, not three.
  t.kpi.concurrency = t.kpi.samples;
  t.process.cpuWindowMs = Math.max(MIN_CPU_WINDOW_MS, Math.min(t.process.cpuWindowMs, SAMPLE_CPU_WINDOW_MS));
  t.process.cpuSampleIntervalMs = Math.min(t.process.cpuSampleIntervalMs, Math.floor(t.process.cpuWindowMs / 4));
  t.audit.settleMs = Math.min(t.audit.settleMs, 500);
  return t;
}

/**
 * Restarts the probe remembers "within the hour" are in real time; under compression the hour is
 * a simulated one, so older restarts are dropped here before the probe counts them.
 */
export function pruneRestarts(state: ProbeState, time: WatchTime): ProbeState {
  const id = state.processIdentity;
  if (!id || time.speed === 1) return state;
  const now = time.real.now();
  const restarts = id.restarts.filter((t) => {
    const at = Date.parse(t);
    return Number.isFinite(at) && (now - at) * time.speed < 3_600_000;
  });
  return { ...state, processIdentity: { ...id, restarts } };
}

export async function takeSample(input: {
  config: MonitorConfig;
  time: WatchTime;
  cutover: CutoverState;
  previous: ProbeState;
  /** Memory history (this cutover's checkpoints and the watch's samples) for the growth rate. */
  history: HistoryPoint[];
  index: number;
  label: string;
}): Promise<SampleResult> {
  const { config, time } = input;
  const target = sampleTarget(config);
  const startedAt = new Date(time.clock.now()).toISOString();
  const measurements = await collect("watch", target, {
    previous: pruneRestarts(input.previous, time),
    now: () => time.real.now(),
    checkpoint: `sample #${input.index}`,
    cutoverStartedAt: input.cutover.startedAt,
  }, SAMPLE_PROBES);
  // RSS and CPU readings carry no stamp of the target's: they go on the monitor's clock, so the
  // growth rate is per (simulated) hour.
  if (measurements.resources?.ok) for (const s of measurements.resources.data.samples) s.at = time.toSim(s.at);
  const context: CheckpointContext = {
    config: { ...config, target },
    checkpoint: { id: `sample-${input.index}`, phase: "stability" as PhaseName, label: input.label, startedAt },
    measurements,
    cutover: input.cutover,
    baselines: { hour1: null },
    history: input.history,
    attestations: [],
  };
  const checks = assess(context, SAMPLE_CHECKS, () => "phase");
  return { measurements, checks, state: measurements.state };
}

/** The memory history point that carries the watch's RSS samples (no phase: no criterion counts it). */
export function watchHistoryPoint(points: { t: number; mb: number }[]): HistoryPoint[] {
  if (!points.length) return [];
  return [
    {
      timestamp: new Date(points[0]!.t).toISOString(),
      checkpointId: "watch-samples",
      phase: "watch" as PhaseName,
      memory_mb: null,
      memorySamples: points,
      kpi_latency_ms: null,
      error_rate_percent: null,
      cpu_percent: null,
      audit_trail_events: null,
      validation_status: null,
      verdict: "PASS",
      pipeline_status: "watch",
    },
  ];
}

/** The compact sample line. */
export function sampleLine(i: number, t: string, session: number, r: SampleResult, rules: { fired: string[]; escalated: string[]; resolved: string[]; firing: string[]; decision: string }, ms: number): SampleLine {
  const m = r.measurements;
  const up = r.checks.find((c) => c.id === "pipeline-up");
  const num = (id: string) => {
    const v = r.checks.find((c) => c.id === id)?.value;
    return typeof v === "number" ? v : null;
  };
  const logs = m.logs?.ok ? m.logs.data.newSincePreviousCheckpoint : null;
  return {
    kind: "sample",
    i,
    t,
    session,
    up: up?.verdict === "PASS" ? true : up?.verdict === "FAIL" ? false : null,
    v: Object.fromEntries(r.checks.filter((c) => c.verdict !== "PASS").map((c) => [c.id, c.verdict[0]!])),
    rss: m.resources?.ok ? m.resources.data.rssMbMax : null,
    cpu: num("cpu"),
    lat: num("kpi-latency"),
    err: num("error-rate"),
    log_errors: logs ? logs.errors + logs.critical : null,
    ...(rules.fired.length ? { fired: rules.fired } : {}),
    ...(rules.escalated.length ? { escalated: rules.escalated } : {}),
    ...(rules.resolved.length ? { resolved: rules.resolved } : {}),
    firing: rules.firing,
    decision: rules.decision,
    ms: Math.round(ms),
  };
}
