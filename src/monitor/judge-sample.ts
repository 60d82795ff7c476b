/**
 * judge and act for a sample: the same alert rules over the sample's verdicts, by check id, under
 * the same lock and state as a checkpoint's (src/judge/judge-checkpoint.ts), and the same decision
 * tree. What differs: a sample writes its decision to the events log only when it changes (a
 * sample every 15 s would flood it), and acts (notices, the guarded rollback) only when the rules
 * produced notices or the decision calls for a rollback that is allowed.
 *
 * The rules' "checkpoint" is the interval since the last checkpoint ("watch after stability @
 * 02:00"): an escalation "at the next checkpoint" waits for the next checkpoint, not the next sample.
 */
import type { MonitorConfig } from "../config/schema.js";
import type { CheckRecord, CutoverState } from "../checkpoint/context.js";
import type { MonitorPaths } from "../checkpoint/paths.js";
import type { MonitorState } from "../checkpoint/state.js";
import { act, type ActResult } from "../act/act.js";
import { evaluateRules, type EvaluateRulesResult } from "../judge/alert-rules.js";
import type { Clock } from "../judge/clock.js";
import { decide } from "../judge/decide.js";
import { observationsOf, type Judgement } from "../judge/judge-checkpoint.js";
import { activeSilences } from "../judge/silences.js";
import type { EventsLog } from "../report/events-log.js";

export interface SampleJudgement extends Judgement {
  acted?: ActResult;
  fired: string[];
  escalated: string[];
  resolved: string[];
}

export async function judgeSample(input: {
  config: MonitorConfig;
  paths: MonitorPaths;
  state: MonitorState;
  events: EventsLog;
  clock: Clock;
  sampleId: string;
  /** "watch after <last checkpoint label>". */
  interval: string;
  /** "watch sample #42 at 03:12". */
  source: string;
  checks: CheckRecord[];
  cutover: CutoverState;
  autoRollback: boolean;
  /** The previous sample's decision (severity/action/rollback), to log only changes. */
  previousDecision: string | null;
  print: (t: string) => void;
}): Promise<SampleJudgement> {
  const { config, state, events, clock } = input;
  const observations = observationsOf(input.checks, input.source);
  let rules: EvaluateRulesResult | undefined;
  await state.judge.update((s) => {
    rules = evaluateRules({
      rules: config.alerts.rules,
      observations,
      state: s.alerts,
      clock,
      checkpoint: input.interval,
      silences: activeSilences(s.silences, clock),
      staleAfterSeconds: config.alerts.staleAfterSeconds,
    });
    return { ...s, alerts: rules.state };
  });
  const r = rules!;
  for (const n of r.notices) {
    events.write({ type: n.kind === "trigger" ? "alert_fired" : n.kind === "resolve" ? "alert_resolved" : n.kind === "reminder" ? "alert_reminder" : "alert_escalated", severity: n.alertSeverity, rule: n.ruleId, incident: n.incidentId, value: n.value, threshold: n.threshold, window: n.window, checkpoint: input.sampleId, source: input.source, action: n.action, checks: Object.keys(n.evidence) });
  }
  for (const m of r.muted) events.write({ type: "alert_muted", severity: m.notice.alertSeverity, rule: m.notice.ruleId, by: m.by, source: m.source, reason: m.reason });
  const firing = r.firing.filter((f) => !f.muted || f.muted.by === "suppression");
  const decision = decide({ firing, checks: input.checks, decisionTree: config.decisionTree, rollbackCommand: config.target.rollback.command.join(" ") });
  const key = `${decision.severity}/${decision.action}/${decision.rollback}`;
  if (key !== input.previousDecision) {
    events.write({ type: "decision", severity: decision.severity, action: decision.action, rollback: decision.rollback, reason: decision.reason, runbook: decision.runbook, stale: decision.stale, unexplained: decision.unexplained, checkpoint: input.sampleId, source: input.source });
  }
  const judgement: SampleJudgement = {
    rules: r,
    decision,
    fired: r.notices.filter((n) => n.kind === "trigger").map((n) => n.ruleId),
    escalated: r.notices.filter((n) => n.kind === "escalation").map((n) => `${n.ruleId}: ${n.escalation?.action ?? n.action}`),
    resolved: r.notices.filter((n) => n.kind === "resolve").map((n) => n.ruleId),
  };
  const rollbackAllowed = decision.rollback === "now" && input.autoRollback;
  if (r.notices.length || rollbackAllowed) {
    judgement.acted = await act({
      config,
      paths: input.paths,
      state,
      events,
      clock,
      checkpointId: input.sampleId,
      label: input.source,
      judgement,
      cutover: input.cutover,
      autoRollback: input.autoRollback,
      print: input.print,
    });
  }
  return judgement;
}

/** The decision as the key judgeSample compares. */
export function decisionKey(j: Judgement): string {
  return `${j.decision.severity}/${j.decision.action}/${j.decision.rollback}`;
}
