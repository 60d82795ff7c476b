/**
 * judge + act: alert rules over this checkpoint's observations (state kept between processes),
 * the decision tree, delivery to the channels (outbox retried first), and the guarded rollback:
 * executed only when allowed, at most once per cutover, then verified.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { MonitorConfig } from "../config/schema.js";
import { AlertDispatcher } from "../alerts/dispatcher.js";
import { buildChannels } from "../alerts/config.js";
import type { AlertNotice } from "../alerts/types.js";
import { evaluateRules, type AlertTransition, type Observations } from "../judge/alert-rules.js";
import { alertRulesFor, METRIC, CHECK } from "../judge/config.js";
import { decide, type Decision } from "../judge/decide.js";
import { activeSilences } from "../judge/silences.js";
import type { Clock } from "../judge/clock.js";
import { worst } from "../judge/verdict.js";
import { readHealth } from "../probes/health.js";
import { globPaths, runTargetCommand } from "../probes/common.js";
import type { Measurements } from "../probes/types.js";
import type { ProbeResult } from "../probes/types.js";
import type { EventsLog } from "../report/events-log.js";
import type { CheckpointContext, CheckRecord, CutoverState, Verdict } from "./context.js";
import type { MonitorPaths } from "./paths.js";
import type { MonitorState, RollbackAttempt } from "./state.js";
import type { KeyMetrics } from "./run-checkpoint.js";

export interface ActResult {
  notices: unknown[];
  decision: Decision;
  decisionLine: string;
  alertsLine?: string;
  rollbackLine?: string;
  rollback?: RollbackAttempt;
}

function dispatcherFor(config: MonitorConfig, paths: MonitorPaths, events?: EventsLog) {
  const built = buildChannels(config.alerts.channels);
  const dispatcher = new AlertDispatcher({
    channels: built.channels,
    routing: config.alerts.channels.routing,
    outboxPath: paths.outbox,
    onEvent: (e) => events?.write({ type: e.type as never, severity: e.severity, channel: e.channel, dedupKey: e.dedupKey, kind: e.kind, error: e.error }),
  });
  return { built, dispatcher };
}

/** Pre-cutover: a test notification to every configured channel. */
export async function testAlertChannels(config: MonitorConfig): Promise<NonNullable<CheckpointContext["alertChannels"]>> {
  const started = performance.now();
  try {
    const built = buildChannels(config.alerts.channels);
    const dispatcher = new AlertDispatcher({ channels: built.channels, routing: config.alerts.channels.routing, outboxPath: path.join(config.reportsDir, "state", "alert-test-outbox.json") });
    const results = built.channels.length ? await dispatcher.testChannels() : [];
    return {
      ok: true,
      durationMs: performance.now() - started,
      data: {
        configured: built.channels.map((c) => c.name),
        problems: built.statuses.filter((s) => !s.configured).map((s) => `${s.name}: ${s.reason}`),
        results: results.map((r) => ({ channel: r.channel, ok: r.ok, error: r.error })),
      },
    };
  } catch (error) {
    return { ok: false, failure: "monitor", message: `alert channel test failed: ${(error as Error).message}`, durationMs: performance.now() - started };
  }
}

/** What the alert rules read: metric values with the verdict of their check, and check verdicts. */
export function observationsOf(checks: CheckRecord[], metrics: KeyMetrics, m: Measurements): Observations {
  const verdictOf = (pattern: RegExp): Verdict | undefined => {
    const hits = checks.filter((c) => pattern.test(c.id));
    return hits.length ? hits.reduce<Verdict>((w, c) => worst(w, c.verdict), "PASS") : undefined;
  };
  const probeVerdict = (r: ProbeResult<unknown> | undefined): Verdict => (!r ? "ERROR" : r.ok ? "PASS" : r.failure === "target" ? "FAIL" : "ERROR");
  const obs: Observations = {};
  // A measured value is judged by the rule's own threshold. No value: the probe's failure decides
  // (target -> FAIL: measured nothing fires the rule; monitor -> ERROR: the rule keeps its state);
  // a probe that answered without the value also measured nothing.
  const metric = (id: string, value: number | null, probe: ProbeResult<unknown> | undefined) => {
    if (!probe) return;
    if (value != null) obs[id] = { value, verdict: "PASS" };
    else obs[id] = { value: null, verdict: probe.ok ? "FAIL" : probeVerdict(probe) };
  };
  metric(METRIC.kpiLatencyMs, metrics.kpi_latency_ms, m.latency);
  metric(METRIC.errorRatePercent, metrics.error_rate_percent, m.errorRate);
  metric(METRIC.memoryMb, metrics.memory_mb, m.resources);
  metric(METRIC.cpuPercent, metrics.cpu_percent, m.resources);
  if (m.resources?.ok) {
    // No growth rate (too short a history): unknown, the rule keeps its state; never a firing on noise.
    const growth = metrics.memory_growth_percent_per_hour;
    obs[METRIC.memoryGrowthPercentPerHour] = growth == null ? { value: null, verdict: "ERROR" } : { value: growth, verdict: "PASS" };
  }
  const audit = verdictOf(/audit/);
  if (audit) obs[CHECK.auditTrail] = { verdict: audit, value: metrics.audit_trail_events };
  const dq = verdictOf(/data-quality|data-integrity|kpi-golden|dashboard\.kpi|output/);
  if (dq) obs[CHECK.dataQuality] = { verdict: dq };
  return obs;
}

export async function judgeAndAct(input: {
  config: MonitorConfig;
  paths: MonitorPaths;
  state: MonitorState;
  events: EventsLog;
  clock: Clock;
  checkpointId: string;
  label: string;
  checks: CheckRecord[];
  metrics: KeyMetrics;
  measurements: Measurements;
  cutover: CutoverState | null;
  autoRollback: boolean;
  print: (t: string) => void;
}): Promise<ActResult> {
  const { config, paths, state, events, clock } = input;
  const rules = config.alerts.rules ?? alertRulesFor(config.thresholds);
  const observations = observationsOf(input.checks, input.metrics, input.measurements);

  // Read, evaluate and write the alert state under one lock (concurrent checkpoints lose nothing).
  let evaluated: ReturnType<typeof evaluateRules> | undefined;
  await state.judge.update((s) => {
    evaluated = evaluateRules({ rules, observations, state: s.alerts, clock, checkpoint: input.label, silences: activeSilences(s.silences, clock) });
    return { ...s, alerts: evaluated.state };
  });
  const r = evaluated!;
  for (const n of r.notices) {
    events.write({ type: n.kind === "trigger" ? "alert_fired" : n.kind === "resolve" ? "alert_resolved" : n.kind === "reminder" ? "alert_reminder" : "alert_escalated", severity: n.alertSeverity, rule: n.ruleId, incident: n.incidentId, value: n.value, threshold: n.threshold, baseline: n.baseline, window: n.window, checkpoint: input.checkpointId, action: n.action });
  }
  for (const m of r.muted) events.write({ type: "alert_muted", severity: m.notice.alertSeverity, rule: m.notice.ruleId, by: m.by, source: m.source, reason: m.reason });

  const ruleCheckIds = input.checks.filter((c) => /audit|data-quality|data-integrity|kpi-golden|output|latency|error-rate|memory|cpu/.test(c.id)).map((c) => c.id);
  const decision = decide({ firing: r.firing.filter((f) => !f.muted || f.muted.by === "suppression"), checkResults: input.checks.map((c) => ({ id: c.id, verdict: c.verdict })), decisionTree: config.decisionTree, ruleCheckIds });
  events.write({ type: "decision", severity: decision.severity, action: decision.action, rollback: decision.rollback, reason: decision.reason, runbook: decision.runbook, checkpoint: input.checkpointId });

  const notices: AlertNotice[] = r.notices.map((n) => toNotice(n, config));

  // Rollback: only when allowed, at most once per cutover, then verified.
  let rollback: RollbackAttempt | undefined;
  let rollbackLine: string | undefined;
  if (decision.rollback === "now" || decision.rollback === "recommended") {
    const attempts = (await state.rollback.load()).attempts.filter((a) => input.cutover && a.cutoverStartedAt === input.cutover.startedAt);
    const allowed = decision.rollback === "now" && input.autoRollback;
    if (!input.cutover) {
      rollbackLine = `ROLLBACK ${decision.rollback === "now" ? "NEEDED" : "RECOMMENDED"} but no cutover is recorded: nothing to roll back to.`;
    } else if (attempts.length) {
      const last = attempts[attempts.length - 1]!;
      rollbackLine = `Rollback already attempted for this cutover at ${last.startedAt} (${last.status}); not attempted again.`;
    } else if (allowed) {
      input.print(`ROLLBACK NOW: ${decision.reason}`);
      rollback = (await executeRollback(config, state, events, input.cutover, decision, clock)) ?? undefined;
      if (!rollback) {
        rollbackLine = "Rollback already claimed by another checkpoint for this cutover; not attempted again.";
      } else {
        rollbackLine = rollback.status === "succeeded"
          ? `ROLLBACK EXECUTED and verified in ${((rollback.durationMs ?? 0) / 1000).toFixed(1)} s: V1 operational, data intact.`
          : `ROLLBACK FAILED: ${rollback.error}. Not attempted again; act by hand (./scripts/rollback_to_v1.sh).`;
        notices.push(rollbackNotice(rollback.status === "succeeded" ? "rollback-executed" : "rollback-failed", rollbackLine, decision, input, "trigger"));
      }
    } else {
      rollbackLine = `ROLLBACK RECOMMENDED: ${decision.reason} (automatic rollback is ${decision.rollback === "now" ? "not allowed: pass --auto-rollback or set rollback.auto" : "not called for by this severity"})`;
      notices.push(rollbackNotice("rollback-recommended", rollbackLine, decision, input, "trigger"));
    }
    if (rollbackLine) events.write({ type: "rollback", severity: "critical", message: rollbackLine, attempt: rollback, checkpoint: input.checkpointId });
  }

  // act: retry what earlier checkpoints could not deliver, then this checkpoint's notices.
  const { built, dispatcher } = dispatcherFor(config, paths, events);
  let delivered = 0;
  let queued = 0;
  if (built.channels.length) {
    const retried = await dispatcher.retryOutbox();
    const reports = notices.length ? await dispatcher.dispatch(notices) : [];
    for (const rep of [...retried, ...reports]) {
      if (rep.status === "delivered") delivered++;
      else if (rep.status === "queued" || rep.status === "failed") queued++;
    }
  }
  const alertsLine = notices.length || queued
    ? `Alerts: ${notices.map((n) => `${n.severity.toUpperCase()} ${n.kind} ${n.ruleId}`).join(", ") || "none new"}; ${built.channels.length ? `${delivered} deliveries accepted, ${queued} queued for retry` : "no alert channel configured: nothing delivered"}`
    : undefined;

  return {
    notices: notices.map((n) => ({ dedupKey: n.dedupKey, kind: n.kind, severity: n.severity, ruleId: n.ruleId, title: n.title, evidence: n.evidence })),
    decision,
    decisionLine:
      `Decision: ${decision.severity} -> ${decision.action}${decision.rollback !== "no" ? ` (rollback: ${decision.rollback})` : ""}. ${decision.reason}` +
      (decision.runbook.length ? `\nRunbook (from the checklist):\n${decision.runbook.map((step) => `  [ ] ${step}`).join("\n")}` : ""),
    alertsLine,
    rollbackLine,
    rollback,
  };
}

function toNotice(n: AlertTransition, config: MonitorConfig): AlertNotice {
  const what = n.kind === "resolve" ? "RESOLVED" : n.kind === "escalation" ? `ESCALATION: ${n.escalation?.action ?? n.action}` : n.kind === "reminder" ? "STILL FIRING" : "FIRING";
  return {
    dedupKey: `cutover-monitor/${n.ruleId}/${n.incidentId}`,
    kind: n.kind,
    severity: n.alertSeverity,
    ruleId: n.ruleId,
    // Channels prefix the severity themselves.
    title: `${what}: ${n.description || n.ruleId}`,
    summary: `Value ${n.value ?? "not measured"} (${n.threshold}) at ${n.checkpoint}. Action: ${n.action}`,
    evidence: { metric: Object.keys(n.evidence)[0], value: n.value, threshold: n.threshold, baseline: n.baseline == null ? null : String(n.baseline), window: n.window ?? undefined, checkpoint: n.checkpoint },
    decision: { severity: n.decisionSeverity, action: n.kind === "escalation" ? (n.escalation?.action ?? n.action) : n.action, runbook: n.runbook },
    reportUrl: config.reportUrl,
    ts: n.at,
  };
}

function rollbackNotice(ruleId: string, line: string, decision: Decision, input: { checkpointId: string; label: string; cutover: CutoverState | null }, kind: "trigger"): AlertNotice {
  return {
    dedupKey: `cutover-monitor/${ruleId}/${input.cutover?.startedAt ?? "none"}`,
    kind,
    severity: "critical",
    ruleId,
    title: line.split(":")[0]!,
    summary: line.slice(line.indexOf(":") + 1).trim(),
    evidence: { checkpoint: input.label, reason: decision.reason },
    decision: { severity: decision.severity === "NONE" ? "LOW" : decision.severity, action: decision.action, runbook: decision.runbook },
    ts: new Date().toISOString(),
  };
}

/** Runs and verifies the rollback; null when another checkpoint had already claimed it. */
async function executeRollback(config: MonitorConfig, state: MonitorState, events: EventsLog, cutover: CutoverState, decision: Decision, clock: Clock): Promise<RollbackAttempt | null> {
  const startedAt = new Date(clock.now()).toISOString();
  const attempt: RollbackAttempt = { cutoverStartedAt: cutover.startedAt, incident: decision.alerts.join(",") || decision.reason, startedAt, status: "running" };
  // Claim the attempt first, atomically under the state file's lock: a crash mid-rollback, or
  // a second checkpoint deciding the same at the same moment, must not lead to a second attempt.
  let claimed = false;
  await state.rollback.update((f) => {
    if (f.attempts.some((a) => a.cutoverStartedAt === cutover.startedAt)) return f;
    claimed = true;
    return { ...f, attempts: [...f.attempts, attempt] };
  });
  if (!claimed) return null;
  const t0 = performance.now();
  const t0Epoch = Date.now();
  const target = config.target;
  let exitCode: number | null = null;
  let error: string | undefined;
  try {
    // The same runner as the probes' commands: argv, no shell, timeout, target.commandEnv.
    const res = await runTargetCommand(target, target.rollback, "rollback");
    exitCode = res.exitCode;
    if (res.timedOut) error = `rollback command timed out after ${target.rollback.timeoutMs} ms`;
    else if (exitCode !== 0) error = `rollback command exited ${exitCode}: ${res.lines.slice(-3).map((l) => l.line).join(" | ")}`;
  } catch (e) {
    error = `rollback command could not run: ${(e as Error).message}`;
  }
  const verification = await verifyRollback(config, t0Epoch);
  if (!error && !verification.ok) error = verification.reason;
  const finished: RollbackAttempt = {
    ...attempt,
    finishedAt: new Date(clock.now()).toISOString(),
    status: error ? "failed" : "succeeded",
    exitCode,
    durationMs: Math.round(performance.now() - t0),
    verification: verification as unknown as Record<string, unknown>,
    error,
  };
  await state.rollback.update((f) => ({ ...f, attempts: f.attempts.map((a) => (a.startedAt === startedAt && a.cutoverStartedAt === cutover.startedAt ? finished : a)) }));
  if (finished.status === "succeeded") {
    await state.cutover.update((f) => ({ ...f, current: f.current ? { ...f.current, rolledBack: { at: finished.finishedAt!, reason: decision.reason, verified: true } } : f.current }));
  }
  events.write({ type: "rollback", severity: "critical", status: finished.status, durationMs: finished.durationMs, verification, error });
  return finished;
}

/**
 * V1 operational (health reports the pre-cutover version) and data intact: every output
 * snapshotted at cutover is byte-identical to its recorded checksum — or was rewritten by the
 * running V1 pipeline after the rollback started (a live pipeline keeps producing outputs; the
 * file's age says which), in which case the snapshot in the rollback directory must be intact.
 */
export async function verifyRollback(
  config: MonitorConfig,
  rollbackStartedMs: number,
): Promise<{ ok: boolean; reason?: string; version: string | null; checksums: { file: string; ok: boolean; how: string }[] }> {
  const t = config.target;
  let version: string | null = null;
  try {
    version = (await readHealth(t)).version;
  } catch (e) {
    return { ok: false, reason: `V1 not operational: health check failed (${(e as Error).message})`, version, checksums: [] };
  }
  if (version !== t.health.expectedVersionBeforeCutover) {
    return { ok: false, reason: `V1 not operational: health reports version ${version}`, version, checksums: [] };
  }
  const stateDir = path.resolve(t.stateDir);
  const rollbackDirs = (await globPaths(stateDir, t.cutover.rollbackDirGlob)).filter((d) => d.isDirectory).sort((a, b) => b.mtimeMs - a.mtimeMs);
  const newest = rollbackDirs[0];
  if (!newest) return { ok: false, reason: "data integrity unknown: no rollback directory with checksums", version, checksums: [] };
  let sums: Record<string, string>;
  try {
    sums = JSON.parse(await readFile(path.join(newest.path, "checksums.json"), "utf8"));
  } catch (e) {
    return { ok: false, reason: `data integrity unknown: ${path.join(newest.path, "checksums.json")} unreadable (${(e as Error).message})`, version, checksums: [] };
  }
  const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
  const checksums = Object.entries(sums).map(([file, sum]) => {
    try {
      const live = path.join(stateDir, file);
      if (sha(live) === sum) return { file, ok: true, how: "restored byte-identical to the cutover checksum" };
      const rewrittenByV1 = statSync(live).mtimeMs >= rollbackStartedMs;
      const snapshot = path.join(newest.path, file);
      const snapshotIntact = existsSync(snapshot) && sha(snapshot) === sum;
      if (rewrittenByV1 && snapshotIntact) return { file, ok: true, how: "rewritten by V1 after the rollback; the cutover snapshot is intact" };
      return { file, ok: false, how: rewrittenByV1 ? "rewritten after the rollback but the cutover snapshot does not match its checksum" : "differs from the cutover checksum" };
    } catch (e) {
      return { file, ok: false, how: `unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  });
  const bad = checksums.filter((c) => !c.ok);
  if (checksums.length === 0) return { ok: false, reason: "data integrity unknown: no checksums recorded", version, checksums };
  return bad.length ? { ok: false, reason: `data not intact: ${bad.map((b) => `${b.file} ${b.how}`).join("; ")}`, version, checksums } : { ok: true, version, checksums };
}
