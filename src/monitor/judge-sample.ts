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
import type { Clock } from "../judge/clock.js";
import { judgeVerdicts, type Judgement } from "../judge/judge-checkpoint.js";
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
  // The same rules, lock, events and decision tree as a checkpoint's.
  const { rules: r, decision } = await judgeVerdicts({ config, state, events, clock, checks: input.checks, ruleCheckpoint: input.interval, source: input.source, eventCheckpoint: input.sampleId, eventExtra: { source: input.source } });
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
