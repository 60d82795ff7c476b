/**
 * Evaluators for the pipeline's liveness (up, restarted) and for the 24-hour success criteria
 * judged over the history of earlier checkpoints. Pure functions of the checkpoint context.
 */
import type { CheckOutcome } from "./outcome.js";
import { fmt, need } from "./outcome.js";
import type { CheckpointContext, HistoryPoint } from "../checkpoint/context.js";
import { judgeBand } from "../judge/bands.js";
import { attestation, historyAll, historyMean } from "./readiness.js";
import { auditRunsGenerating } from "./pipeline.js";
import type { UptimeEvidence } from "../monitor/uptime.js";

/**
 * "Pipeline down / unreachable": every endpoint and the process this checkpoint tried to reach
 * answered. Each unreachable part is named; what it made unmeasurable is shown as not measured
 * by its own check.
 */
export function pipelineUp(c: CheckpointContext): CheckOutcome {
  const m = c.measurements;
  const down: string[] = [];
  const up: string[] = [];
  // Unreachable is this check's measurement, not a missing one: a target failure of a probe is
  // evidence that the pipeline is down; only the monitor's own failure leaves it unjudged.
  const health = m.health;
  if (!health) need(health, "health");
  else if (!health.ok) {
    if (health.failure === "target") down.push(`health: ${health.message}`);
    else need(health, "health");
  } else {
    up.push(`health ${health.data.url} answered ${health.data.httpStatus}`);
    for (const e of health.data.extraEndpoints.filter((x) => x.httpStatus === null)) down.push(`${e.name} ${e.url}: ${e.error ?? "no answer"}`);
  }
  if (m.latency) {
    if (!m.latency.ok) {
      if (m.latency.failure === "target") down.push(`KPI endpoint: ${m.latency.message}`);
    } else if (m.latency.data.okCount === 0) {
      down.push(`KPI endpoint ${m.latency.data.url}: no successful answer to ${m.latency.data.samplesRequested} requests (${Object.entries(m.latency.data.statusCounts).map(([k, v]) => `${k}: ${v}`).join(", ")})`);
    } else up.push(`KPI endpoint answered ${m.latency.data.okCount}/${m.latency.data.samplesRequested}`);
  }
  if (m.errorRate && !m.errorRate.ok && m.errorRate.failure === "target") down.push(`metrics: ${m.errorRate.message}`);
  if (m.resources) {
    if (!m.resources.ok) {
      if (m.resources.failure === "target") down.push(`process: ${m.resources.message}`);
    } else up.push(`process running (${m.resources.data.sourceText})`);
  }
  return {
    verdict: down.length ? "FAIL" : "PASS",
    measured: down.length ? `unreachable: ${down.join("; ")}` : up.join("; "),
    threshold: "the health endpoint, the KPI endpoint, the metrics endpoint and the process all answer",
    advice: "page on-call: the pipeline is down or unreachable; check the process, its host and its last log lines; unresolved for 15 min -> rollback recommended",
    value: down.length,
    evidence: { down, up },
  };
}

/** The pipeline process restarted since the previous checkpoint (pid or start time changed). */
export function pipelineRestarted(c: CheckpointContext): CheckOutcome {
  const r = need(c.measurements.resources, "resources");
  const info = r.restart;
  if (!info) {
    return {
      verdict: "ERROR",
      notMeasured: true,
      measured: "the resources probe reported no process identity",
      threshold: "process identity (pid, start time) known",
      advice: "report this monitor defect",
      value: null,
    };
  }
  if (r.process && r.process.pid === null && r.process.startedAtMs === null) {
    // The process metrics carry no pid: without the start time nothing tells a restart.
    return {
      verdict: "ERROR",
      notMeasured: true,
      measured: `restarts not measurable: ${r.metrics?.url ?? "the metrics endpoint"} has no ${r.metrics?.startTime ?? "process start time"} (metrics.processStartTime), and the process metrics carry no pid`,
      threshold: "process identity (start time) known",
      advice: "export the process start time (prom-client's default metrics do) or name it in metrics.processStartTime",
      value: null,
    };
  }
  const n = info.restartsWithinHour.length;
  const who = (p: { pid: number | null; startedAtMs: number | null }) => [p.pid !== null ? `pid ${p.pid}` : "the process", p.startedAtMs ? `started ${new Date(p.startedAtMs).toISOString()}` : ""].filter(Boolean).join(" ");
  const was = info.previous ? who(info.previous) : "no earlier observation";
  const now = `${who(r.process ?? { pid: r.pid, startedAtMs: null })} (${r.source === "metrics" ? `${r.metrics?.startTime ?? "process start time"} of ${r.metrics?.url ?? "the metrics endpoint"}` : `pidfile ${r.pidFile}`})`;
  return {
    verdict: n >= 2 ? "FAIL" : info.restartedSincePrevious || n === 1 ? "WARN" : "PASS",
    measured: `${info.restartedSincePrevious ? "restarted since the previous checkpoint" : "not restarted since the previous checkpoint"} (was ${was}, now ${now}); ${n} restart(s) in the last hour${n ? ` at ${info.restartsWithinHour.join(", ")}` : ""}`,
    threshold: "no restart (one restart in an hour: WARN; a second within the hour: FAIL)",
    advice: "read the pipeline log around the restart for the crash cause (out of memory, unhandled error); a second restart within the hour pages on-call",
    value: n,
    evidence: { restart: info, source: r.source },
  };
}

/** Attestations other than the sign-off, all recorded by the final check. */
export function attestationsRecorded(c: CheckpointContext): CheckOutcome {
  const ids = c.config.attestations.map((a) => a.id).filter((id) => !id.startsWith("signoff-"));
  const parts = ids.map((id) => ({ id, r: attestation(c, id) }));
  const missing = parts.filter((p) => p.r.verdict !== "PASS");
  return {
    verdict: missing.length ? "WARN" : "PASS",
    measured: missing.length ? `awaiting attestation: ${missing.map((p) => p.id).join(", ")}` : `all ${parts.length} recorded`,
    threshold: "every person-only line attested by the final check",
    advice: "record each with npm run attest -- --item ID --by NAME",
    value: `${parts.length - missing.length}/${parts.length}`,
  };
}

const EARLY = ["hour0", "hour1", "stability", "extended"];
const LATE = ["extended", "day", "final"];
const AFTER_CUTOVER = ["hour1", "stability", "extended", "day", "final"];
const at = (p: HistoryPoint) => `${p.phase}${p.scheduledAt ? "@" + p.scheduledAt : ""}`;

export function anomaliesDocumented(c: CheckpointContext): CheckOutcome {
  return historyAll(c, {
    phases: AFTER_CUTOVER,
    what: "checkpoints without a WARN or FAIL (anomalies are listed with their checkpoint)",
    threshold: "every anomaly is in the record; none unexplained at the end",
    advice: "read each listed checkpoint's WARN/FAIL lines in the report and document them",
    ok: (p) => (p.verdict === "PASS" ? true : p.verdict === "WARN" ? "warn" : false),
  });
}

export const hour0Passed = (c: CheckpointContext) =>
  historyAll(c, { phases: ["hour0"], what: "hour0 checkpoint without FAIL", threshold: "the hour0 checkpoint passed", advice: "see the hour0 checkpoint in the report", ok: (p) => p.verdict !== "FAIL" && p.verdict !== "ERROR" });

export const validationsPassedEarly = (c: CheckpointContext) =>
  historyAll(c, { phases: ["hour1", "extended"], what: "validation status PASS", threshold: "every validation in hours 0-8 PASS", advice: "see the failing validations in the report", ok: (p) => p.validation_status === "PASS" });

export const baselineHeldEarly = (c: CheckpointContext) =>
  historyAll(c, { phases: ["stability", "extended"], what: "checkpoints without FAIL", threshold: "no checkpoint in hours 1-8 failed its bands", advice: "see the listed checkpoints", ok: (p) => p.verdict !== "FAIL" });

export const noCriticalEarly = (c: CheckpointContext) =>
  historyAll(c, { phases: EARLY, what: "checkpoints without FAIL", threshold: "no FAIL in hours 0-8", advice: "see the listed checkpoints", ok: (p) => p.verdict !== "FAIL" });

export const auditEarly = (c: CheckpointContext) =>
  historyAll(c, { phases: ["hour1", "stability", "extended"], what: "audit events recorded", threshold: "audit events at every checkpoint of hours 1-8", advice: "see the checkpoints without events", ok: (p) => (p.audit_trail_events ?? 0) > 0 });

export const stabilityLate = (c: CheckpointContext) =>
  historyAll(c, { phases: LATE, what: "checkpoints without FAIL", threshold: "no FAIL in hours 8-24", advice: "see the listed checkpoints", ok: (p) => p.verdict !== "FAIL" });

export const auditContinuous = (c: CheckpointContext) =>
  historyAll(c, {
    phases: AFTER_CUTOVER,
    what: "audit events recorded",
    threshold: "audit events at every checkpoint since hour 1",
    advice: "audit trail gaps: see the listed checkpoints",
    ok: (p) => (p.audit_trail_events ?? 0) > 0,
    includeCurrent: () => auditRunsGenerating(c).verdict === "PASS",
  });

/** "Error Rate: target <0.1%" over the 24 hours: the worst checkpoint decides. */
export function errorRate24h(c: CheckpointContext): CheckOutcome {
  const now = c.measurements.errorRate?.ok ? c.measurements.errorRate.data.errorRatePercent : null;
  const s = historyMean(c, "error_rate_percent", now);
  const j = judgeBand(s.max, c.config.thresholds.errorRatePercent);
  return { verdict: j.verdict, measured: `highest error rate over ${s.n} checkpoints ${fmt.pct(s.max)} (mean ${fmt.pct(s.mean)})`, threshold: j.threshold, advice: "see the checkpoints with errors", value: s.max };
}

/** "Avg Latency: target <100ms" over the 24 hours. */
export function avgLatency24h(c: CheckpointContext): CheckOutcome {
  const now = c.measurements.latency?.ok ? (c.measurements.latency.data.endToEndMs?.p95 ?? null) : null;
  const s = historyMean(c, "kpi_latency_ms", now);
  const j = judgeBand(s.mean, c.config.thresholds.kpiLatencyP95Ms);
  return { verdict: j.verdict, measured: `mean of the checkpoints' p95 latency ${fmt.ms(s.mean)} over ${s.n} checkpoints (max ${fmt.ms(s.max)})`, threshold: j.threshold, advice: "see the slow checkpoints", value: s.mean };
}

/**
 * "24-hour Uptime: 100 %". With the watch's samples: up / (up + down) over the monitored time,
 * with its coverage; PASS at 100 % without a monitoring gap, FAIL below 100 % (or down now), WARN
 * when the watch was not running part of the time (a gap is never uptime). Without samples the
 * checkpoints' own probes cover minutes of the 24 hours: WARN "not continuously measured", never
 * a PASS. run-checkpoint puts the evidence into the context (src/monitor/uptime.ts).
 */
export function uptime24h(c: CheckpointContext & { uptime?: UptimeEvidence }): CheckOutcome {
  const now = pipelineUp(c);
  const e = c.uptime;
  const threshold = "100 % uptime over the 24 hours, measured continuously by the watch (npm run monitor); monitoring gaps are not uptime";
  if (!e) {
    return { verdict: "FAIL", measured: "uptime measured nothing: no cutover recorded", threshold, advice: "run the hour0 checkpoint (or npm run monitor -- --cutover)", value: null };
  }
  const s = e.summary;
  const downNow = now.verdict === "FAIL";
  const incidents = s.incidents.length
    ? `; ${s.incidents.length} incident(s): ${s.incidents.slice(0, 5).map((i) => `${i.start} for ${i.minutes} min${i.end ? "" : " (still down)"}`).join(", ")}`
    : "";
  const gaps = s.gaps.length ? `; ${s.gaps.length} monitoring gap(s), ${s.gapMinutes} min not counted (${s.gaps.slice(0, 3).map((g) => `${g.from} for ${g.minutes} min: ${g.reason}`).join("; ")})` : "";
  const evidence = { uptime: { ...s, incidents: s.incidents.slice(0, 20), gaps: s.gaps.slice(0, 20) }, sampleEverySeconds: e.sampleEverySeconds, speed: e.speed, downNow };
  if (s.uptimePercent === null && !downNow) {
    return { verdict: "FAIL", measured: `uptime measured nothing since ${s.from}${gaps}`, threshold, advice: "the pipeline was never observed: run the watch (npm run monitor) or the scheduled checkpoints", value: null, evidence };
  }
  if (s.source === "checkpoints") {
    return {
      verdict: s.downMinutes > 0 || downNow ? "FAIL" : "WARN",
      measured: `not continuously measured: no watch samples; the checkpoints' own probes cover ${s.coveragePercent} % of the time since the cutover (${s.observations} checkpoints, ${s.upMinutes} min up, ${s.downMinutes} min down)${downNow ? "; down at this checkpoint" : ""}${incidents}`,
      threshold,
      advice: "run the watch (npm run monitor) for the 24 hours: checkpoints alone cannot show 100 % uptime",
      value: s.uptimePercent,
      evidence,
    };
  }
  const verdict = s.downMinutes > 0 || downNow ? "FAIL" : s.gapMinutes > 0 ? "WARN" : "PASS";
  return {
    verdict,
    measured: `uptime ${s.uptimePercent ?? 0} % over ${round1(s.upMinutes + s.downMinutes)} monitored min (${s.downMinutes} min down), coverage ${s.coveragePercent} % of ${s.from} - ${s.to}, ${s.observations} observations${downNow ? "; down at this checkpoint" : ""}${incidents}${gaps}`,
    threshold,
    advice: verdict === "FAIL" ? "read each incident's pipeline-down alert and the pipeline log around it; the 24-hour uptime criterion is not met" : "the watch was not running for part of the 24 hours: that time is not shown as uptime (see the gaps)",
    value: s.uptimePercent,
    evidence,
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
