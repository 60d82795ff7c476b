/**
 * What every checklist spec uses. A spec binds one checklist line (its title) to one or more
 * catalogue checks and holds no logic: the checks were judged once by the checkpoint
 * (src/catalogue/check.ts `assess`) before the specs ran. The spec reports their verdict to
 * vitest and Allure: FAIL and ERROR fail the test with a message an operator can act on (what
 * was measured, against what threshold, what to do); WARN is an annotation.
 */
import { redactDeep } from "../secrets.js";
import { inject, it, type TestContext } from "vitest";
import * as allure from "allure-js-commons";
import type { CheckpointContext, CheckRecord, Verdict } from "../checkpoint/context.js";
import { worst } from "../judge/verdict.js";
import { boundForStorage, cutString, MAX_STORED_STRING_BYTES } from "../history/bound.js";

declare module "vitest" {
  interface ProvidedContext {
    checkpoint: CheckpointContext;
  }
  interface TaskMeta {
    line?: { spec: string; checks: string[]; verdict: Verdict };
  }
}

export interface LineMeta {
  /** Sub-section, e.g. "task" or "success-criterion". */
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

function checkpoint(): CheckpointContext {
  const c = inject("checkpoint");
  if (!c?.checks) {
    throw new MonitorCheckError("no checkpoint verdicts: run specs through `npm run checkpoint -- --phase=NAME`, not vitest directly");
  }
  return c;
}

/**
 * Declares the spec of one checklist line: `line(title, specId, checkIds, meta)`.
 * `section` is the enclosing describe block (the checklist's section).
 */
export function line(title: string, spec: string, checks: string | string[], meta: LineMeta = {}): void {
  const ids = Array.isArray(checks) ? checks : [checks];
  it(title, (ctx) => report(ctx, spec, ids, meta));
}

async function report(ctx: TestContext, spec: string, ids: string[], meta: LineMeta): Promise<void> {
  const c = checkpoint();
  const found = ids.map((id) => c.checks!.find((r) => r.id === id));
  const missing = ids.filter((_, i) => !found[i]);
  const records = found.filter((r): r is CheckRecord => !!r);
  // N/A checks (not configured) have no say in the line's verdict.
  const counted = records.filter((r) => !r.notApplicable);
  const verdict: Verdict = missing.length ? "ERROR" : worst(...(counted.length ? counted : records).map((r) => r.verdict));
  ctx.task.meta.line = { spec, checks: ids, verdict };
  await label(c, ctx, spec, meta, verdict, records);
  if (missing.length) {
    throw new MonitorCheckError(`ERROR (monitor could not judge): check(s) ${missing.join(", ")} not judged in phase ${c.checkpoint.phase}; fix the spec's binding or the catalogue's phases`);
  }
  const text = verdictText(records);
  // Every check of the line is N/A (not configured): skipped, never passed.
  if (records.length && records.every((r) => r.notApplicable)) return ctx.skip(`N/A: ${records.map((r) => r.measured).join("; ")}`);
  if (verdict === "WARN") await ctx.annotate(text, "warning");
  else if (verdict === "FAIL") throw new CheckAssertionError(text);
  else if (verdict === "ERROR") throw new MonitorCheckError(`ERROR (monitor could not judge): ${text}`);
}

/** What a line reports to vitest: each check's verdict, measurement, threshold and advice (each cut to 4 KB, like the history). */
export function verdictText(records: CheckRecord[]): string {
  const cut = (s: string) => cutString(s, MAX_STORED_STRING_BYTES);
  return records
    .filter((r) => r.verdict !== "PASS" || records.length === 1)
    .map((r) => `${records.length > 1 ? `[${r.id}] ` : ""}${r.verdict}: ${cut(r.measured)}; threshold: ${cut(r.threshold)}${r.advice ? `. What to do: ${cut(r.advice)}` : ""}`)
    .join("\n");
}

/** The Allure evidence.json attachment, bounded as the history is: a 50 MB body is never attached whole. */
export function evidenceAttachment(records: CheckRecord[]): string {
  const evidence = records.map((r) => ({ check: r.id, verdict: r.verdict, measured: r.measured, threshold: r.threshold, value: r.value, notMeasured: r.notMeasured, evidence: r.evidence }));
  return JSON.stringify(redactDeep(boundForStorage(evidence)), null, 2);
}

async function label(c: CheckpointContext, ctx: TestContext, spec: string, meta: LineMeta, verdict: Verdict, records: CheckRecord[]): Promise<void> {
  await allure.epic(c.config.name);
  await allure.feature(ctx.task.suite?.name ?? "");
  if (meta.kind) await allure.story(meta.kind);
  await allure.label("phase", c.checkpoint.phase);
  await allure.label("checkpoint", c.checkpoint.label);
  await allure.label("verdict", verdict);
  await allure.label("spec", spec);
  await allure.severity(meta.severity ?? "normal");
  await allure.parameter("checkpoint", c.checkpoint.label, { excluded: true });
  await allure.parameter("verdict", verdict, { excluded: true });
  const cut = (s: string) => cutString(s, MAX_STORED_STRING_BYTES);
  for (const r of records) {
    if (r.value !== null && r.value !== undefined) await allure.parameter(`${r.id} measured`, cut(`${typeof r.value === "number" ? roundForDisplay(r.value) : r.value}${r.unit ? ` ${r.unit}` : ""}`), { excluded: true });
    await allure.parameter(`${r.id} threshold`, cut(r.threshold), { excluded: true });
  }
  await allure.attachment("evidence.json", evidenceAttachment(records), "application/json");
}

/** A measured number as shown: 2 decimals under 100, whole above (the record keeps the full value). */
export function roundForDisplay(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}
