/**
 * The detection matrix's runner: one row is one fault injected into a live reference pipeline
 * and the checkpoint that must catch it. The expectations are hand-written in the test files
 * (not derived from the catalogue under test): the checks that must FAIL or WARN, the only alert
 * rules that may fire (with their severity), the decision and the exit code. A row fails when
 * an unlisted check FAILs or an unlisted alert fires: a monitor that cries wolf fails the matrix.
 */
import { expect } from "vitest";
import { checkOf, describeChecks, type CheckpointRun } from "./checkpoint-harness.js";

export interface MatrixRow {
  name: string;
  /** Checks that must end FAIL; no other check may FAIL. */
  fail?: string[];
  /** Checks that must end WARN. */
  warn?: string[];
  /** Checks that must be shown as not measured. */
  notMeasured?: string[];
  /** Exactly these rules fire (are firing and not muted) after the checkpoint; [] means none. */
  fires: { rule: string; severity: "critical" | "warning" }[];
  decision: "NONE" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
  rollback?: "now" | "recommended" | "no";
  exit: 0 | 1 | 3;
}

/** Asserts a checkpoint run against its row; the message carries the record's checks. */
export function expectRow(run: CheckpointRun, row: MatrixRow): void {
  const rec = run.record;
  const why = `${row.name}\n${describeChecks(run)}\nfiring: ${JSON.stringify(rec?.firing)}`;
  expect(rec, why).toBeTruthy();
  for (const id of row.fail ?? []) expect(checkOf(rec, id).verdict, `${id} must FAIL: ${why}`).toBe("FAIL");
  for (const id of row.warn ?? []) expect(checkOf(rec, id).verdict, `${id} must WARN: ${why}`).toBe("WARN");
  for (const id of row.notMeasured ?? []) expect(checkOf(rec, id).notMeasured, `${id} must be not measured: ${why}`).toBe(true);
  const failing = (rec!.checks as { id: string; verdict: string }[]).filter((c) => c.verdict === "FAIL").map((c) => c.id).sort();
  expect(failing, `only the listed checks FAIL: ${why}`).toEqual([...(row.fail ?? [])].sort());
  const firing = ((rec!.firing ?? []) as { rule: string; severity: string; muted: string | null }[]).filter((f) => !f.muted).map((f) => ({ rule: f.rule, severity: f.severity }));
  expect(firing.sort((a, b) => a.rule.localeCompare(b.rule)), `exactly these alerts fire: ${why}`).toEqual([...row.fires].sort((a, b) => a.rule.localeCompare(b.rule)));
  expect(rec!.decision.severity, why).toBe(row.decision);
  expect(rec!.decision.rollback, why).toBe(row.rollback ?? "no");
  expect(run.exitCode, why).toBe(row.exit);
  expect(rec!.exit_code).toBe(run.exitCode);
}
