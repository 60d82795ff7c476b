/**
 * Evaluators for the measured metrics (latency, error rate, memory, CPU) against docs/DESIGN.md's
 * bands and against baselines. Specs call these through check(); the same evaluator serves
 * every phase that checks the same line, so the thresholds live in one place: the config.
 */
import type { CheckOutcome } from "./outcome.js";
import { fmt, need } from "./outcome.js";
import type { CheckpointContext, Verdict } from "../checkpoint/context.js";
import { judgeBand } from "../judge/bands.js";
import { baselineOptionsFor, compareRatio, compareToBaseline } from "../judge/baseline.js";
import { METRIC } from "../judge/config.js";
import { memoryTrend } from "../judge/trend.js";
import { worst } from "../judge/verdict.js";

const ADVICE = {
  latency:
    "100-500 ms: monitor the trend, check for external delays, document it. Over 500 ms: check CPU and memory, review active queries/processes, investigate; unresolved after 10 min alert engineering",
  errorRate:
    "0.1-5 %: categorise the errors, identify the affected KPIs, document the pattern. Over 5 %: page on-call, check the logs for the error pattern, attempt a fix; unresolved after 15 min consider rollback",
  memory:
    "200-500 MB: monitor the growth rate (may indicate larger datasets). Over 500 MB or growing > 20 %/h: check for memory leaks, review audit trail growth, investigate data accumulation, prepare rollback",
  cpu: "50-80 %: monitor for sustained high usage, check for resource contention. Over 80 %: page and investigate",
};

export function kpiLatency(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.latency, "latency");
  const band = c.config.thresholds.kpiLatencyP95Ms;
  if (!m.endToEndMs) {
    return {
      verdict: "FAIL",
      notMeasured: true,
      measured: `not measured: no successful KPI request out of ${m.samplesRequested} (${statusText(m.statusCounts)})`,
      threshold: "at least one successful KPI calculation; " + judgeBand(null, band).threshold,
      advice: "the KPI endpoint does not answer: check the pipeline process and its logs",
      value: null,
    };
  }
  const j = judgeBand(m.endToEndMs.p95, band);
  const failures = m.failedCount ? `, ${m.failedCount} failed (${statusText(m.statusCounts)})` : "";
  return {
    verdict: j.verdict,
    measured: `KPI calculation latency p95 ${fmt.ms(m.endToEndMs.p95)} end to end (p50 ${fmt.ms(m.endToEndMs.p50)}, max ${fmt.ms(m.endToEndMs.max)}, server p95 ${fmt.ms(m.serverMs?.p95)}) over ${m.okCount} requests of ${m.tapeRows} rows${failures}`,
    threshold: j.threshold,
    advice: ADVICE.latency,
    value: round(m.endToEndMs.p95),
    evidence: { endToEndMs: m.endToEndMs, serverMs: m.serverMs, okCount: m.okCount, failedCount: m.failedCount },
  };
}

/**
 * "Latency consistent": no sample far outside the rest (at most 10 % of samples above
 * 5 x p50 + 10 ms). The p95 band is kpi-latency's fact; this check judges only the spread.
 */
export function kpiLatencyConsistent(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.latency, "latency");
  if (!m.endToEndMs) {
    return { verdict: "FAIL", notMeasured: true, measured: `not measured: no successful KPI request out of ${m.samplesRequested}`, threshold: "at least one successful KPI calculation", advice: "the KPI endpoint does not answer: see pipeline-up", value: null };
  }
  const limit = m.endToEndMs.p50 * 5 + 10;
  const outliers = m.samples.filter((s) => s.ok && s.endToEndMs > limit).length;
  const allowed = Math.max(1, Math.floor(m.okCount * 0.1));
  return {
    verdict: outliers > allowed ? "WARN" : "PASS",
    measured: `${outliers} of ${m.okCount} samples above ${fmt.ms(limit)} (5 x p50 + 10 ms; p50 ${fmt.ms(m.endToEndMs.p50)}, p95 ${fmt.ms(m.endToEndMs.p95)}, max ${fmt.ms(m.endToEndMs.max)})`,
    threshold: `at most ${allowed} sample(s) above 5 x p50 + 10 ms`,
    advice: "document the outliers and look for external delays (a busy host, garbage collection, slow storage)",
    value: outliers,
  };
}

export function errorRate(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.errorRate, "errorRate");
  const band = c.config.thresholds.errorRatePercent;
  const w = m.window;
  const r = w.required;
  const iso = (ms: number) => new Date(ms).toISOString();
  const windowText = r
    ? `${r.from} - ${r.to} (${r.reason === "minimum lookback" ? `minimum lookback ${r.minLookbackSeconds} s` : `since the previous checkpoint, ${r.seconds} s`})`
    : `since ${w.fromMs ? iso(w.fromMs) : "process start"}`;
  const counted =
    w.countedFrom === "earlier reading"
      ? `counted from the reading of ${iso(w.fromMs!)}`
      : w.countedFrom === "process start"
        ? `counted from the process start${w.fromMs != null ? ` ${iso(w.fromMs)}` : ""}`
        : w.countedFrom === "log timestamps"
          ? "log lines stamped in the window"
          : w.countedFrom === "log offset"
            ? "log lines since the previous checkpoint's offset (no timestamps)"
            : "";
  const sourceName = { metrics: "the pipeline's counters", logs: "log lines", monitor: "the monitor's own requests + failed-request log lines" } as const;
  const sources = m.sources ? `requests from ${sourceName[m.sources.requests]}, runs from ${sourceName[m.sources.runs]}` : `from ${m.source}`;
  const total = m.denominator ?? w.requests + w.runs;
  if (total === 0) {
    return {
      verdict: "FAIL",
      measured: `no KPI requests and no runs in the window ${windowText}: the error rate measured nothing`,
      threshold: judgeBand(null, band).threshold,
      advice: "check that the pipeline runs and that its metrics are exposed",
      value: null,
      evidence: { window: w },
    };
  }
  // The verdict judges the point estimate; the upper bound only says how much the sample can tell.
  const j = judgeBand(m.errorRatePercent, band);
  const failures = m.failures ?? w.failedRequests + w.failedRuns;
  const ub = m.upperBound95Percent;
  const ubText = ub == null ? "" : `, 95 % upper bound ${ub >= 1 ? ub.toFixed(2) : ub.toPrecision(3)} %${m.tooSmallToTell ? ` (too few to tell a ${m.resolutionPercent} % rate from 0)` : ""}`;
  return {
    verdict: j.verdict,
    measured: `error rate ${fmt.pct(m.errorRatePercent)}: ${w.failedRequests}/${w.requests} KPI requests failed, ${w.failedRuns}/${w.runs} runs failed; ${failures}/${total} in total${ubText}; window ${windowText}${counted ? `, ${counted}` : ""} (${sources}${m.restarted ? ", process restarted in the window" : ""})`,
    threshold: j.threshold,
    advice: ADVICE.errorRate,
    value: round(m.errorRatePercent, 4),
    evidence: {
      window: w,
      failures,
      denominator: total,
      errorRatePercent: m.errorRatePercent,
      upperBound95Percent: ub,
      tooSmallToTell: m.tooSmallToTell,
      confidence: m.confidence,
      sources: m.sources,
      source: m.source,
      restarted: m.restarted,
      fallbackReason: m.fallbackReason,
      notes: m.notes,
    },
  };
}

export function memory(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.resources, "resources");
  const j = judgeBand(m.samples.length ? m.rssMbMax : null, c.config.thresholds.memoryMb);
  return {
    verdict: j.verdict,
    measured: `memory (RSS of ${m.sourceText}) ${fmt.mb(m.rssMbMax)} max over ${m.samples.length} samples in ${m.windowMs} ms`,
    threshold: j.threshold,
    advice: ADVICE.memory,
    value: m.samples.length ? round(m.rssMbMax) : null,
    evidence: { source: m.source, sourceText: m.sourceText, pid: m.pid, rssMbMax: m.rssMbMax, rssMbLast: m.rssMbLast, samples: m.samples.length },
  };
}

export function cpu(c: CheckpointContext): CheckOutcome {
  const m = need(c.measurements.resources, "resources");
  const j = judgeBand(m.samples.length ? m.cpuPercentMean : null, c.config.thresholds.cpuPercent);
  return {
    verdict: j.verdict,
    measured: `CPU ${fmt.pct(m.cpuPercentMean)} of one core (mean over ${m.windowMs} ms, ${m.samples.length} samples, max ${fmt.pct(m.cpuPercentMax)}; ${m.sourceText})`,
    threshold: j.threshold,
    advice: ADVICE.cpu,
    value: m.samples.length ? round(m.cpuPercentMean) : null,
    evidence: { source: m.source, sourceText: m.sourceText, pid: m.pid, cpuPercentMean: m.cpuPercentMean, cpuPercentMax: m.cpuPercentMax, samples: m.samples.length },
  };
}

/**
 * Memory samples of earlier checkpoints plus this one's, in real sample time. The `--at` label
 * is never used for rates.
 */
export function memorySeries(c: CheckpointContext): { t: number; mb: number }[] {
  const points: { t: number; mb: number }[] = [];
  for (const h of c.history) {
    if (h.memorySamples?.length) points.push(...h.memorySamples);
    else if (h.memory_mb != null) points.push({ t: Date.parse(h.timestamp), mb: h.memory_mb });
  }
  const r = c.measurements.resources;
  if (r?.ok) points.push(...r.data.samples.map((s) => ({ t: s.at, mb: s.rssMb })));
  return points.sort((a, b) => a.t - b.t);
}

/**
 * A growth rate extrapolated from a few minutes is noise on a busy machine (2 MB in 10 s is
 * 700 MB/h): the trend is judged only over at least this window.
 */
export const MIN_TREND_WINDOW_MINUTES = 10;

/** Memory growth in %/h over the history and this checkpoint, or null when the window is too short. */
export function memoryGrowthPercentPerHour(c: CheckpointContext): number | null {
  const trend = memoryTrend(memorySeries(c));
  if (trend.status === "insufficient" || trend.windowMinutes < MIN_TREND_WINDOW_MINUTES) return null;
  return trend.growthPercentPerHour;
}

/** "Memory stable and not growing" / "No memory growth pattern detected" / "Zero memory leaks". */
export function memoryGrowth(c: CheckpointContext): CheckOutcome {
  const band = memory(c);
  const series = memorySeries(c);
  const trend = memoryTrend(series);
  const failAt = c.config.thresholds.memoryGrowthPercentPerHour.failAt;
  if (trend.status === "insufficient" || trend.growthPercentPerHour === null || trend.windowMinutes < MIN_TREND_WINDOW_MINUTES) {
    // Too short a history for a rate (a compressed rehearsal, or the first minutes after the
    // cutover): a second of samples cannot show a leak (one run's allocation moves RSS by a
    // quarter, and back), so growth is not judged yet: a WARN that says so, never an alert.
    const res = need(c.measurements.resources, "resources");
    if (!res.samples.length) {
      return { verdict: "FAIL", notMeasured: true, measured: "not measured: no memory sample", threshold: `growth <= ${failAt} %/h`, advice: "check the resources probe (pidfile, sampling window)", value: null };
    }
    return {
      verdict: "WARN",
      measured: `memory history spans ${trend.windowMinutes.toFixed(1)} min: too short for a growth rate (needs ${MIN_TREND_WINDOW_MINUTES} min); now ${band.measured}`,
      threshold: `growth <= ${failAt} %/h over at least ${MIN_TREND_WINDOW_MINUTES} min of history`,
      advice: "growth is judged once the checkpoints span 10 minutes; the memory band is judged now",
      value: null,
      evidence: { seriesLength: series.length, windowMinutes: trend.windowMinutes },
    };
  }
  const growth = trend.growthPercentPerHour;
  // Growth only: the absolute band is the memory check's fact.
  const verdict = growth > failAt ? "FAIL" : "PASS";
  const projection = trend.hoursTo500Mb != null ? `, ${trend.hoursTo500Mb.toFixed(1)} h to 500 MB at this rate` : "";
  return {
    verdict,
    measured: `memory growth ${growth.toFixed(1)} %/h (${trend.slopeMbPerHour.toFixed(1)} MB/h, r2 ${trend.r2.toFixed(2)}) over ${trend.windowMinutes.toFixed(1)} min and ${trend.samples} samples${projection}; now ${band.measured}`,
    threshold: `growth <= ${failAt} %/h`,
    advice: ADVICE.memory,
    value: round(growth, 2),
    evidence: { trend, seriesLength: series.length },
  };
}

/** The fitted change over the window in percent of the fitted level. */
function driftPercent(t: Extract<ReturnType<typeof memoryTrend>, { status: "ok" }>): number {
  const level = (t.fittedFirstMb + t.fittedLastMb) / 2;
  return level > 0 ? (Math.abs(t.fittedIncreaseMb) / level) * 100 : 0;
}

/** "Memory Stable ±10 %" over the history window. */
export function memoryStable(c: CheckpointContext): CheckOutcome {
  const series = memorySeries(c);
  const trend = memoryTrend(series);
  const within = c.config.thresholds.memoryStableWithinPercent;
  if (trend.status === "insufficient") {
    return {
      verdict: "FAIL",
      measured: `memory stability cannot be judged: ${trend.reason}`,
      threshold: `max deviation from the mean <= ${within} %`,
      advice: "the history holds too few memory samples; check that checkpoints ran on schedule",
      value: null,
    };
  }
  // "Stable ±10 %" is about drift, not the sawtooth of garbage collection: the linear fit's change
  // over the window, relative to its level (the largest single deviation is shown as evidence).
  const drift = driftPercent(trend);
  if (trend.windowMinutes < MIN_TREND_WINDOW_MINUTES) {
    // A rehearsal that compresses the 24 hours into minutes sees warm-up, not stability.
    return {
      verdict: "WARN",
      measured: `memory history spans ${trend.windowMinutes.toFixed(1)} min (${trend.samples} samples): too short to judge stability (needs ${MIN_TREND_WINDOW_MINUTES} min); drift so far ${drift.toFixed(1)} %`,
      threshold: `drift <= ${within} % over at least ${MIN_TREND_WINDOW_MINUTES} min of history`,
      advice: "judge it again once the checkpoints span more time",
      value: round(drift, 2),
    };
  }
  // Growth beyond the band fails; a fall beyond it is shown (memory released, or less work being
  // done: worth a look) but is not instability in the checklist's sense of a leak.
  const falling = trend.fittedIncreaseMb < 0;
  return {
    verdict: drift <= within ? "PASS" : falling ? "WARN" : "FAIL",
    measured: `memory ${falling ? "fell" : "grew"} ${drift.toFixed(1)} % over ${trend.windowMinutes.toFixed(0)} min (linear fit, ${trend.samples} samples, ${trend.fittedFirstMb.toFixed(1)} -> ${trend.fittedLastMb.toFixed(1)} MB); largest single deviation from the mean ${trend.stableWithinPercent.toFixed(1)} %`,
    threshold: `drift <= ${within} % (growth beyond it FAILs, a fall beyond it WARNs)`,
    advice: ADVICE.memory,
    value: round(drift, 2),
  };
}

/**
 * "Compare metrics to Hour 1 baseline" / "All metrics stable within 5 % of baseline":
 * latency distributions by Mann-Whitney U plus relative change and a minimum absolute effect;
 * memory, CPU and error rate against the hour-1 values with the same tolerance and effects.
 */
export function againstHour1Baseline(c: CheckpointContext): CheckOutcome {
  const base = c.baselines.hour1;
  const t = c.config.thresholds;
  if (!base) {
    return {
      verdict: "FAIL",
      measured: "no hour-1 baseline recorded",
      threshold: `within ${t.baselineTolerancePercent} % of the hour-1 baseline`,
      advice: "run the hour1 checkpoint (npm run checkpoint -- --phase=hour1); a missing baseline is never a PASS",
      value: null,
    };
  }
  const lat = need(c.measurements.latency, "latency");
  const opts = (metric: string) => baselineOptionsFor(metric, t)!;
  const cmp = compareToBaseline({
    ...opts(METRIC.kpiLatencyMs),
    current: lat.samples.filter((s) => s.ok).map((s) => s.endToEndMs),
    baseline: base.latencySamplesMs,
  });
  const parts = [
    `latency median ${fmt.ms(cmp.medianCurrent)} vs ${fmt.ms(cmp.medianBaseline)} (${signed(cmp.relativeChangePercent)} %, p=${fmtP(cmp.pValue)}) ${cmp.verdict}`,
  ];
  let verdict: Verdict = cmp.verdict;
  // Single numbers of the hour-1 checkpoint: a ratio with the same tolerance and minimum effects.
  const res = c.measurements.resources;
  const er = c.measurements.errorRate;
  const points: [string, number | null | undefined, number | null][] = [
    [METRIC.memoryMb, res?.ok ? res.data.rssMbMax : undefined, base.memoryMb],
    [METRIC.cpuPercent, res?.ok ? res.data.cpuPercentMean : undefined, base.cpuPercent],
    [METRIC.errorRatePercent, er?.ok ? er.data.errorRatePercent : undefined, base.errorRatePercent],
  ];
  const ratios = [];
  for (const [metric, current, baseline] of points) {
    if (current === undefined || baseline == null) continue;
    const r = compareRatio({ ...opts(metric), current, baseline });
    ratios.push(r);
    parts.push(r.reason);
    verdict = worst(verdict, r.verdict);
  }
  return {
    // Worse than baseline is a WARN (the absolute bands decide FAIL, in their own specs); FAIL
    // here only means nothing to compare (no samples): never a PASS.
    verdict,
    measured: parts.join("; "),
    threshold: `a change for the worse that is significant (alpha ${t.significanceAlpha}), above ${t.baselineTolerancePercent} % and above the minimum effect warns (hour-1 baseline ${base.recordedAt})`,
    advice: "compare with the hour-1 checkpoint in the report; find what changed (load, data volume, deploys) and document it",
    value: cmp.relativeChangePercent == null ? null : round(cmp.relativeChangePercent, 2),
    evidence: { latency: cmp, ratios, baselineRecordedAt: base.recordedAt, baselineCheckpoint: base.checkpointId },
  };
}


function statusText(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${v} x ${k}`)
    .join(", ");
}

export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function signed(v: number | null): string {
  if (v == null) return "n/a";
  if (!Number.isFinite(v)) return String(v);
  return `${v >= 0 ? "+" : ""}${v.toFixed(1)}`;
}

function fmtP(p: number | null): string {
  if (p == null) return "n/a";
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}
