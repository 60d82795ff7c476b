/**
 * What every checklist spec uses: read the checkpoint's measurements (measured once, before
 * the specs run), turn one evaluation into a PASS / WARN / FAIL / ERROR verdict with its
 * evidence, label it for Allure, and fail the vitest test on FAIL or ERROR with a message an
 * operator can act on: what was measured, against what threshold, and what to do.
 */
export { fmt, need, ProbeUnavailable, type CheckOutcome } from "../checks/outcome.js";
import { inject, type TestContext } from "vitest";
import * as allure from "allure-js-commons";
import type { CheckpointContext, CheckRecord } from "../checkpoint/context.js";
import { ProbeUnavailable, type CheckOutcome } from "../checks/outcome.js";

declare module "vitest" {
  interface ProvidedContext {
    checkpoint: CheckpointContext;
  }
  interface TaskMeta {
    check?: CheckRecord;
  }
}

export interface CheckMeta {
  /** Stable id, used by alert rules and the record: "stability.latency". */
  id: string;
  /** The checklist's section (Allure epic/feature/story). */
  section: string;
  /** Sub-section, e.g. "Tasks" or "Success Criteria". */
  kind?: "task" | "success-criterion" | "baseline" | "preparation" | "attestation" | "dashboard" | "completion";
  severity?: "blocker" | "critical" | "normal" | "minor";
}

/** Thrown for FAIL; the name makes Allure classify it as a failed (not broken) test. */
export class CheckAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckAssertionError";
  }
}

/** Thrown for ERROR: the monitor could not judge (its own defect or data it cannot parse). */
export class MonitorCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MonitorCheckError";
  }
}

export function checkpoint(): CheckpointContext {
  const c = inject("checkpoint");
  if (!c) {
    throw new MonitorCheckError(
      "no checkpoint measurements: run specs through `npm run checkpoint -- --phase=NAME`, not vitest directly",
    );
  }
  return c;
}

export async function check(
  ctx: TestContext,
  meta: CheckMeta,
  evaluate: (c: CheckpointContext) => CheckOutcome | Promise<CheckOutcome>,
): Promise<void> {
  const c = checkpoint();
  let outcome: CheckOutcome;
  try {
    outcome = await evaluate(c);
  } catch (error) {
    if (error instanceof ProbeUnavailable) {
      outcome =
        error.failure === "target"
          ? {
              verdict: "FAIL",
              measured: error.message,
              threshold: "the target answers correctly within its timeout",
              advice: "check that the pipeline is running and reachable; this is what the monitor exists to catch",
              value: null,
            }
          : {
              verdict: "ERROR",
              measured: error.message,
              threshold: "the monitor can read the target's data",
              advice: "the monitor could not judge this check; fix the configuration or report format, then re-run",
              value: null,
            };
    } else {
      outcome = {
        verdict: "ERROR",
        measured: `monitor defect: ${(error as Error)?.message ?? String(error)}`,
        threshold: "the check evaluates without error",
        advice: "report this monitor defect; the check could not judge the pipeline",
        value: null,
      };
    }
  }

  const record: CheckRecord = {
    id: meta.id,
    title: ctx.task.name,
    section: meta.section,
    verdict: outcome.verdict,
    measured: outcome.measured,
    threshold: outcome.threshold,
    advice: outcome.verdict === "PASS" ? undefined : outcome.advice,
    value: outcome.value ?? null,
    evidence: outcome.evidence,
  };
  ctx.task.meta.check = record;
  await label(c, meta, record);

  const line = `${outcome.measured}; threshold: ${outcome.threshold}${outcome.advice ? `. What to do: ${outcome.advice}` : ""}`;
  if (outcome.verdict === "WARN") {
    await ctx.annotate(`WARN: ${line}`, "warning");
  } else if (outcome.verdict === "FAIL") {
    throw new CheckAssertionError(`FAIL: ${line}`);
  } else if (outcome.verdict === "ERROR") {
    throw new MonitorCheckError(`ERROR (monitor could not judge): ${line}`);
  }
}

async function label(c: CheckpointContext, meta: CheckMeta, record: CheckRecord): Promise<void> {
  await allure.epic(c.config.name);
  await allure.feature(meta.section);
  if (meta.kind) await allure.story(meta.kind);
  await allure.label("phase", c.checkpoint.phase);
  await allure.label("checkpoint", c.checkpoint.label);
  await allure.label("verdict", record.verdict);
  await allure.severity(meta.severity ?? "normal");
  await allure.parameter("checkpoint", c.checkpoint.label, { excluded: true });
  await allure.parameter("verdict", record.verdict, { excluded: true });
  if (record.value !== null && record.value !== undefined) {
    await allure.parameter("measured value", String(record.value), { excluded: true });
  }
  await allure.parameter("threshold", record.threshold, { excluded: true });
  await allure.attachment(
    "evidence.json",
    JSON.stringify({ measured: record.measured, threshold: record.threshold, value: record.value, evidence: record.evidence }, null, 2),
    "application/json",
  );
}

