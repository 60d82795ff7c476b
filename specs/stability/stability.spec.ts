import { describe } from "vitest";
import { line } from "../../src/report/spec-kit.js";

const tasks = "Hour 2-4 (01:00 - 05:00) - Stability Monitoring: Tasks";
const criteria = "Hour 2-4 (01:00 - 05:00) - Stability Monitoring: Success Criteria";

describe(tasks, () => {
  line("Check KPI calculation latency (target: <100ms)", "stability.latency", "kpi-latency", { kind: "task", severity: "critical" });
  line("Monitor error rate (target: <0.1%)", "stability.error-rate", "error-rate", { kind: "task", severity: "critical" });
  line("Review memory usage (target: <200MB)", "stability.memory", "memory", { kind: "task" });
  line("Check CPU utilization (target: <50%)", "stability.cpu", "cpu", { kind: "task" });
  line("Scan logs for warnings/errors", "stability.log-scan", "log-scan", { kind: "task" });
  line("Verify audit trail events generated", "stability.audit-events", "audit-events", { kind: "task", severity: "critical" });
  // Data quality is cheap and is checked at every checkpoint after hour 0, so that nulls written
  // at 01:30 are caught at 02:00, not at the first extended checkpoint: every configured output
  // channel (local, Azure, Supabase), its freshness, and the channels reconciled.
  line("Verify data quality (null counts, duplicates)", "stability.data-quality", ["data-quality", "data-quality-azure", "data-quality-supabase", "output-reconciliation", "output-local", "output-azure", "output-supabase"], { kind: "task", severity: "critical" });
});

describe(criteria, () => {
  line("Latency consistent (<100ms)", "stability.latency-consistent", ["kpi-latency-consistent", "kpi-latency"], { kind: "success-criterion" });
  line("Zero errors in logs", "stability.zero-log-errors", "log-scan", { kind: "success-criterion" });
  line("Memory stable and not growing", "stability.memory-growth", "memory-growth", { kind: "success-criterion" });
  line("CPU < 50% utilization", "stability.cpu-criterion", "cpu", { kind: "success-criterion" });
  line("Audit trail operational", "stability.audit-operational", "audit-own-calculation", { kind: "success-criterion", severity: "critical" });
  line("System responding normally (health endpoints, process not restarted)", "stability.health", ["health", "pipeline-up", "pipeline-restart"], { kind: "success-criterion" });
});
