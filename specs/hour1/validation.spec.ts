import { describe } from "vitest";
import { line } from "../../src/report/spec-kit.js";

const tasks = "Hour 1 (00:00 - 01:00) - Critical Validation: Checkpoint Tasks";
const criteria = "Hour 1 (00:00 - 01:00) - Critical Validation: Success Criteria";
const dashboard = "Hour 1 (00:00 - 01:00) - Critical Validation: Monitoring Dashboard";

describe(tasks, () => {
  line("Run production_validation.py", "hour1.validation-ran", "validation-ran", { kind: "task" });
  line("Review validation report (production_validation_report.json)", "hour1.validation-report", "validation-report", { kind: "task" });
  line("Check all 5 validation checks: PASS", "hour1.validation-checks", "validation-checks", { kind: "task", severity: "critical" });
  line("Verify KPI calculations on test data", "hour1.kpi-golden", "kpi-golden", { kind: "task", severity: "critical" });
  line("Confirm audit trail operational", "hour1.audit", "audit-own-calculation", { kind: "task", severity: "critical" });
  line("Check for any errors in logs", "hour1.log-errors", "log-errors-since-cutover", { kind: "task" });
});

describe(criteria, () => {
  line("All validation checks: PASS", "hour1.all-validation-pass", "validation-checks", { kind: "success-criterion", severity: "critical" });
  line("KPI values in expected ranges", "hour1.kpi-ranges", "kpi-ranges", { kind: "success-criterion" });
  line("No errors in pipeline logs", "hour1.no-log-errors", "log-errors-since-cutover", { kind: "success-criterion" });
  line("Audit trail generating events", "hour1.audit-generating", "audit-events", { kind: "success-criterion", severity: "critical" });
});

/** The dashboard's five lines, each verified by the monitor itself, not by the pipeline's report. */
describe(dashboard, () => {
  line("KPI Calculations: PASS", "hour1.dashboard.kpi", "kpi-golden", { kind: "dashboard" });
  line("Data Integrity: PASS", "hour1.dashboard.data-integrity", ["data-quality", "data-quality-azure", "data-quality-supabase", "output-reconciliation", "output-local", "output-azure", "output-supabase"], { kind: "dashboard" });
  line("Performance: PASS", "hour1.dashboard.performance", ["kpi-latency", "memory", "cpu"], { kind: "dashboard" });
  line("Error Handling: PASS", "hour1.dashboard.error-handling", "error-rate", { kind: "dashboard" });
  line("Audit Trail: PASS", "hour1.dashboard.audit", ["audit-own-calculation", "audit-events"], { kind: "dashboard" });
  line("V2 is active (Verify V2 is active)", "hour1.v2-active", "v2-active", { kind: "dashboard" });
  line("Health check endpoints answer", "hour1.health", ["health", "pipeline-up"], { kind: "dashboard" });
});
