import { z } from "zod";
import { bandProblem, type Band } from "./bands.ts";

/**
 * The judge's configuration as zod schemas whose defaults are docs/DESIGN.md's
 * tables (Thresholds, Alert rules and the decision tree) and the checklist's
 * "Baseline Metrics Recorded" table. Every object fills its own missing
 * fields, so a config may override one number and keep the rest.
 */

/** Metric ids: the checkpoint record's field names, used by bands, observations and alert rules. */
export const METRIC = {
  kpiLatencyMs: "kpi_latency_ms",
  errorRatePercent: "error_rate_percent",
  memoryMb: "memory_mb",
  memoryGrowthPercentPerHour: "memory_growth_percent_per_hour",
  cpuPercent: "cpu_percent",
  auditTrailEvents: "audit_trail_events",
} as const;

const directionSchema = z.enum(["higher_is_worse", "lower_is_worse"]);

/**
 * A band whose every field defaults to `d`; `{}` or `{ failAt: 400 }` are valid inputs. Latency,
 * error rate, memory and CPU are never negative: a negative edge would judge every value WARN or FAIL.
 */
function bandSchema(d: Band) {
  return z
    .object({
      metric: z.string().min(1).default(d.metric),
      unit: z.string().default(d.unit),
      direction: directionSchema.default(d.direction),
      warnAt: z.number().nonnegative().default(d.warnAt),
      failAt: z.number().nonnegative().default(d.failAt),
    })
    .superRefine((band, ctx) => {
      const problem = bandProblem(band);
      if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["warnAt"] });
    })
    .prefault({});
}

const nonNegative = (d: number) => z.number().nonnegative().default(d);

export const thresholdsSchema = z
  .object({
    kpiLatencyP95Ms: bandSchema({ metric: METRIC.kpiLatencyMs, unit: "ms", direction: "higher_is_worse", warnAt: 100, failAt: 500 }),
    errorRatePercent: bandSchema({ metric: METRIC.errorRatePercent, unit: "%", direction: "higher_is_worse", warnAt: 0.1, failAt: 5 }),
    memoryMb: bandSchema({ metric: METRIC.memoryMb, unit: "MB", direction: "higher_is_worse", warnAt: 200, failAt: 500 }),
    cpuPercent: bandSchema({ metric: METRIC.cpuPercent, unit: "%", direction: "higher_is_worse", warnAt: 50, failAt: 80 }),
    /** Memory growth above this many percent per hour is a FAIL (a leak), whatever the absolute value. */
    memoryGrowthPercentPerHour: z.object({ failAt: nonNegative(20) }).prefault({}),
    /** "Memory stable ±10 %": largest deviation from the window's mean, in percent of the mean. */
    memoryStableWithinPercent: nonNegative(10),
    /** "Within 5 % of baseline". */
    baselineTolerancePercent: nonNegative(5),
    /** A change for the worse smaller than this (in the metric's unit) never warns: machine noise. */
    baselineMinimumAbsoluteEffect: z
      .object({
        kpiLatencyMs: nonNegative(2),
        errorRatePercent: nonNegative(0.1),
        memoryMb: nonNegative(10),
        cpuPercent: nonNegative(10),
      })
      .prefault({}),
    /** One-sided significance level of the Mann-Whitney U test against a baseline. */
    significanceAlpha: z.number().gt(0).lt(1).default(0.05),
  })
  .prefault({});

/** The checklist's "Baseline Metrics Recorded" table (week 3), as single numbers. */
export const week3BaselineSchema = z
  .object({
    kpi_latency_ms: nonNegative(1.09),
    error_rate_percent: nonNegative(0),
    memory_peak_mb: nonNegative(105.5),
    cpu_percent_below: nonNegative(50),
    audit_trail_events_min: z.number().int().nonnegative().default(6),
  })
  .prefault({});

// ---------------------------------------------------------------- alert rules

/**
 * What a rule watches: check verdicts, by the checks' catalogue ids. The check's band decides
 * its verdict; the rule only adds hold time, escalation, suppression, repeat, routing, severity
 * and runbook. The condition holds when a measured check in `failOf` is FAIL, or a measured check
 * in `warnOf` is WARN or FAIL.
 */
export const conditionSchema = z
  .object({
    failOf: z.array(z.string().min(1)).default(() => []),
    warnOf: z.array(z.string().min(1)).default(() => []),
  })
  .refine((c) => c.failOf.length + c.warnOf.length > 0, { message: "a rule watches at least one check (failOf or warnOf)" });

export const escalationSchema = z
  .object({
    /** Fires once when the alert is still firing this long after it fired (clock time). */
    afterSeconds: z.number().positive().optional(),
    /** Fires once when the alert is still firing at a later checkpoint than the one it fired at. */
    atNextCheckpoint: z.boolean().optional(),
    action: z.string().min(1),
    /** Reaching this step makes the decision "rollback recommended". */
    rollbackRecommended: z.boolean().default(false),
  })
  .refine((e) => (e.afterSeconds !== undefined) !== (e.atNextCheckpoint === true), {
    message: "an escalation needs exactly one of afterSeconds or atNextCheckpoint: true",
  });

export const alertSeveritySchema = z.enum(["critical", "warning"]);
export const decisionSeveritySchema = z.enum(["CRITICAL", "HIGH", "MEDIUM", "LOW"]);
export const rollbackAdviceSchema = z.enum(["now", "recommended", "no"]);

export const alertRuleSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, "lower-case letters, digits, - and _"),
  description: z.string().default(""),
  condition: conditionSchema,
  alertSeverity: alertSeveritySchema,
  decisionSeverity: decisionSeveritySchema,
  action: z.string().min(1),
  /** The checklist's own steps for this alert. */
  runbook: z.array(z.string()).default(() => []),
  /** The condition must hold this long (pending) before the alert fires. */
  forSeconds: z.number().nonnegative().default(0),
  escalations: z.array(escalationSchema).default(() => []),
  /** A firing alert is repeated no more often than this. */
  repeatIntervalSeconds: z.number().positive().default(3600),
  /** Rule ids whose firing mutes this rule's notifications (a critical mutes the warning on its metric). */
  suppressedBy: z.array(z.string()).default(() => []),
  /** Overrides the decision tree's rollback advice for this rule's severity. */
  rollback: rollbackAdviceSchema.optional(),
  /**
   * While this rule fires, checks that could not be measured are explained by it (the target is
   * down): they show as "not measured" and add nothing to the decision of their own.
   */
  inhibitsUnmeasured: z.boolean().default(false),
});

export type Condition = z.infer<typeof conditionSchema>;
export type Escalation = z.infer<typeof escalationSchema>;
export type AlertSeverity = z.infer<typeof alertSeveritySchema>;
export type DecisionSeverity = z.infer<typeof decisionSeveritySchema>;
export type RollbackAdvice = z.infer<typeof rollbackAdviceSchema>;
export type AlertRule = z.infer<typeof alertRuleSchema>;
export type AlertRuleInput = z.input<typeof alertRuleSchema>;
export type Thresholds = z.infer<typeof thresholdsSchema>;
export type ThresholdsInput = z.input<typeof thresholdsSchema>;
export type Week3Baseline = z.infer<typeof week3BaselineSchema>;

/** A list of rules, checked for unique ids and known suppressedBy references (check ids are checked against the catalogue at load). */
export const alertRuleListSchema = z.array(alertRuleSchema).superRefine((rules, ctx) => {
  const ids = new Set<string>();
  rules.forEach((rule, i) => {
    if (ids.has(rule.id)) ctx.addIssue({ code: "custom", message: `duplicate rule id "${rule.id}"`, path: [i, "id"] });
    ids.add(rule.id);
  });
  rules.forEach((rule, i) => {
    rule.suppressedBy.forEach((other, j) => {
      if (!ids.has(other)) ctx.addIssue({ code: "custom", message: `suppressedBy names unknown rule "${other}"`, path: [i, "suppressedBy", j] });
    });
  });
});

// -------------------------------------------------------------- decision tree

const treeEntrySchema = (action: string, rollback: boolean, runbook: string[]) =>
  z
    .object({
      action: z.string().min(1).default(action),
      /** Whether this severity, by itself, calls for a rollback now. */
      rollback: z.boolean().default(rollback),
      runbook: z.array(z.string()).default(() => [...runbook]),
    })
    .prefault({});

/** The checklist's "Incident Response Procedures" decision tree and its rollback procedure. */
export const decisionTreeSchema = z
  .object({
    // The checklist's tree lines name one example cause each ("HIGH (latency >500ms)"); the
    // decision's runbook is therefore the deciding alerts' own steps and the failing checks'
    // advice, plus any steps configured here.
    CRITICAL: treeEntrySchema("rollback now", true, []),
    HIGH: treeEntrySchema("page, investigate, escalate on the rule's timers", false, []),
    MEDIUM: treeEntrySchema("monitor and document", false, []),
    LOW: treeEntrySchema("document and continue", false, []),
    NONE: z
      .object({ action: z.string().min(1).default("continue monitoring") })
      .prefault({}),
    /** Steps added to the runbook whenever the decision is rollback now or recommended. */
    rollbackProcedure: z
      .array(z.string())
      .default(() => [
        // {rollbackCommand} is replaced by the configured target.rollback.command.
        "Execute the rollback: {rollbackCommand}",
        "Expected completion time: < 5 minutes",
        "Success criteria: V1 operational, data intact",
      ]),
    /** Severity of a FAIL check that no alert rule covers. */
    unmatchedFailSeverity: decisionSeveritySchema.default("HIGH"),
    /** Severity of a WARN check that no alert rule covers. */
    unmatchedWarnSeverity: decisionSeveritySchema.default("LOW"),
    /** Severity of ERROR checks (the monitor's own defect); never a rollback, whatever this says. */
    errorSeverity: decisionSeveritySchema.default("MEDIUM"),
  })
  .prefault({});

export type DecisionTree = z.infer<typeof decisionTreeSchema>;

