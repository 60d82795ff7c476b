import { describe, it } from "vitest";
import { check } from "../../src/report/spec-kit.js";
import { errorRate, kpiLatency } from "../../src/checks/metrics.js";
import {
  auditOwnCalculation,
  auditRunsGenerating,
  dataQuality,
  healthEndpoints,
  kpiGolden,
  kpiRanges,
  logErrors,
  postCutoverVersionActive,
  validationAllChecksPass,
  validationRan,
  validationReportReviewed,
} from "../../src/checks/pipeline.js";

const tasks = "Hour 1 (00:00 - 01:00) - Critical Validation: Checkpoint Tasks";
const criteria = "Hour 1 (00:00 - 01:00) - Critical Validation: Success Criteria";
const dashboard = "Hour 1 (00:00 - 01:00) - Critical Validation: Monitoring Dashboard";

describe(tasks, () => {
  it("Run production_validation.py", (ctx) =>
    check(ctx, { id: "hour1.validation-ran", section: tasks, kind: "task" }, validationRan));

  it("Review validation report (production_validation_report.json)", (ctx) =>
    check(ctx, { id: "hour1.validation-report", section: tasks, kind: "task" }, validationReportReviewed));

  it("Check all 5 validation checks: PASS", (ctx) =>
    check(ctx, { id: "hour1.validation-checks", section: tasks, kind: "task", severity: "critical" }, validationAllChecksPass));

  it("Verify KPI calculations on test data", (ctx) =>
    check(ctx, { id: "hour1.kpi-golden", section: tasks, kind: "task", severity: "critical" }, kpiGolden));

  it("Confirm audit trail operational", (ctx) =>
    check(ctx, { id: "hour1.audit", section: tasks, kind: "task", severity: "critical" }, auditOwnCalculation));

  it("Check for any errors in logs", (ctx) =>
    check(ctx, { id: "hour1.log-errors", section: tasks, kind: "task" }, (c) => logErrors(c, { window: "cutover", warnIsWarn: true })));
});

describe(criteria, () => {
  it("All validation checks: PASS", (ctx) =>
    check(ctx, { id: "hour1.all-validation-pass", section: criteria, kind: "success-criterion", severity: "critical" }, validationAllChecksPass));

  it("KPI values in expected ranges", (ctx) =>
    check(ctx, { id: "hour1.kpi-ranges", section: criteria, kind: "success-criterion" }, kpiRanges));

  it("No errors in pipeline logs", (ctx) =>
    check(ctx, { id: "hour1.no-log-errors", section: criteria, kind: "success-criterion" }, (c) => logErrors(c, { window: "cutover" })));

  it("Audit trail generating events", (ctx) =>
    check(ctx, { id: "hour1.audit-generating", section: criteria, kind: "success-criterion", severity: "critical" }, auditRunsGenerating));
});

/** The dashboard's five lines, each verified by the monitor itself, not by the pipeline's report. */
describe(dashboard, () => {
  it("KPI Calculations: PASS", (ctx) =>
    check(ctx, { id: "hour1.dashboard.kpi", section: dashboard, kind: "dashboard" }, kpiGolden));

  it("Data Integrity: PASS", (ctx) =>
    check(ctx, { id: "hour1.dashboard.data-integrity", section: dashboard, kind: "dashboard" }, dataQuality));

  it("Performance: PASS", (ctx) =>
    check(ctx, { id: "hour1.dashboard.performance", section: dashboard, kind: "dashboard" }, kpiLatency));

  it("Error Handling: PASS", (ctx) =>
    check(ctx, { id: "hour1.dashboard.error-handling", section: dashboard, kind: "dashboard" }, errorRate));

  it("Audit Trail: PASS", (ctx) =>
    check(ctx, { id: "hour1.dashboard.audit", section: dashboard, kind: "dashboard" }, auditOwnCalculation));

  it("V2 is active (Verify V2 is active)", (ctx) =>
    check(ctx, { id: "hour1.v2-active", section: dashboard, kind: "dashboard" }, postCutoverVersionActive));

  it("Health check endpoints answer", (ctx) =>
    check(ctx, { id: "hour1.health", section: dashboard, kind: "dashboard" }, healthEndpoints));
});
