import { z } from "zod";
import { bandProblem, type Band } from "./bands.ts";
import { VERDICTS } from "./verdict.ts";

/**
 * The judge's configuration as zod schemas whose defaults are DESIGN.md's
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

/** Check ids that alert rules watch by verdict. */
export const CHECK = {
  auditTrail: "audit_trail",
  dataQuality: "data_quality",
} as const;

const directionSchema = z.enum(["higher_is_worse", "lower_is_worse"]);

/** A band whose every field defaults to `d`; `{}` or `{ failAt: 400 }` are valid inputs. */
function bandSchema(d: Band) {
  return z
    .object({
      metric: z.string().min(1).default(d.metric),
      unit: z.string().default(d.unit),
      direction: directionSchema.default(d.direction),
      warnAt: z.number().default(d.warnAt),
      failAt: z.number().default(d.failAt),
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

export const comparisonOperatorSchema = z.enum([">", ">=", "<", "<="]);

export const metricConditionSchema = z.object({
  metric: z.string().min(1),
  operator: comparisonOperatorSchema,
  threshold: z.number(),
  unit: z.string().default(""),
  /**
   * What a measurement of nothing (value null/NaN with verdict FAIL) means:
   * "fire" - the condition holds (measured nothing is a failure);
   * "unknown" - the rule keeps its state (e.g. a trend that needs more samples).
   */
  whenMissing: z.enum(["fire", "unknown"]).default("fire"),
});

export const checkConditionSchema = z.object({
  /** Check id whose verdict is watched, e.g. "audit_trail". */
  check: z.string().min(1),
  /** Verdicts that make the condition hold. ERROR can never be one: it never triggers an action. */
  verdicts: z
    .array(z.enum(VERDICTS).exclude(["ERROR"]))
    .min(1)
    .default(() => ["FAIL" as const]),
});

export const simpleConditionSchema = z.union([metricConditionSchema, checkConditionSchema]);
export const conditionSchema = z.union([
  metricConditionSchema,
  checkConditionSchema,
  z.object({ anyOf: z.array(simpleConditionSchema).min(1) }),
]);

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
});

export type Thresholds = z.infer<typeof thresholdsSchema>;
export type ThresholdsInput = z.input<typeof thresholdsSchema>;
export type Week3Baseline = z.infer<typeof week3BaselineSchema>;
export type MetricCondition = z.infer<typeof metricConditionSchema>;
export type CheckCondition = z.infer<typeof checkConditionSchema>;
export type SimpleCondition = z.infer<typeof simpleConditionSchema>;
export type Condition = z.infer<typeof conditionSchema>;
export type Escalation = z.infer<typeof escalationSchema>;
export type AlertSeverity = z.infer<typeof alertSeveritySchema>;
export type DecisionSeverity = z.infer<typeof decisionSeveritySchema>;
export type RollbackAdvice = z.infer<typeof rollbackAdviceSchema>;
export type AlertRule = z.infer<typeof alertRuleSchema>;
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

const above = (band: Band): MetricCondition => ({
  metric: band.metric,
  operator: band.direction === "higher_is_worse" ? ">" : "<",
  threshold: band.failAt,
  unit: band.unit,
  whenMissing: "fire",
});
const atLeastWarn = (band: Band): MetricCondition => ({
  metric: band.metric,
  operator: band.direction === "higher_is_worse" ? ">=" : "<=",
  threshold: band.warnAt,
  unit: band.unit,
  whenMissing: "fire",
});

/**
 * DESIGN.md's alert table as rules, with thresholds taken from `thresholds`.
 * Warning rules hold from the warning edge upward and are muted by the critical
 * rule on the same metric (so "latency 100-500 ms" is latency >= 100 muted by
 * latency > 500). Runbooks are the checklist's own lines ("Real-Time Monitoring").
 */
export function alertRulesFor(thresholds: Thresholds): AlertRule[] {
  const t = thresholds;
  const defaults = { forSeconds: 0, repeatIntervalSeconds: 3600, escalations: [], suppressedBy: [] };
  return [
    {
      ...defaults,
      id: "error-rate-critical",
      description: `Error Rate > ${t.errorRatePercent.failAt}%`,
      condition: above(t.errorRatePercent),
      alertSeverity: "critical",
      decisionSeverity: "CRITICAL",
      action: "rollback now",
      runbook: ["Page on-call engineer", "Check logs for error pattern", "Attempt fix if identified", "If unresolved after 15 min: Consider rollback"],
    },
    {
      ...defaults,
      id: "audit-trail-failure",
      description: "Audit Trail Failure (events missing, store unreachable)",
      condition: { check: CHECK.auditTrail, verdicts: ["FAIL"] },
      alertSeverity: "critical",
      decisionSeverity: "CRITICAL",
      action: "rollback now (audit trail lost)",
      runbook: ["Check logging system", "Verify database connectivity", "Review recent changes", "Rollback if audit trail lost"],
    },
    {
      ...defaults,
      id: "data-quality-issue",
      description: "Data Quality Issue Detected (nulls, duplicates, corrupt or stale outputs)",
      condition: { check: CHECK.dataQuality, verdicts: ["FAIL"] },
      alertSeverity: "critical",
      decisionSeverity: "CRITICAL",
      action: "halt new processing; rollback if data is corrupted",
      runbook: ["Halt new processing if critical", "Investigate data source", "Compare to baseline", "May require rollback if data corrupted"],
      // The checklist rolls back only "if data corrupted": an operator confirms.
      rollback: "recommended",
    },
    {
      ...defaults,
      id: "latency-critical",
      description: `Latency > ${t.kpiLatencyP95Ms.failAt}ms`,
      condition: above(t.kpiLatencyP95Ms),
      alertSeverity: "critical",
      decisionSeverity: "HIGH",
      action: "page and investigate",
      runbook: ["Check resource usage (CPU, memory)", "Review active queries/processes", "Investigate root cause", "If unresolved after 10 min: Alert engineering"],
      escalations: [
        { afterSeconds: 600, action: "alert engineering", rollbackRecommended: false },
        { afterSeconds: 900, action: "rollback recommended", rollbackRecommended: true },
      ],
    },
    {
      ...defaults,
      id: "memory-critical",
      description: `Memory Growing > ${t.memoryGrowthPercentPerHour.failAt}% per hour, or memory > ${t.memoryMb.failAt} MB`,
      condition: {
        anyOf: [
          {
            metric: METRIC.memoryGrowthPercentPerHour,
            operator: ">",
            threshold: t.memoryGrowthPercentPerHour.failAt,
            unit: "%/h",
            // Too few samples for a trend is not evidence of a leak; memory_mb covers "measured nothing".
            whenMissing: "unknown",
          },
          above(t.memoryMb),
        ],
      },
      alertSeverity: "critical",
      decisionSeverity: "HIGH",
      action: "page, prepare rollback",
      runbook: ["Check for memory leaks", "Review audit trail growth", "Investigate data accumulation", "If unresolved: Prepare rollback"],
      escalations: [{ atNextCheckpoint: true, action: "rollback recommended", rollbackRecommended: true }],
    },
    {
      ...defaults,
      id: "cpu-critical",
      description: `CPU > ${t.cpuPercent.failAt}%`,
      condition: above(t.cpuPercent),
      alertSeverity: "critical",
      decisionSeverity: "HIGH",
      action: "page and investigate",
      // The checklist has no list for CPU > 80 %; these are its resource-investigation lines.
      runbook: ["Check for resource contention", "Review active queries/processes", "Investigate root cause"],
    },
    {
      ...defaults,
      id: "latency-warning",
      description: `Latency ${t.kpiLatencyP95Ms.warnAt}-${t.kpiLatencyP95Ms.failAt}ms`,
      condition: atLeastWarn(t.kpiLatencyP95Ms),
      alertSeverity: "warning",
      decisionSeverity: "MEDIUM",
      action: "monitor and document",
      runbook: ["Monitor trend", "Check for external delays", "Document in log"],
      suppressedBy: ["latency-critical"],
    },
    {
      ...defaults,
      id: "error-rate-warning",
      description: `Error Rate ${t.errorRatePercent.warnAt}-${t.errorRatePercent.failAt}%`,
      condition: atLeastWarn(t.errorRatePercent),
      alertSeverity: "warning",
      decisionSeverity: "MEDIUM",
      action: "monitor and document (categorise errors, name affected KPIs)",
      runbook: ["Categorize errors", "Identify affected KPIs", "Document pattern"],
      suppressedBy: ["error-rate-critical"],
    },
    {
      ...defaults,
      id: "cpu-warning",
      description: `CPU Utilization ${t.cpuPercent.warnAt}-${t.cpuPercent.failAt}%`,
      condition: atLeastWarn(t.cpuPercent),
      alertSeverity: "warning",
      decisionSeverity: "LOW",
      action: "document and continue",
      runbook: ["Monitor for sustained high usage", "Check for resource contention", "May need optimization"],
      suppressedBy: ["cpu-critical"],
    },
    {
      ...defaults,
      id: "memory-warning",
      description: `Memory ${t.memoryMb.warnAt}-${t.memoryMb.failAt} MB`,
      condition: atLeastWarn(t.memoryMb),
      alertSeverity: "warning",
      decisionSeverity: "LOW",
      action: "document and continue",
      runbook: ["Monitor growth rate", "May indicate larger datasets", "Expected in production"],
      suppressedBy: ["memory-critical"],
    },
  ];
}

/** A list of rules, checked for unique ids and known suppressedBy references; no default. */
export const alertRuleListSchema = z.array(alertRuleSchema).superRefine((rules, ctx) => {
    const ids = new Set<string>();
    rules.forEach((rule, i) => {
      if (ids.has(rule.id)) ctx.addIssue({ code: "custom", message: `duplicate rule id "${rule.id}"`, path: [i, "id"] });
      ids.add(rule.id);
    });
    rules.forEach((rule, i) => {
      rule.suppressedBy.forEach((other, j) => {
        if (!ids.has(other)) {
          ctx.addIssue({ code: "custom", message: `suppressedBy names unknown rule "${other}"`, path: [i, "suppressedBy", j] });
        }
      });
    });
  });

/** The rule list, defaulting to DESIGN.md's table with the default thresholds. */
export const alertRulesSchema = alertRuleListSchema.default(() => alertRulesFor(thresholdsSchema.parse({})));

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
    CRITICAL: treeEntrySchema("rollback now", true, ["CRITICAL (data loss, >5% errors) → IMMEDIATE ROLLBACK"]),
    HIGH: treeEntrySchema("page, investigate, escalate on the rule's timers", false, ["HIGH (latency >500ms) → Alert & Investigate 15 min"]),
    MEDIUM: treeEntrySchema("monitor and document", false, ["MEDIUM (latency 100-500ms) → Monitor & Document"]),
    LOW: treeEntrySchema("document and continue", false, ["LOW (warnings) → Document & Continue"]),
    NONE: z
      .object({ action: z.string().min(1).default("continue monitoring") })
      .prefault({}),
    /** Steps added to the runbook whenever the decision is rollback now or recommended. */
    rollbackProcedure: z
      .array(z.string())
      .default(() => [
        "Execute rollback script: ./scripts/rollback_to_v1.sh",
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

// ---------------------------------------------------------------- all of it

export const judgeConfigSchema = z
  .object({
    thresholds: thresholdsSchema,
    week3Baseline: week3BaselineSchema,
    /** When omitted, DESIGN.md's table with the configured thresholds. */
    alertRules: alertRuleListSchema.optional(),
    decisionTree: decisionTreeSchema,
  })
  .prefault({})
  .transform((c) => ({ ...c, alertRules: c.alertRules ?? alertRulesFor(c.thresholds) }));

export type JudgeConfig = z.infer<typeof judgeConfigSchema>;
export type JudgeConfigInput = z.input<typeof judgeConfigSchema>;

/** DESIGN.md's defaults, fresh objects on every call. */
export function defaultJudgeConfig(): JudgeConfig {
  return judgeConfigSchema.parse({});
}
