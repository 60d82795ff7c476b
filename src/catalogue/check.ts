/**
 * The shape of the check catalogue and the one place where a check is judged.
 *
 * A check is declared once (catalogue.ts): its id, the checklist lines it answers, the phases
 * that judge it, the probes it needs, the evaluator that turns measurements into a verdict (the
 * band lives in the config and is read by the evaluator), the alert rule it feeds (by rule id) or
 * an explicit "no alert" with its reason, and its place on the dashboard. `assess` judges each
 * check of a checkpoint exactly once; specs, alert rules, the decision, the dashboard and the
 * record all read that one verdict by the check's id.
 */
import type { PhaseName } from "../config/schedule.js";
import type { ProbeName } from "../probes/probe.js";
import type { CheckpointContext, CheckRecord } from "../checkpoint/context.js";
import { ProbeUnavailable, type CheckOutcome } from "../checks/outcome.js";

/** Where a check shows on the console dashboard (the checklist's "Monitoring Dashboard" lines). */
export const DASHBOARD_GROUPS = {
  kpi: "KPI Calculations",
  integrity: "Data Integrity",
  performance: "Performance",
  errors: "Error Handling",
  audit: "Audit Trail",
  pipeline: "Pipeline",
  cutover: "Cutover",
  validation: "Validation",
  readiness: "Readiness",
  criteria: "24-hour criteria",
  signoff: "Sign-off",
} as const;
export type DashboardGroup = keyof typeof DASHBOARD_GROUPS;

/** The alert rule a check feeds, or an explicit "no alert" with the reason. */
export type AlertBinding = { rule: string; warnRule?: string } | { none: string };

export interface CheckDef {
  /** Stable id, phase-free: "kpi-latency". Rules, decision, dashboard and record use it. */
  id: string;
  /** What the check judges, in a few words (dashboard, report). */
  title: string;
  /** The checklist lines it answers (documentation; specs bind the exact line per phase). */
  lines: string[];
  /** Phases whose checkpoints judge it. */
  phases: PhaseName[];
  /** Probes whose measurements it reads (a checkpoint runs the union of its checks' probes). */
  probes: ProbeName[];
  /** Unit of `value`, when it is a number. */
  unit?: string;
  /** Turns the checkpoint's measurements into a verdict with evidence. */
  judge: (c: CheckpointContext) => CheckOutcome;
  /** FAIL feeds `rule`, WARN feeds `warnRule` (or `rule` when it watches WARN); or no alert, with why. */
  alert: AlertBinding;
  dashboard: DashboardGroup;
  /** A person's act (a signature, an attestation): missing is a WARN, never a FAIL. */
  personal?: boolean;
}

/** Why a check was judged at a checkpoint. */
export type JudgedBecause = "phase" | "open alert";

/**
 * Judges the given checks once each. A probe that could not measure becomes a FAIL marked
 * "not measured" (target failure) or an ERROR (the monitor's own failure); an evaluator that
 * throws is an ERROR. Nothing here throws.
 */
export function assess(context: CheckpointContext, defs: readonly CheckDef[], because: (d: CheckDef) => JudgedBecause): CheckRecord[] {
  return defs.map((def) => {
    const outcome = judgeOne(def, context);
    const rules = "rule" in def.alert ? [def.alert.rule, ...(def.alert.warnRule ? [def.alert.warnRule] : [])] : [];
    return {
      id: def.id,
      title: def.title,
      section: def.dashboard,
      verdict: outcome.verdict,
      measured: outcome.measured,
      threshold: outcome.threshold,
      advice: outcome.verdict === "PASS" ? undefined : outcome.advice,
      value: outcome.value ?? null,
      ...(def.unit ? { unit: def.unit } : {}),
      ...(outcome.notMeasured ? { notMeasured: true } : {}),
      ...(outcome.notApplicable ? { notApplicable: true } : {}),
      evidence: outcome.evidence,
      rules,
      judgedBecause: because(def),
      lines: [],
    };
  });
}

function judgeOne(def: CheckDef, context: CheckpointContext): CheckOutcome {
  try {
    const outcome = def.judge(context);
    // A person's act never fails a checkpoint: missing is "awaiting", a WARN.
    if (def.personal && outcome.verdict === "FAIL") return { ...outcome, verdict: "WARN" };
    return outcome;
  } catch (error) {
    if (error instanceof ProbeUnavailable) {
      // Not reachable from where the monitor runs, as its config says (a CI runner away from the
      // pipeline's host): N/A, shown as such; no say in the verdict, the rules or the decision.
      if (error.failure === "notApplicable") {
        return {
          verdict: "WARN",
          notApplicable: true,
          measured: `N/A: ${error.message}`,
          threshold: "measured where the monitor can reach the source; a source not reachable from here is N/A, never a pass",
          advice: "run this check where the source is reachable (the watch beside the pipeline), or make the source reachable and enable it in the config",
          value: "N/A",
        };
      }
      return error.failure === "target"
        ? {
            verdict: "FAIL",
            notMeasured: true,
            measured: `not measured: ${error.message}`,
            threshold: "the target answers within its timeout",
            advice: "the pipeline did not answer: check that it is running and reachable (see the pipeline-down alert)",
            value: null,
          }
        : {
            verdict: "ERROR",
            notMeasured: true,
            measured: `not measured: ${error.message}`,
            threshold: "the monitor can read the target's data",
            advice: "the monitor could not judge this check; fix the configuration or the report format, then re-run",
            value: null,
          };
    }
    return {
      verdict: "ERROR",
      notMeasured: true,
      measured: `monitor defect: ${(error as Error)?.message ?? String(error)}`,
      threshold: "the check evaluates without error",
      advice: "report this monitor defect; the check could not judge the pipeline",
      value: null,
    };
  }
}
