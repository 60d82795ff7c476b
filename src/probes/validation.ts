import fs from "node:fs";
import { z } from "zod";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import { asString, errorText, getPath, globPaths, monitorFailure, notApplicable, runProbe, runTargetCommand, tail, targetFailure } from "./target-io.js";
import type { ProbeContext, ProbeResult } from "./probe.js";

export interface ValidationCheck {
  name: string;
  present: boolean;
  status: string | null;
  details: Record<string, unknown>;
}

export interface ValidationMeasurement {
  command: string[];
  exitCode: number | null;
  timedOut: boolean;
  commandDurationMs: number;
  stdoutTail: string;
  stderrTail: string;
  reportPath: string;
  /** The report was written by this run (mtime or timestamp after the command started). */
  reportFresh: boolean;
  reportTimestamp: string | null;
  reportMtimeMs: number;
  status: string;
  /** Classified status: "PASS" | "WARN" | "FAIL" per configured values. */
  verdict: "PASS" | "WARN" | "FAIL";
  issues: unknown[];
  checks: ValidationCheck[];
  missingChecks: string[];
  /** Newest per-run report matching the glob, if any. */
  perRunReport: { path: string; mtimeMs: number } | null;
}

type ParsedReport = Pick<ValidationMeasurement, "status" | "verdict" | "issues" | "checks" | "missingChecks" | "reportTimestamp">;

const checkSchema = z.record(z.string(), z.unknown());

/**
 * Parse a validation report's text against the configured shape. Not JSON, truncated, or a
 * field missing / of the wrong type -> monitor failure naming the file and the field.
 */
export function parseValidationReport(target: TargetConfig, text: string, file: string): ParsedReport {
  const v = target.validation;
  const f = v.fields;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const why = text.trim() === "" ? "empty file" : `not JSON (truncated or another format): ${errorText(err)}`;
    throw monitorFailure(`validation report unreadable: ${file}: ${why}`);
  }
  const bad = (field: string, expected: string) =>
    monitorFailure(`validation report has an unknown shape: ${file}: field "${field}": expected ${expected}`);
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) throw bad("(root)", "a JSON object");
  const status = getPath(doc, f.status);
  if (typeof status !== "string") throw bad(f.status, "a string status");
  const all = [...v.statusValues.pass, ...v.statusValues.warn, ...v.statusValues.fail];
  if (!all.includes(status)) throw bad(f.status, `one of ${all.join("|")}, got "${status.slice(0, 40)}"`);
  const issuesRaw = getPath(doc, f.issues);
  if (issuesRaw !== undefined && !Array.isArray(issuesRaw)) throw bad(f.issues, "an array");
  const checksRaw = getPath(doc, f.checks);
  const checksParsed = checkSchema.safeParse(checksRaw);
  if (!checksParsed.success || checksRaw === null || Array.isArray(checksRaw)) throw bad(f.checks, "an object of checks");
  const checks: ValidationCheck[] = [];
  const missingChecks: string[] = [];
  for (const name of v.checkNames) {
    const c = checksParsed.data[name];
    if (c === undefined) {
      missingChecks.push(name);
      checks.push({ name, present: false, status: null, details: {} });
      continue;
    }
    if (!c || typeof c !== "object" || Array.isArray(c)) throw bad(`${f.checks}.${name}`, "an object");
    const cs = getPath(c, f.checkStatus);
    if (typeof cs !== "string") throw bad(`${f.checks}.${name}.${f.checkStatus}`, "a string status");
    const details = { ...(c as Record<string, unknown>) };
    delete details[f.checkStatus];
    checks.push({ name, present: true, status: cs, details });
  }
  const verdict = v.statusValues.pass.includes(status) ? "PASS" : v.statusValues.warn.includes(status) ? "WARN" : "FAIL";
  return {
    status,
    verdict,
    issues: (issuesRaw as unknown[] | undefined) ?? [],
    checks,
    missingChecks,
    reportTimestamp: f.timestamp ? asString(getPath(doc, f.timestamp)) : null,
  };
}

/**
 * Run the target's validation command, then read and parse its report. The command's exit
 * code is evidence, not the verdict. Report missing -> target failure; unparseable -> monitor.
 */
export function probeValidation(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<ValidationMeasurement>> {
  return runProbe(async () => {
    const v = target.validation;
    if (!v.enabled) throw notApplicable("the pipeline's validation script cannot be run from where the monitor runs (validation.enabled: false)");
    const out = await runTargetCommand(target, v, "validation", { onLine: ctx.onLine, keepLines: 50, now: ctx.now });
    if (out.timedOut) throw targetFailure(`validation command timed out after ${v.timeoutMs} ms: ${out.argv.join(" ")}`);
    const reportPath = resolveTargetPath(target, v.reportPath);
    let text: string;
    let mtimeMs: number;
    try {
      text = await fs.promises.readFile(reportPath, "utf8");
      mtimeMs = (await fs.promises.stat(reportPath)).mtimeMs;
    } catch (err) {
      throw targetFailure(
        `validation report missing: ${reportPath} (validation.reportPath) after the command exited ${out.exitCode}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`,
      );
    }
    const parsed = parseValidationReport(target, text, reportPath);
    const tsMs = parsed.reportTimestamp ? Date.parse(parsed.reportTimestamp) : NaN;
    // 1 s slack: file systems with coarse mtimes, clocks that round.
    const fresh = mtimeMs >= out.startedAtMs - 1000 || (Number.isFinite(tsMs) && tsMs >= out.startedAtMs - 1000);
    const perRun = v.perRunGlob ? (await globPaths(target.stateDir, v.perRunGlob)).find((p) => !p.isDirectory) : undefined;
    return {
      command: out.argv,
      exitCode: out.exitCode,
      timedOut: out.timedOut,
      commandDurationMs: out.durationMs,
      stdoutTail: tail(out.stdout),
      stderrTail: tail(out.stderr),
      reportPath,
      reportFresh: fresh,
      reportMtimeMs: mtimeMs,
      ...parsed,
      perRunReport: perRun ? { path: perRun.path, mtimeMs: perRun.mtimeMs } : null,
    };
  });
}
