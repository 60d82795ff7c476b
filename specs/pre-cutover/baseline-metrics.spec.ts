import { describe, it } from "vitest";
import { check } from "../../src/report/spec-kit.js";
import { cpu, errorRate, kpiLatency, memory } from "../../src/checks/metrics.js";

/** "Baseline Metrics Recorded": the live pipeline, before the cutover, meets each target. */
const section = "Pre-Cutover Setup: Baseline Metrics Recorded";

describe(section, () => {
  it("KPI Calculation Latency (1k rows): baseline 1.09ms, target <100ms", (ctx) =>
    check(ctx, { id: "pre.baseline.latency", section, kind: "baseline" }, kpiLatency));

  it("Error Rate: baseline 0%, target <0.1%", (ctx) =>
    check(ctx, { id: "pre.baseline.error-rate", section, kind: "baseline" }, errorRate));

  it("Memory Peak: baseline 105.5 MB, target <500 MB", (ctx) =>
    check(ctx, { id: "pre.baseline.memory", section, kind: "baseline" }, memory));

  it("CPU Utilization: baseline <50%, target <80%", (ctx) =>
    check(ctx, { id: "pre.baseline.cpu", section, kind: "baseline" }, cpu));
});
