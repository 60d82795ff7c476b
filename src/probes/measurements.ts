/** Everything one checkpoint measured: each probe's result, and the state to carry over. */
import type { AuditMeasurement } from "./audit.js";
import type { CutoverMeasurement } from "./cutover.js";
import type { DataQualityMeasurement } from "./data-quality.js";
import type { ErrorRateMeasurement } from "./error-rate.js";
import type { HealthMeasurement } from "./health.js";
import type { LatencyMeasurement } from "./kpi-latency.js";
import type { LogsMeasurement } from "./logs.js";
import type { ProbeName, ProbeResult, ProbeState } from "./probe.js";
import type { ResourcesMeasurement } from "./resources.js";
import type { TestSuiteMeasurement } from "./test-suite.js";
import type { ValidationMeasurement } from "./validation.js";

export interface Measurements {
  phase: string;
  checkpoint: string;
  startedAt: string;
  finishedAt: string;
  probes: ProbeName[];
  health?: ProbeResult<HealthMeasurement>;
  latency?: ProbeResult<LatencyMeasurement>;
  errorRate?: ProbeResult<ErrorRateMeasurement>;
  resources?: ProbeResult<ResourcesMeasurement>;
  logs?: ProbeResult<LogsMeasurement>;
  audit?: ProbeResult<AuditMeasurement>;
  validation?: ProbeResult<ValidationMeasurement>;
  dataQuality?: ProbeResult<DataQualityMeasurement>;
  cutover?: ProbeResult<CutoverMeasurement>;
  testSuite?: ProbeResult<TestSuiteMeasurement>;
  /** New state to persist; pieces not measured this time are carried over from ctx.previous. */
  state: ProbeState;
}
