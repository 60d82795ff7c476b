import { describe, it } from "vitest";
import { check } from "../../src/report/spec-kit.js";
import { cpu, errorRate, kpiLatency, kpiLatencyConsistent, memory, memoryGrowth } from "../../src/checks/metrics.js";
import { auditOwnCalculation, auditRunsGenerating, healthEndpoints, logErrors } from "../../src/checks/pipeline.js";

const tasks = "Hour 2-4 (01:00 - 05:00) - Stability Monitoring: Tasks";
const criteria = "Hour 2-4 (01:00 - 05:00) - Stability Monitoring: Success Criteria";

describe(tasks, () => {
  it("Check KPI calculation latency (target: <100ms)", (ctx) =>
    check(ctx, { id: "stability.latency", section: tasks, kind: "task", severity: "critical" }, kpiLatency));

  it("Monitor error rate (target: <0.1%)", (ctx) =>
    check(ctx, { id: "stability.error-rate", section: tasks, kind: "task", severity: "critical" }, errorRate));

  it("Review memory usage (target: <200MB)", (ctx) =>
    check(ctx, { id: "stability.memory", section: tasks, kind: "task" }, memory));

  it("Check CPU utilization (target: <50%)", (ctx) =>
    check(ctx, { id: "stability.cpu", section: tasks, kind: "task" }, cpu));

  it("Scan logs for warnings/errors", (ctx) =>
    check(ctx, { id: "stability.log-scan", section: tasks, kind: "task" }, (c) => logErrors(c, { window: "checkpoint", warnIsWarn: true })));

  it("Verify audit trail events generated", (ctx) =>
    check(ctx, { id: "stability.audit-events", section: tasks, kind: "task", severity: "critical" }, auditRunsGenerating));
});

describe(criteria, () => {
  it("Latency consistent (<100ms)", (ctx) =>
    check(ctx, { id: "stability.latency-consistent", section: criteria, kind: "success-criterion" }, kpiLatencyConsistent));

  it("Zero errors in logs", (ctx) =>
    check(ctx, { id: "stability.zero-log-errors", section: criteria, kind: "success-criterion" }, (c) => logErrors(c, { window: "checkpoint" })));

  it("Memory stable and not growing", (ctx) =>
    check(ctx, { id: "stability.memory-growth", section: criteria, kind: "success-criterion" }, memoryGrowth));

  it("CPU < 50% utilization", (ctx) =>
    check(ctx, { id: "stability.cpu-criterion", section: criteria, kind: "success-criterion" }, cpu));

  it("Audit trail operational", (ctx) =>
    check(ctx, { id: "stability.audit-operational", section: criteria, kind: "success-criterion", severity: "critical" }, auditOwnCalculation));

  it("System responding normally (health endpoints)", (ctx) =>
    check(ctx, { id: "stability.health", section: criteria, kind: "success-criterion" }, healthEndpoints));
});
