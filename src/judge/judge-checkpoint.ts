/**
 * judge: this checkpoint's check verdicts -> alert rules (state read, evaluated and written under
 * one lock, so concurrent checkpoints lose nothing) -> the decision tree. Rules read the checks by
 * their catalogue ids; nothing here matches names.
 */
import type { MonitorConfig } from "../config/schema.js";
import type { CheckRecord } from "../checkpoint/context.js";
import type { MonitorState } from "../checkpoint/state.js";
import type { EventsLog } from "../report/events-log.js";
import { evaluateRules, type EvaluateRulesResult, type Observations } from "./alert-rules.js";
import type { Clock } from "./clock.js";
import { decide, type Decision } from "./decide.js";
import { activeSilences } from "./silences.js";

export interface Judgement {
  rules: EvaluateRulesResult;
  decision: Decision;
}

/** The rules' input: each judged check's verdict, measured or not, with where it came from. */
export function observationsOf(checks: readonly CheckRecord[], source: string): Observations {
  const obs: Observations = {};
  for (const c of checks) {
    obs[c.id] = {
      verdict: c.verdict,
      // N/A (not configured, or not reachable from where the monitor runs) has no say in the rules.
      measured: !c.notMeasured && !c.notApplicable && c.verdict !== "ERROR",
      value: c.value,
      evidence: { threshold: c.threshold, reason: c.measured, window: windowOf(c) },
      source,
    };
  }
  return obs;
}

function windowOf(c: CheckRecord): string | undefined {
  const w = (c.evidence as { window?: unknown } | undefined)?.window;
  if (!w) return undefined;
  return typeof w === "string" ? w : JSON.stringify(w);
}

/** The check ids open alerts (pending or firing) watch: a checkpoint re-measures them whatever its phase. */
export function checksOfOpenAlerts(config: MonitorConfig, alerts: Record<string, { status: string }>): string[] {
  const ids = new Set<string>();
  for (const rule of config.alerts.rules) {
    const status = alerts[rule.id]?.status;
    if (status !== "firing" && status !== "pending") continue;
    for (const id of [...rule.condition.failOf, ...rule.condition.warnOf]) ids.add(id);
  }
  return [...ids];
}

/**
 * The rules over these verdicts (state read, evaluated and written under one lock), their
 * notices and mutes in the events log, then the decision tree. Shared by a checkpoint and the
 * watch's samples; each writes its decision event as it needs.
 */
export async function judgeVerdicts(input: {
  config: MonitorConfig;
  state: MonitorState;
  events: EventsLog;
  clock: Clock;
  checks: CheckRecord[];
  /** The rules' "checkpoint" (escalations "at the next checkpoint" count these). */
  ruleCheckpoint: string;
  /** Where the observations came from ("checkpoint stability @ 02:00", "watch sample #42"). */
  source: string;
  /** What the events name as their checkpoint, and extra fields for them. */
  eventCheckpoint: string;
  eventExtra?: Record<string, unknown>;
}): Promise<Judgement> {
  const { config, state, events, clock } = input;
  const observations = observationsOf(input.checks, input.source);
  let rules: EvaluateRulesResult | undefined;
  await state.judge.update((s) => {
    rules = evaluateRules({
      rules: config.alerts.rules,
      observations,
      state: s.alerts,
      clock,
      checkpoint: input.ruleCheckpoint,
      silences: activeSilences(s.silences, clock),
      staleAfterSeconds: config.alerts.staleAfterSeconds,
    });
    return { ...s, alerts: rules.state };
  });
  const r = rules!;
  for (const n of r.notices) {
    events.write({ type: n.kind === "trigger" ? "alert_fired" : n.kind === "resolve" ? "alert_resolved" : n.kind === "reminder" ? "alert_reminder" : "alert_escalated", severity: n.alertSeverity, rule: n.ruleId, incident: n.incidentId, value: n.value, threshold: n.threshold, baseline: n.baseline, window: n.window, checkpoint: input.eventCheckpoint, ...input.eventExtra, action: n.action, checks: Object.keys(n.evidence) });
  }
  for (const m of r.muted) events.write({ type: "alert_muted", severity: m.notice.alertSeverity, rule: m.notice.ruleId, by: m.by, source: m.source, reason: m.reason });

  // A silenced alert is still a fact for the decision only when a critical suppresses it
  // (the critical decides); an operator's silence takes it out of the decision too.
  const firing = r.firing.filter((f) => !f.muted || f.muted.by === "suppression");
  const decision = decide({
    firing,
    checks: input.checks,
    decisionTree: config.decisionTree,
    rollbackCommand: config.target.rollback.command.join(" "),
  });
  return { rules: r, decision };
}

export async function judgeCheckpoint(input: {
  config: MonitorConfig;
  state: MonitorState;
  events: EventsLog;
  clock: Clock;
  checkpointId: string;
  label: string;
  checks: CheckRecord[];
}): Promise<Judgement> {
  const judgement = await judgeVerdicts({ ...input, ruleCheckpoint: input.label, source: `checkpoint ${input.label}`, eventCheckpoint: input.checkpointId });
  const { decision } = judgement;
  input.events.write({ type: "decision", severity: decision.severity, action: decision.action, rollback: decision.rollback, reason: decision.reason, runbook: decision.runbook, stale: decision.stale, unexplained: decision.unexplained, checkpoint: input.checkpointId });
  return judgement;
}
