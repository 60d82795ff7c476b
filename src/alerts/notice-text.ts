/** Plain-text pieces of a notice that every human-facing channel (Slack, email) shows the same way. */
import type { AlertNotice } from "./types.ts";

const KIND_LABEL: Record<AlertNotice["kind"], string> = {
  trigger: "ALERT",
  resolve: "RESOLVED",
  reminder: "REMINDER",
  escalation: "ESCALATION",
  test: "TEST",
};

/** "[CRITICAL] ALERT: Error rate above 5 %" */
export function noticeHeadline(n: AlertNotice): string {
  return `[${n.severity.toUpperCase()}] ${KIND_LABEL[n.kind]}: ${n.title}`;
}

const EVIDENCE_ORDER = ["metric", "value", "threshold", "baseline", "window", "checkpoint", "phase"] as const;

/** The evidence as labelled lines, known fields first, in the checklist's order. */
export function evidenceEntries(n: AlertNotice): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const key of EVIDENCE_ORDER) {
    seen.add(key);
    const v = n.evidence[key];
    if (v === undefined) continue;
    entries.push([key, formatValue(v)]);
  }
  for (const [key, v] of Object.entries(n.evidence)) {
    if (seen.has(key) || v === undefined) continue;
    entries.push([key, formatValue(v)]);
  }
  return entries;
}

export function formatValue(v: unknown): string {
  if (v === null) return "none";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

/** The whole notice as plain text (email body, fallbacks). */
export function noticePlainText(n: AlertNotice): string {
  const lines = [noticeHeadline(n), "", n.summary, "", "Evidence:"];
  for (const [k, v] of evidenceEntries(n)) lines.push(`  ${k}: ${v}`);
  if (n.decision) {
    lines.push("", `Decision: ${n.decision.severity} - ${n.decision.action}`);
    if (n.decision.runbook.length > 0) {
      lines.push("Runbook:");
      n.decision.runbook.forEach((step, i) => lines.push(`  ${i + 1}. ${step}`));
    }
  }
  if (n.reportUrl) lines.push("", `Report: ${n.reportUrl}`);
  lines.push("", `Rule: ${n.ruleId}`, `Incident: ${n.dedupKey}`, `Time: ${n.ts}`);
  return lines.join("\n");
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}
