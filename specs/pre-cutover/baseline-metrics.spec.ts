import { describe } from "vitest";
import { line } from "../../src/report/spec-kit.js";

/** "Baseline Metrics Recorded": the live pipeline, before the cutover, meets each target. */
const section = "Pre-Cutover Setup: Baseline Metrics Recorded";

describe(section, () => {
  line("KPI Calculation Latency (1k rows): baseline 1.09ms, target <100ms", "pre.baseline.latency", "kpi-latency", { kind: "baseline" });
  line("Error Rate: baseline 0%, target <0.1%", "pre.baseline.error-rate", "error-rate", { kind: "baseline" });
  line("Memory Peak: baseline 105.5 MB, target <500 MB", "pre.baseline.memory", "memory", { kind: "baseline" });
  line("CPU Utilization: baseline <50%, target <80%", "pre.baseline.cpu", "cpu", { kind: "baseline" });
});
