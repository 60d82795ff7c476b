import type { FiringAlert } from "./alert-rules.ts";
import type { DecisionSeverity, DecisionTree, RollbackAdvice } from "./config.ts";
import type { Verdict } from "./verdict.ts";

/**
 * The checklist's decision tree. The severity is the worst of:
 * - the firing alerts (each rule's decision severity; the alerts carry the checklist's steps);
 * - checks that FAIL or WARN without a firing alert that explains them (their rule is not firing,
 *   or they have no rule): the tree's unmatched severities, with the checks' own advice;
 * - alerts gone stale (not re-measured for longer than the stale limit): LOW, shown as stale;
 * - checks that ended ERROR (the monitor's own defect): loud, never a rollback.
 * Only alert rules can call for a rollback. A check that could not be measured while a rule with
 * `inhibitsUnmeasured` (pipeline down) fires is explained by that rule.
 */

export type DecisionLevel = DecisionSeverity | "NONE";

/** What decide() needs of an alert (FiringAlert fits). */
export type DecisionAlert = Pick<FiringAlert, "ruleId" | "decisionSeverity" | "action" | "runbook" | "threshold" | "rollback" | "rollbackRecommended"> & {
  value?: number | null;
  stale?: FiringAlert["stale"];
  inhibitsUnmeasured?: boolean;
};

/** What decide() needs of a check result. */
export interface DecisionCheck {
  id: string;
  verdict: Verdict;
  /** The rules this check feeds (catalogue: rule and warnRule). */
  rules?: readonly string[];
  notMeasured?: boolean;
  advice?: string;
}

export interface DecideInput {
  firing: readonly DecisionAlert[];
  checks: readonly DecisionCheck[];
  decisionTree: DecisionTree;
  /** Put into the rollback procedure's "{rollbackCommand}". */
  rollbackCommand?: string;
}

export interface Decision {
  severity: DecisionLevel;
  action: string;
  rollback: RollbackAdvice;
  /** One line for the console and the record. */
  reason: string;
  runbook: string[];
  /** Rule ids of the firing (not stale) alerts, worst first. */
  alerts: string[];
  /** Rule ids of firing alerts gone stale. */
  stale: string[];
  /** Check ids that FAIL or WARN without a firing alert explaining them. */
  unexplained: string[];
}

const LEVEL: Record<DecisionLevel, number> = { NONE: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 };
const ROLLBACK: Record<RollbackAdvice, number> = { no: 0, recommended: 1, now: 2 };

const maxLevel = (a: DecisionLevel, b: DecisionLevel): DecisionLevel => (LEVEL[b] > LEVEL[a] ? b : a);
const maxRollback = (a: RollbackAdvice, b: RollbackAdvice): RollbackAdvice => (ROLLBACK[b] > ROLLBACK[a] ? b : a);

/** HIGH and CRITICAL fail a checkpoint (exit 1). */
export function failsCheckpoint(level: DecisionLevel): boolean {
  return LEVEL[level] >= LEVEL.HIGH;
}

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
  const live = [...input.firing].filter((a) => !a.stale).sort((a, b) => LEVEL[b.decisionSeverity] - LEVEL[a.decisionSeverity]);
  const stale = input.firing.filter((a) => a.stale);
  const firingIds = new Set(input.firing.map((a) => a.ruleId));
  const downFiring = input.firing.some((a) => a.inhibitsUnmeasured);

  const explained = (c: DecisionCheck) => (c.rules ?? []).some((r) => firingIds.has(r)) || (c.notMeasured === true && downFiring);
  const failing = input.checks.filter((c) => c.verdict === "FAIL" && !explained(c));
  const warning = input.checks.filter((c) => c.verdict === "WARN" && !explained(c));
  const errors = input.checks.filter((c) => c.verdict === "ERROR");

  let alertLevel: DecisionLevel = "NONE";
  let rollback: RollbackAdvice = "no";
  for (const a of live) {
    alertLevel = maxLevel(alertLevel, a.decisionSeverity);
    rollback = maxRollback(rollback, alertRollback(a, tree));
  }
  const failLevel: DecisionLevel = failing.length ? tree.unmatchedFailSeverity : "NONE";
  const warnLevel: DecisionLevel = warning.length || stale.length ? tree.unmatchedWarnSeverity : "NONE";
  const errorLevel: DecisionLevel = errors.length ? tree.errorSeverity : "NONE";
  const severity = [failLevel, warnLevel, errorLevel].reduce(maxLevel, alertLevel);

  const rollbackText = rollback === "now" ? "ROLLBACK NOW" : rollback === "recommended" ? "ROLLBACK RECOMMENDED" : "no rollback";
  const rollbackSteps = rollback === "no" ? [] : tree.rollbackProcedure.map((s) => s.replace("{rollbackCommand}", input.rollbackCommand ?? "the configured rollback command"));
  const base = { rollback, alerts: live.map((a) => a.ruleId), stale: stale.map((a) => a.ruleId), unexplained: [...failing, ...warning].map((c) => c.id) };
  const notes: string[] = [];
  if (stale.length) notes.push(`stale (not re-measured): ${stale.map((a) => `${a.ruleId} since ${a.stale!.since}`).join(", ")}`);
  if (errors.length) notes.push(`${errors.length} check(s) ERROR (inconclusive, never a rollback): ${errors.map((c) => c.id).join(", ")}`);
  const note = notes.length ? `; ${notes.join("; ")}` : "";

  if (severity === "NONE") {
    return { ...base, severity, action: tree.NONE.action, reason: `NONE: no alert firing, no check failing -> ${tree.NONE.action}`, runbook: [] };
  }
  const entry = tree[severity];
  const adviceOf = (cs: DecisionCheck[]) => cs.filter((c) => c.advice).map((c) => `${c.id}: ${c.advice}`);

  let action: string;
  let cause: string;
  let runbook: string[];
  if (alertLevel === severity) {
    const top = live.filter((a) => a.decisionSeverity === severity);
    action = rollback === "now" ? "rollback now" : rollback === "recommended" ? `${top[0]!.action}; rollback recommended` : top[0]!.action;
    const lower = live.length - top.length;
    cause = top.map(describeAlert).join(", ") + (lower > 0 ? ` (+${lower} lower alert(s))` : "");
    runbook = unique([...entry.runbook, ...top.flatMap((a) => a.runbook), ...adviceOf(failing), ...rollbackSteps]);
  } else if (failLevel === severity || warnLevel === severity) {
    const cs = failLevel === severity ? failing : warning;
    const kind = failLevel === severity ? "FAIL" : "WARN";
    action = `${entry.action} (${kind === "FAIL" ? "failing" : "warning"} checks without a firing alert)`;
    cause = cs.length ? `check(s) ${kind}: ${cs.map((c) => c.id).join(", ")}` : `stale alert(s): ${stale.map((a) => a.ruleId).join(", ")}`;
    runbook = unique([...entry.runbook, ...adviceOf(cs), ...stale.map((a) => `${a.ruleId}: re-measure it (its checks could not be measured since ${a.stale!.since})`), ...rollbackSteps]);
  } else {
    action = "inconclusive: fix the monitor or the unreadable input and re-run the checkpoint";
    cause = `check(s) ERROR: ${errors.map((c) => c.id).join(", ")}`;
    runbook = unique([...entry.runbook, ...adviceOf(errors), ...stale.map((a) => `${a.ruleId}: re-measure it (its checks could not be measured since ${a.stale!.since})`)]);
    const staleNote = stale.length ? `; stale (not re-measured): ${stale.map((a) => `${a.ruleId} since ${a.stale!.since}`).join(", ")}` : "";
    return { ...base, severity, action, reason: `${severity}: ${cause} -> ${action} (${rollbackText})${staleNote}`, runbook };
  }
  return { ...base, severity, action, reason: `${severity}: ${cause} -> ${action} (${rollbackText})${note}`, runbook };
}
