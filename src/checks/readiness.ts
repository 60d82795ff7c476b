/**
 * Pre-cutover readiness and the person-only lines (attestations), plus the checks over the
 * history of earlier checkpoints that the 24-hour success criteria need.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { CheckOutcome } from "./outcome.js";
import { need } from "./outcome.js";
import type { CheckpointContext, HistoryPoint } from "../checkpoint/context.js";
import { judgeBand } from "../judge/bands.js";

export function alertChannelsTested(c: CheckpointContext): CheckOutcome {
  const r = need(c.alertChannels, "alertChannels");
  const failed = r.results.filter((x) => !x.ok);
  if (r.results.length === 0) {
    return {
      verdict: "FAIL",
      measured: `no alert channel configured${r.problems.length ? ` (${r.problems.join("; ")})` : ""}`,
      threshold: "every configured channel (Slack, Email, PagerDuty) accepts a test notification; at least one configured",
      advice:
        "set SLACK_WEBHOOK_URL, PAGERDUTY_ROUTING_KEY and the SMTP settings in .env (see .env.example); " +
        "to try the monitor without real channels, `npm run receivers` starts local stand-ins and prints the variables to set",
      value: 0,
    };
  }
  return {
    verdict: failed.length ? "FAIL" : "PASS",
    measured: r.results.map((x) => `${x.channel}: ${x.ok ? "accepted" : `failed (${x.error})`}`).join(", ") + (r.problems.length ? `; not configured: ${r.problems.join("; ")}` : ""),
    threshold: "every configured channel accepts a test notification",
    advice: "fix the failing channel's URL, key or server before the cutover; alerts would be lost",
    value: `${r.results.length - failed.length}/${r.results.length}`,
  };
}

export function week3BaselineEstablished(c: CheckpointContext): CheckOutcome {
  const b = c.config.baseline.week3;
  const t = c.config.thresholds;
  const rows = [
    { name: "KPI latency", value: b.kpi_latency_ms, band: t.kpiLatencyP95Ms },
    { name: "error rate", value: b.error_rate_percent, band: t.errorRatePercent },
    { name: "memory peak", value: b.memory_peak_mb, band: t.memoryMb },
  ].map((r) => ({ ...r, j: judgeBand(r.value, r.band) }));
  const bad = rows.filter((r) => r.j.verdict !== "PASS");
  const auditOk = b.audit_trail_events_min >= c.config.target.audit.eventsPerCalculation;
  return {
    verdict: bad.length || !auditOk ? "FAIL" : "PASS",
    measured: rows.map((r) => `${r.name} ${r.value}`).join(", ") + `, CPU < ${b.cpu_percent_below} %, audit events >= ${b.audit_trail_events_min}`,
    threshold: "the week-3 baseline is recorded and each value meets its target band",
    advice: "record the week-3 test results in the config (baseline.week3) before the cutover",
    value: bad.length,
    evidence: { week3: b },
  };
}

export function rollbackReady(c: CheckpointContext): CheckOutcome {
  const cmd = c.config.target.rollback.command;
  const exe = cmd[0];
  const resolvable = exe.includes("/") ? existsSync(path.resolve(exe)) : true;
  const script = cmd.find((a) => /\.(sh|ts|js|py)$/.test(a));
  const scriptOk = script ? existsSync(path.resolve(script)) : true;
  return {
    verdict: resolvable && scriptOk ? "PASS" : "FAIL",
    measured: `rollback command ${JSON.stringify(cmd)}: executable ${resolvable ? "found" : "missing"}${script ? `, script ${scriptOk ? "found" : "missing"}` : ""}; automatic rollback ${c.config.rollback.auto ? "enabled" : "disabled (recommend only)"}`,
    threshold: "the configured rollback command exists",
    advice: "configure target.rollback.command to the pipeline's rollback script",
    value: resolvable && scriptOk ? "ready" : "missing",
  };
}

export function attestation(c: CheckpointContext, id: string): CheckOutcome {
  const item = c.config.attestations.find((a) => a.id === id);
  if (!item) {
    return { verdict: "ERROR", measured: `attestation item "${id}" is not in the config`, threshold: "configured", value: null };
  }
  const found = [...c.attestations].reverse().find((a) => a.id === id);
  if (found) {
    return {
      verdict: "PASS",
      measured: `attested by ${found.by} at ${found.at}${found.note ? ` (${found.note})` : ""}`,
      threshold: "a recorded attestation",
      value: found.by,
    };
  }
  // A signature or an attestation is a person's act, not a technical criterion: missing is
  // "awaiting", a WARN; it never fails a checkpoint.
  return {
    verdict: "WARN",
    measured: `${id.startsWith("signoff-") ? "awaiting sign-off" : "awaiting attestation"}: nothing recorded for "${item.line}"`,
    threshold: `an attestation by a named person (required by the ${item.requiredBy} phase)`,
    advice: `once done, record it: npm run attest -- --item ${id} --by "NAME" [--note TEXT]`,
    value: null,
  };
}

/** Every probe of the phase ran and the configuration validated: "Monitoring systems configured". */
export function monitoringConfigured(c: CheckpointContext): CheckOutcome {
  const m = c.measurements;
  const failed = m.probes.filter((p) => {
    const r = (m as unknown as Record<string, { ok: boolean; failure?: string } | undefined>)[p];
    return !r || (!r.ok && r.failure === "monitor");
  });
  // Sources the config declares unreachable from where the monitor runs: neither read nor failed.
  const na = m.probes.filter((p) => (m as unknown as Record<string, { ok: boolean; failure?: string } | undefined>)[p]?.failure === "notApplicable");
  const read = m.probes.length - failed.length - na.length;
  return {
    verdict: failed.length ? "FAIL" : "PASS",
    measured: `configuration valid; ${read}/${m.probes.length - na.length} probes could read the target${failed.length ? ` (not: ${failed.join(", ")})` : ""}${na.length ? `; N/A from here: ${na.join(", ")}` : ""}`,
    threshold: "config valid and every probe of the phase able to read its source",
    advice: "fix the probe configuration for the failing sources (paths, metric names, patterns)",
    value: `${read}/${m.probes.length - na.length}`,
  };
}

// ------------------------------------------------------------------ history

function since(points: HistoryPoint[], phases: string[]): HistoryPoint[] {
  return points.filter((p) => phases.includes(p.phase));
}

/** Records of earlier checkpoints in a set of phases, judged by a predicate; none is a FAIL. */
export function historyAll(
  c: CheckpointContext,
  opts: { phases: string[]; what: string; threshold: string; advice: string; ok: (p: HistoryPoint) => boolean | "warn"; includeCurrent?: () => boolean | "warn" },
): CheckOutcome {
  const pts = since(c.history, opts.phases);
  const results = pts.map((p) => ({ p, r: opts.ok(p) }));
  const current = opts.includeCurrent?.();
  const total = results.length + (current === undefined ? 0 : 1);
  if (total === 0) {
    return {
      verdict: "FAIL",
      measured: `no checkpoint recorded in ${opts.phases.join(", ")}`,
      threshold: opts.threshold,
      advice: "the checkpoints of these phases did not run; the criterion cannot be shown",
      value: null,
    };
  }
  const bad = results.filter((x) => x.r === false);
  const warn = results.filter((x) => x.r === "warn");
  let verdict: CheckOutcome["verdict"] = bad.length || current === false ? "FAIL" : warn.length || current === "warn" ? "WARN" : "PASS";
  return {
    verdict,
    measured: `${opts.what}: ${total - bad.length - (current === false ? 1 : 0)}/${total} checkpoints meet it${bad.length ? `; not: ${bad.slice(0, 5).map((x) => `${x.p.phase}${x.p.scheduledAt ? "@" + x.p.scheduledAt : ""} (${x.p.timestamp})`).join(", ")}` : ""}`,
    threshold: opts.threshold,
    advice: opts.advice,
    value: `${total - bad.length}/${total}`,
  };
}

export function historyMean(c: CheckpointContext, field: "kpi_latency_ms" | "error_rate_percent", current: number | null) {
  const vals = c.history.map((h) => h[field]).filter((v): v is number => typeof v === "number");
  if (current != null) vals.push(current);
  return { n: vals.length, mean: vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : null, max: vals.length ? Math.max(...vals) : null };
}
