/**
 * What an evaluation returns, and the helpers evaluations share. Free of vitest and Allure, so
 * the judge can reuse evaluations outside a spec run.
 */
import type { Verdict } from "../checkpoint/context.js";
import type { ProbeResult } from "../probes/probe.js";

/** The outcome an evaluation returns. */
export interface CheckOutcome {
  verdict: Verdict;
  /** What was measured, with units: "p95 end-to-end 412.3 ms over 30 requests". */
  measured: string;
  /** The band or rule: "PASS < 100 ms, WARN 100-500 ms, FAIL > 500 ms". */
  threshold: string;
  /** What the operator should do when it is not PASS (the checklist's response). */
  advice?: string;
  /** The headline number (for the record and the dashboard). */
  value?: number | string | null;
  evidence?: Record<string, unknown>;
  /** Nothing could be measured (the target did not answer, or the monitor could not read it). */
  notMeasured?: boolean;
  /**
   * N/A: what the check is about is not configured (an output channel the pipeline does not
   * write). Shown as N/A; never counted as a pass, and no say in the verdict, rules or decision.
   */
  notApplicable?: boolean;
}

/** A probe that could not deliver: a target failure is a FAIL, a monitor failure an ERROR, a source not reachable by configuration N/A. */
export class ProbeUnavailable extends Error {
  constructor(
    readonly failure: "target" | "monitor" | "notApplicable",
    message: string,
  ) {
    super(message);
    this.name = "ProbeUnavailable";
  }
}

/** The probe's data, or a ProbeUnavailable that `check` turns into FAIL or ERROR. */
export function need<T>(result: ProbeResult<T> | undefined, probe: string): T {
  if (!result) throw new ProbeUnavailable("monitor", `probe "${probe}" did not run in this phase`);
  if (!result.ok) throw new ProbeUnavailable(result.failure, result.message);
  return result.data;
}

export const fmt = {
  ms: (v: number | null | undefined) => (v == null || Number.isNaN(v) ? "n/a" : `${v.toFixed(v < 10 ? 2 : 1)} ms`),
  pct: (v: number | null | undefined) => (v == null || Number.isNaN(v) ? "n/a" : `${v.toFixed(v < 1 ? 3 : 2)} %`),
  mb: (v: number | null | undefined) => (v == null || Number.isNaN(v) ? "n/a" : `${v.toFixed(1)} MB`),
};
