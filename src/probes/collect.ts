import type { TargetConfig } from "../config/target.js";
import { oneLine, errorText } from "./target-io.js";
import { probeAudit } from "./audit.js";
import { probeCutover } from "./cutover.js";
import { probeDataQuality } from "./data-quality.js";
import { dataQualityDeadlineMs } from "./outputs/deadline.js";
import { probeErrorRate } from "./error-rate.js";
import { probeHealth } from "./health.js";
import { probeKpiLatency } from "./kpi-latency.js";
import { probeLogs } from "./logs.js";
import { probeResources } from "./resources.js";
import { probeTestSuite } from "./test-suite.js";
import { probeValidation } from "./validation.js";
import type { Measurements } from "./measurements.js";
import type { ProbeContext, ProbeName, ProbeResult, ProbeState } from "./probe.js";

type AnyProbe = (target: TargetConfig, ctx: ProbeContext) => Promise<ProbeResult<unknown>>;

export const PROBES: Record<ProbeName, AnyProbe> = {
  health: probeHealth,
  latency: probeKpiLatency,
  errorRate: probeErrorRate,
  resources: probeResources,
  logs: probeLogs,
  audit: probeAudit,
  validation: probeValidation,
  dataQuality: probeDataQuality,
  cutover: probeCutover,
  testSuite: probeTestSuite,
};

/**
 * Order of a checkpoint's probes, as stages run one after the other; probes within a stage run
 * concurrently:
 * 1. cutover (changes the target; everything else observes the result);
 * 2. the target's commands: its own test suite and the validation (CPU-heavy processes, kept out
 *    of every measurement window);
 * 3. resources: the CPU/RSS window is taken while the monitor sends nothing;
 * 4. latency: the KPI burst alone, so nothing else competes with it;
 * 5. error rate, which must read the counters AFTER the latency burst (its requests make the
 *    window non-empty), with health, audit, data quality and logs (last, so it sees
 *    the lines the other probes caused).
 */
export const PROBE_STAGES: ProbeName[][] = [
  ["cutover"],
  ["testSuite"],
  ["validation"],
  ["resources"],
  ["latency"],
  ["errorRate", "health", "audit", "dataQuality", "logs"],
];

/** Outer watchdog per probe: its own timeouts should always fire first. */
export function probeDeadlineMs(name: ProbeName, target: TargetConfig): number {
  const slack = 15_000;
  switch (name) {
    case "cutover":
      return target.cutover.timeoutMs + target.requestTimeoutMs + slack;
    case "validation":
      return target.validation.timeoutMs + slack;
    case "testSuite":
      return target.testSuite.timeoutMs + slack;
    case "latency":
      return target.kpi.samples * target.requestTimeoutMs + slack;
    case "resources":
      return target.process.cpuWindowMs + 2 * target.requestTimeoutMs + slack;
    case "audit":
      return 4 * target.requestTimeoutMs + target.audit.settleMs + slack;
    case "dataQuality":
      // scaled to the files and channels it reads; the probe's own deadline (naming the channel) fires first
      return dataQualityDeadlineMs(target) + slack;
    default:
      return 2 * target.requestTimeoutMs + slack;
  }
}

/** Run one probe so that it can neither throw nor hang: both become monitor failures. */
export async function runGuarded<T>(
  name: ProbeName,
  fn: () => Promise<ProbeResult<T>>,
  deadlineMs: number,
): Promise<ProbeResult<T>> {
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const watchdog = new Promise<ProbeResult<T>>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          failure: "monitor",
          message: `monitor error: probe ${name} did not finish within ${deadlineMs} ms`,
          durationMs: Math.round(performance.now() - t0),
        }),
      deadlineMs,
    );
    timer.unref?.();
  });
  try {
    return await Promise.race([
      fn().catch(
        (err): ProbeResult<T> => ({
          ok: false,
          failure: "monitor",
          message: oneLine(`monitor error: probe ${name} threw: ${errorText(err)}`),
          durationMs: Math.round(performance.now() - t0),
        }),
      ),
      watchdog,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Measure once: run the given probes (the checks' needs, src/catalogue) in PROBE_STAGES order and
 * return JSON-serialisable measurements plus the state to persist for the next checkpoint
 * (counters, log offset, audit watermark, log totals since cutover; pieces not measured this
 * time are carried over from ctx.previous).
 */
export async function collect(
  phase: string,
  target: TargetConfig,
  ctx: ProbeContext,
  /** Which probes to run: the checkpoint's checks name them (catalogue probesOfPhase). */
  probes: ProbeName[],
): Promise<Measurements> {
  const startedAt = new Date(ctx.now()).toISOString();
  const wanted = new Set(probes);
  const results: Partial<Record<ProbeName, ProbeResult<unknown>>> = {};
  const runCtx: ProbeContext = { ...ctx };
  for (const stage of PROBE_STAGES) {
    const names = stage.filter((n) => wanted.has(n));
    await Promise.all(
      names.map(async (name) => {
        results[name] = await runGuarded(name, () => PROBES[name](target, runCtx), probeDeadlineMs(name, target));
      }),
    );
    const lat = results.latency;
    if (names.includes("latency") && lat?.ok) {
      const d = lat.data as { samples: unknown[]; failedCount: number };
      runCtx.requestsSentByMonitor = (ctx.requestsSentByMonitor ?? 0) + d.samples.length;
      runCtx.requestsFailedByMonitor = (ctx.requestsFailedByMonitor ?? 0) + d.failedCount;
    }
  }
  const prev = ctx.previous ?? {};
  const state: ProbeState = { ...prev };
  const er = results.errorRate;
  if (er?.ok) state.counters = (er.data as { counters: ProbeState["counters"] }).counters;
  const logs = results.logs;
  if (logs?.ok) {
    const d = logs.data as { state: ProbeState["logState"]; sinceCutover: ProbeState["logTotalsSinceCutover"] };
    state.logState = d.state;
    state.logTotalsSinceCutover = d.sinceCutover;
  }
  const res = results.resources;
  if (res?.ok) {
    const d = res.data as { process: { pid: number; startedAtMs: number | null }; restart: { restartsWithinHour: string[] } };
    state.processIdentity = { pid: d.process.pid, startedAtMs: d.process.startedAtMs, restarts: d.restart.restartsWithinHour };
  }
  const audit = results.audit;
  if (audit?.ok) state.auditWatermark = (audit.data as { watermark: ProbeState["auditWatermark"] }).watermark;
  return {
    phase,
    checkpoint: ctx.checkpoint ?? startedAt,
    startedAt,
    finishedAt: new Date(ctx.now()).toISOString(),
    probes: (Object.keys(PROBES) as ProbeName[]).filter((n) => wanted.has(n)),
    ...(results as Omit<Measurements, "phase" | "checkpoint" | "startedAt" | "finishedAt" | "probes" | "state">),
    state,
  };
}
