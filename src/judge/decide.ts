import type { AlertTransition, FiringAlert } from "./alert-rules.ts";
import type { DecisionSeverity, DecisionTree, RollbackAdvice } from "./config.ts";
import type { Verdict } from "./verdict.ts";

/**
 * The checklist's decision tree: the worst of the firing alerts and the
 * uncovered check results decides the severity; the tree and the alerts give
 * the action, the runbook and whether to roll back. Only alert rules can call
 * for a rollback; an ERROR result (the monitor's own defect) never does.
 */

export type DecisionLevel = DecisionSeverity | "NONE";

/** What decide() needs of an alert; FiringAlert and AlertTransition both fit. */
export interface DecisionAlert {
  ruleId: string;
  decisionSeverity: DecisionSeverity;
  action: string;
  runbook: string[];
  value?: number | null;
  threshold?: string;
  rollback?: RollbackAdvice;
  rollbackRecommended?: boolean;
  /** A "resolve" transition is not a firing alert and is ignored. */
  kind?: AlertTransition["kind"];
}

export interface CheckResult {
  id: string;
  verdict: Verdict;
}

export interface DecideInput {
  /** Firing alerts (evaluateRules().firing) or this checkpoint's transitions. */
  firing: readonly (DecisionAlert | FiringAlert | AlertTransition)[];
  checkResults: readonly CheckResult[];
  decisionTree: DecisionTree;
  /** Check ids judged by alert rules; their FAIL/WARN is not counted a second time as "uncovered". */
  ruleCheckIds?: readonly string[];
}

export interface Decision {
  severity: DecisionLevel;
  action: string;
  rollback: RollbackAdvice;
  /** One line for the console and the record. */
  reason: string;
  runbook: string[];
  /** Rule ids of the firing alerts, worst first. */
  alerts: string[];
}

const LEVEL: Record<DecisionLevel, number> = { NONE: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };
const ROLLBACK: Record<RollbackAdvice, number> = { no: 0, recommended: 1, now: 2 };

const maxLevel = (a: DecisionLevel, b: DecisionLevel): DecisionLevel => (LEVEL[b] > LEVEL[a] ? b : a);
const maxRollback = (a: RollbackAdvice, b: RollbackAdvice): RollbackAdvice => (ROLLBACK[b] > ROLLBACK[a] ? b : a);

/** An alert's own rollback advice: the rule's override or the tree's, raised by a rollback escalation. */
function alertRollback(alert: DecisionAlert, tree: DecisionTree): RollbackAdvice {
  const advice: RollbackAdvice = alert.rollback ?? (tree[alert.decisionSeverity].rollback ? "now" : "no");
  return alert.rollbackRecommended ? maxRollback(advice, "recommended") : advice;
}

function describeAlert(a: DecisionAlert): string {
  const value = typeof a.value === "number" ? `, value ${Number(a.value.toPrecision(4))}` : "";
  return a.threshold ? `${a.ruleId} (${a.threshold}${value})` : a.ruleId;
}

const unique = (lines: string[]) => [...new Set(lines)];

export function decide(input: DecideInput): Decision {
  const tree = input.decisionTree;
  // One entry per rule: several transitions of one incident count once (keep the most escalated).
  const byRule = new Map<string, DecisionAlert>();
  for (const a of input.firing as readonly DecisionAlert[]) {
    if (a.kind === "resolve") continue;
    const seen = byRule.get(a.ruleId);
    if (!seen || (!seen.rollbackRecommended && a.rollbackRecommended)) byRule.set(a.ruleId, a);
  }
  const alerts = [...byRule.values()].sort((a, b) => LEVEL[b.decisionSeverity] - LEVEL[a.decisionSeverity]);

  const covered = new Set(input.ruleCheckIds ?? []);
  const uncovered = input.checkResults.filter((c) => !covered.has(c.id));
  const failing = uncovered.filter((c) => c.verdict === "FAIL").map((c) => c.id);
  const warning = uncovered.filter((c) => c.verdict === "WARN").map((c) => c.id);
  const errors = input.checkResults.filter((c) => c.verdict === "ERROR").map((c) => c.id);

  let alertLevel: DecisionLevel = "NONE";
  let rollback: RollbackAdvice = "no";
  for (const a of alerts) {
    alertLevel = maxLevel(alertLevel, a.decisionSeverity);
    rollback = maxRollback(rollback, alertRollback(a, tree));
  }
  const failLevel: DecisionLevel = failing.length ? tree.unmatchedFailSeverity : "NONE";
  const warnLevel: DecisionLevel = warning.length ? tree.unmatchedWarnSeverity : "NONE";
  const errorLevel: DecisionLevel = errors.length ? tree.errorSeverity : "NONE";
  const severity = [failLevel, warnLevel, errorLevel].reduce(maxLevel, alertLevel);

  const rollbackText = rollback === "now" ? "ROLLBACK NOW" : rollback === "recommended" ? "ROLLBACK RECOMMENDED" : "no rollback";
  const errorNote = errors.length ? `; ${errors.length} check(s) ERROR (inconclusive, never a rollback): ${errors.join(", ")}` : "";
  const rollbackSteps = rollback === "no" ? [] : tree.rollbackProcedure;
  const ids = alerts.map((a) => a.ruleId);

  if (severity === "NONE") {
    return { severity, action: tree.NONE.action, rollback, reason: `NONE: no alert firing, no check failing -> ${tree.NONE.action}`, runbook: [], alerts: ids };
  }
  const entry = tree[severity];

  let action: string;
  let cause: string;
  let runbook: string[];
  if (alertLevel === severity) {
    // The alerts decide (they carry the checklist's own steps).
    const top = alerts.filter((a) => a.decisionSeverity === severity);
    action = rollback === "now" ? "rollback now" : rollback === "recommended" ? `${top[0]!.action}; rollback recommended` : top[0]!.action;
    const lower = alerts.length - top.length;
    cause = top.map(describeAlert).join(", ") + (lower > 0 ? ` (+${lower} lower alert(s))` : "");
    runbook = unique([...entry.runbook, ...top.flatMap((a) => a.runbook), ...rollbackSteps]);
  } else if (failLevel === severity || warnLevel === severity) {
    const ids = failLevel === severity ? failing : warning;
    action = `${entry.action} (${failLevel === severity ? "failing" : "warning"} checks without an alert rule)`;
    cause = `check(s) ${failLevel === severity ? "FAIL" : "WARN"}: ${ids.join(", ")}`;
    runbook = unique([...entry.runbook, ...rollbackSteps]);
  } else {
    // Only the monitor's own errors reach this level: loud, never a rollback by themselves.
    action = "inconclusive: fix the monitor or the unreadable input and re-run the checkpoint";
    cause = `check(s) ERROR: ${errors.join(", ")}`;
    runbook = unique([...entry.runbook, ...rollbackSteps]);
    return { severity, action, rollback, reason: `${severity}: ${cause} -> ${action} (${rollbackText})`, runbook, alerts: ids };
  }
  return { severity, action, rollback, reason: `${severity}: ${cause} -> ${action} (${rollbackText})${errorNote}`, runbook, alerts: ids };
}
