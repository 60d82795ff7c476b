/**
 * The console dashboard in the checklist's shape ("KPI Calculations: PASS" ...), with the
 * measured figures and every WARN, FAIL and ERROR with its reason.
 */
import type { CheckpointRecord, CheckRecord, Verdict } from "../checkpoint/context.js";

const MARK: Record<Verdict, string> = { PASS: "✓ PASS", WARN: "! WARN", FAIL: "✗ FAIL", ERROR: "? ERROR" };

/** The checklist's five dashboard lines, each from the monitor's own checks of this phase. */
const DASHBOARD_LINES: { label: string; match: RegExp }[] = [
  { label: "KPI Calculations", match: /kpi-golden|dashboard\.kpi|\.kpi$|kpi-ranges/ },
  { label: "Data Integrity", match: /data-quality|data-integrity|outputs/ },
  { label: "Performance", match: /latency|memory|cpu/ },
  { label: "Error Handling", match: /error-rate|log-errors|zero-log|zero-critical|zero-errors|log-scan|logs/ },
  { label: "Audit Trail", match: /audit/ },
];

function worstOf(checks: CheckRecord[]): Verdict | null {
  if (!checks.length) return null;
  const order: Verdict[] = ["PASS", "WARN", "ERROR", "FAIL"];
  return checks.reduce<Verdict>((w, c) => (order.indexOf(c.verdict) > order.indexOf(w) ? c.verdict : w), "PASS");
}

export function renderDashboard(r: CheckpointRecord, extra: { decisionLine: string; reportHint: string; alertsLine?: string; rollbackLine?: string }): string {
  const out: string[] = [];
  const title = `${r.phase}${r.scheduled_at ? ` @ ${r.scheduled_at}` : ""} — ${r.timestamp}`;
  out.push("", `=== cutover-monitor checkpoint: ${title} ===`);
  out.push(
    `Latency ${fmt(r.kpi_latency_ms, "ms")} | Error Rate ${fmt(r.error_rate_percent, "%")} | Memory ${fmt(r.memory_mb, "MB")} | CPU ${fmt(r.cpu_percent, "%")} | Audit events ${r.audit_trail_events ?? "n/a"} | Validation ${r.validation_status ?? "n/a"} | Pipeline ${r.pipeline_status}`,
  );
  out.push("");
  for (const line of DASHBOARD_LINES) {
    const v = worstOf(r.checks.filter((c) => line.match.test(c.id)));
    if (v) out.push(`${line.label.padEnd(18)}: ${MARK[v]}`);
  }
  const counts = countBy(r.checks.map((c) => c.verdict));
  out.push("", `${r.checks.length} checks: ${counts.PASS ?? 0} PASS, ${counts.WARN ?? 0} WARN, ${counts.FAIL ?? 0} FAIL, ${counts.ERROR ?? 0} ERROR`);
  const notPass = r.checks.filter((c) => c.verdict !== "PASS");
  for (const c of notPass) {
    out.push(`  ${MARK[c.verdict].padEnd(8)} ${c.title}`);
    out.push(`           ${c.measured}`);
    out.push(`           threshold: ${c.threshold}${c.advice ? `\n           what to do: ${c.advice}` : ""}`);
  }
  out.push("");
  if (extra.alertsLine) out.push(extra.alertsLine);
  out.push(extra.decisionLine);
  if (extra.rollbackLine) out.push(extra.rollbackLine);
  out.push(`Checkpoint: ${MARK[r.verdict]} (exit ${r.exit_code})`, extra.reportHint, "");
  return out.join("\n");
}

function fmt(v: number | null, unit: string): string {
  return v == null ? "n/a" : `${Number(v.toFixed(2))} ${unit}`;
}

function countBy<T extends string>(xs: T[]): Partial<Record<T, number>> {
  const out: Partial<Record<T, number>> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
