/**
 * The console dashboard in the checklist's shape ("KPI Calculations: PASS" ...), with the
 * measured figures and every WARN, FAIL and ERROR with its reason.
 */
import type { CheckpointRecord, CheckRecord, Verdict } from "../checkpoint/context.js";
import { DASHBOARD_GROUPS, type DashboardGroup } from "../catalogue/check.js";

const MARK: Record<Verdict, string> = { PASS: "✓ PASS", WARN: "! WARN", FAIL: "✗ FAIL", ERROR: "? ERROR" };

/** The checklist's five dashboard lines: the catalogue's dashboard groups, read by id. */
const DASHBOARD_LINES: DashboardGroup[] = ["kpi", "integrity", "performance", "errors", "audit", "pipeline"];

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
  for (const group of DASHBOARD_LINES) {
    const v = worstOf(r.checks.filter((c) => c.section === group && !c.notApplicable));
    if (v) out.push(`${DASHBOARD_GROUPS[group].padEnd(18)}: ${MARK[v]}`);
  }
  const na = r.checks.filter((c) => c.notApplicable);
  const counted = r.checks.filter((c) => !c.notApplicable);
  const counts = countBy(counted.map((c) => c.verdict));
  out.push("", `${counted.length} checks: ${counts.PASS ?? 0} PASS, ${counts.WARN ?? 0} WARN, ${counts.FAIL ?? 0} FAIL, ${counts.ERROR ?? 0} ERROR${na.length ? `; N/A (not configured): ${na.map((c) => c.id).join(", ")}` : ""}`);
  const notPass = counted.filter((c) => c.verdict !== "PASS");
  for (const c of notPass) {
    const lines = c.lines?.length ? ` — ${c.lines.map((l) => `"${l.title}"`).join(", ")}` : c.judgedBecause === "open alert" ? " — re-measured for an open alert" : "";
    out.push(`  ${MARK[c.verdict].padEnd(8)} [${c.id}] ${c.title}${lines}`);
    out.push(`           ${c.notMeasured ? "NOT MEASURED: " : ""}${c.measured}`);
    out.push(`           threshold: ${c.threshold}${c.advice ? `\n           what to do: ${c.advice}` : ""}`);
  }
  out.push("");
  const firing = r.firing ?? [];
  if (firing.length) {
    out.push(`Alerts firing: ${firing.map((f) => `${f.severity.toUpperCase()} ${f.rule} (${f.checks.join(", ")}${f.stale ? `; stale: not re-measured since ${f.stale}` : ""}${f.muted ? `; ${f.muted}` : ""})`).join(", ")}`);
  }
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
