/**
 * The final 24-hour report: the checklist's success criteria as recorded by the final checkpoint
 * (each read by its check id), GO / NO-GO by the config's rules, recommendations derived from the
 * evidence, the post-24-hour actions and the three signatures. Signatures are not criteria: they
 * never change the decision, only whether it is signed.
 */
import type { CheckRecord, Verdict } from "../checkpoint/context.js";
import { fitTrend, fmtOffset, fmtTime, type CheckpointView, type Incident, type ReportModel } from "./model.js";
import type { ReportSources, SignoffEntry } from "./sources.js";
import { SIGNOFF_ROLES, signoffConfigOf, type RuleAction, type SignoffConfig } from "./signoff-config.js";

export type CriterionVerdict = Verdict | "NOT MEASURED";

export interface Criterion {
  key: string;
  /** The checklist's name for it. */
  title: string;
  target: string;
  achieved: string;
  verdict: CriterionVerdict;
  /** The catalogue check it reads, and where its evidence is (the checkpoint page, relative to the site). */
  check: string;
  evidence: { label: string; page: string; anchor: string }[];
  /** How it was read ("the final checkpoint's verdict", "every checkpoint's verdict, the worst"). */
  how: string;
}

export type GoDecision = "GO" | "GO WITH CONDITIONS" | "NO-GO" | "PENDING";

export interface Finding {
  kind: keyof SignoffConfig["rules"];
  action: RuleAction;
  text: string;
}

export interface Recommendation {
  /** What it comes from: a warning, an incident, a near miss, a trend, a gap. */
  source: "warning" | "incident" | "near-miss" | "trend" | "missed" | "uptime" | "attestation" | "history";
  text: string;
  /** The checkpoint page it points at, when there is one. */
  page?: string;
}

export interface Signature {
  role: string;
  title: string;
  signed: SignoffEntry | null;
  /** Records appended to the history after they signed. */
  recordsSince: number | null;
  /** Their decision differs from the current one. */
  decisionChanged: boolean;
}

export interface SignoffModel {
  name: string;
  generatedAt: string;
  cutover: ReportModel["cutover"];
  /** The checkpoint the criteria were read from. */
  source: { id: string; slot: string | null; page: string; timestamp: string } | null;
  criteria: Criterion[];
  decision: GoDecision;
  /** Why NO-GO (every no-go finding), or why PENDING. */
  reasons: string[];
  /** GO's conditions (every condition finding). */
  conditions: string[];
  findings: Finding[];
  openIncidents: Incident[];
  incidents: Incident[];
  rollbacks: { at: string; reason: string; verified: boolean; cutoverStartedAt: string }[];
  recommendations: Recommendation[];
  actions: { pass: string[]; fail: string[]; applies: "pass" | "fail" | null };
  signatures: Signature[];
  signedCount: number;
  /** "awaiting sign-off (1/3)" or "signed (3/3)". */
  signoffStatus: string;
  chains: ReportSources["chains"];
  counts: ReportModel["counts"];
  rules: SignoffConfig["rules"];
}

/** The checklist's "Post-24-Hour Actions". */
export const POST_24H_ACTIONS = {
  pass: ["Move to steady-state monitoring", "Resume normal data operations", "Archive Week 4 reports", "Schedule V1 decommissioning", "Document lessons learned"],
  fail: ["Analyze failure root cause", "Document incident report", "Identify fixes required", "Plan re-deployment", "Update procedures"],
};

/** The checklist's success criteria, each answered by one catalogue check. */
const CRITERIA: { key: string; title: string; check: string; target: (s: ReportSources) => string; over?: "all" }[] = [
  { key: "uptime", title: "24-hour Uptime", check: "uptime-24h", target: () => "100 %, measured continuously" },
  { key: "error-rate", title: "Error Rate", check: "error-rate-24h", target: (s) => `< ${s.config.thresholds.errorRatePercent.warnAt} %` },
  { key: "avg-latency", title: "Avg Latency", check: "avg-latency-24h", target: (s) => `< ${s.config.thresholds.kpiLatencyP95Ms.warnAt} ms` },
  { key: "memory-stable", title: "Memory Stable", check: "memory-stable", target: (s) => `± ${s.config.thresholds.memoryStableWithinPercent} %` },
  { key: "audit", title: "Audit Trail", check: "audit-continuous", target: () => "continuous" },
  { key: "data-quality", title: "Data Quality", check: "data-quality", target: () => "100 % (every checkpoint)", over: "all" },
  { key: "tests", title: "All Tests Passing", check: "test-suite", target: (s) => (s.config.target.testSuite.expectedTotal ? `${s.config.target.testSuite.expectedTotal}/${s.config.target.testSuite.expectedTotal}` : "all of the pipeline's tests") },
  { key: "kpi", title: "KPI Calculations Verified", check: "kpi-golden", target: () => "golden tape values" },
];

const ORDER: Verdict[] = ["PASS", "WARN", "ERROR", "FAIL"];
const worse = (a: Verdict, b: Verdict) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a);

function fmtValue(c: CheckRecord): string {
  if (c.notMeasured) return `not measured: ${c.measured}`;
  return c.measured;
}

export function buildSignoff(src: ReportSources, model: ReportModel): SignoffModel {
  const sc = signoffConfigOf(src.config);
  const afterCutover = model.checkpoints.filter((c) => c.phase !== "pre-cutover");
  // The criteria come from the latest final-phase checkpoint: 24:00, or the last that ran.
  const finals = afterCutover.filter((c) => c.phase === "final");
  const source = finals[finals.length - 1] ?? null;
  const anchor = (id: string) => `check-${id}`;

  const criteria: Criterion[] = CRITERIA.map((def) => {
    const target = def.target(src);
    if (def.over === "all") {
      const judged = afterCutover.map((c) => ({ c, k: c.record.checks?.find((k) => k.id === def.check) })).filter((x): x is { c: CheckpointView; k: CheckRecord } => !!x.k);
      if (!judged.length) return { key: def.key, title: def.title, target, achieved: "not measured: no checkpoint judged it", verdict: "NOT MEASURED", check: def.check, evidence: [], how: `every checkpoint's ${def.check} verdict` };
      const pass = judged.filter((x) => x.k.verdict === "PASS").length;
      const verdict = judged.reduce<Verdict>((w, x) => worse(w, x.k.verdict), "PASS");
      const bad = judged.filter((x) => x.k.verdict !== "PASS");
      return {
        key: def.key,
        title: def.title,
        target,
        achieved: `${pass}/${judged.length} checkpoints PASS${bad.length ? `; ${bad.slice(0, 3).map((x) => `${slotLabel(x.c)} ${x.k.verdict}: ${x.k.measured.slice(0, 120)}`).join("; ")}` : ""}`,
        verdict,
        check: def.check,
        evidence: (bad.length ? bad : judged.slice(-1)).slice(0, 5).map((x) => ({ label: slotLabel(x.c), page: x.c.page, anchor: anchor(def.check) })),
        how: `every checkpoint's ${def.check} verdict; the worst counts`,
      };
    }
    const k = source?.record.checks?.find((c) => c.id === def.check);
    if (!source || !k) {
      const why = !source ? "no final checkpoint has run" : `the ${slotLabel(source)} checkpoint holds no ${def.check} check`;
      return { key: def.key, title: def.title, target, achieved: def.key === "uptime" ? `not continuously measured (${why})` : `not measured (${why})`, verdict: "NOT MEASURED", check: def.check, evidence: source ? [{ label: slotLabel(source), page: source.page, anchor: "checks" }] : [], how: `the final checkpoint's ${def.check} verdict` };
    }
    return { key: def.key, title: def.title, target, achieved: fmtValue(k), verdict: k.verdict, check: def.check, evidence: [{ label: slotLabel(source), page: source.page, anchor: anchor(def.check) }], how: `the final checkpoint's ${def.check} verdict` };
  });

  // Findings, each weighed by its rule.
  const findings: Finding[] = [];
  const add = (kind: Finding["kind"], text: string) => findings.push({ kind, action: sc.rules[kind], text });
  for (const c of criteria) {
    if (c.key === "uptime" && (c.verdict === "NOT MEASURED" || uptimeNotContinuous(source, c))) {
      add("uptimeNotContinuous", `24-hour uptime not continuously measured: ${c.achieved}`);
      if (c.verdict === "FAIL") add("fail", `${c.title} FAIL: ${c.achieved}`);
      continue;
    }
    if (c.verdict === "FAIL") add("fail", `${c.title} FAIL (target ${c.target}): ${c.achieved}`);
    else if (c.verdict === "ERROR") add("error", `${c.title} could not be judged (ERROR): ${c.achieved}`);
    else if (c.verdict === "WARN") add("warn", `${c.title} WARN (target ${c.target}): ${c.achieved}`);
    else if (c.verdict === "NOT MEASURED") add("notMeasured", `${c.title} not measured: ${c.achieved}`);
  }
  // The checkpoint the criteria come from is itself a verdict: when it FAILed (or could not judge)
  // on checks that are not criteria, the 24-hour decision says so, so that the watch's exit code,
  // that checkpoint's and the sign-off never disagree.
  if (source && (source.record.verdict === "FAIL" || source.record.verdict === "ERROR")) {
    const criterionIds = new Set(CRITERIA.map((d) => d.check));
    const bad = (source.record.checks ?? []).filter((k) => k.verdict === source.record.verdict && !criterionIds.has(k.id) && !k.notApplicable);
    if (bad.length) add("finalCheckpointFailed", `the ${slotLabel(source)} checkpoint ${source.record.verdict === "FAIL" ? "FAILed" : "was inconclusive (ERROR)"}: ${bad.slice(0, 4).map((k) => `${k.title}: ${k.measured.slice(0, 120)}`).join("; ")}${bad.length > 4 ? `; and ${bad.length - 4} more` : ""}`);
  }
  for (const s of model.slots.filter((x) => x.status === "MISSED")) add("missedCheckpoint", `checkpoint ${s.phase}@${s.at} MISSED (due ${s.dueAt ? fmtTime(s.dueAt) : "?"})`);
  for (const s of model.slots.filter((x) => x.status === "late")) add("lateCheckpoint", `checkpoint ${s.phase}@${s.at} late by ${s.lateMinutes} min`);
  const openIncidents = model.incidents.filter((i) => i.open && i.rule !== "rollback-recommended");
  for (const i of openIncidents) add(i.severity === "critical" ? "openCriticalIncident" : "openWarningIncident", `incident ${i.rule} (${i.severity}) open since ${fmtTime(i.firedAt)}`);
  const rollbacks = [...src.previousCutovers, ...(src.cutover ? [src.cutover] : [])].filter((c) => c.rolledBack).map((c) => ({ ...c.rolledBack!, cutoverStartedAt: c.startedAt }));
  if (src.cutover?.rolledBack) add("rolledBack", `the cutover of ${fmtTime(src.cutover.startedAt)} was rolled back at ${fmtTime(src.cutover.rolledBack.at)}: ${src.cutover.rolledBack.reason}`);

  const finalSlot = model.slots[model.slots.length - 1];
  const pending = !source && !src.cutover?.rolledBack && finalSlot?.status === "not yet due";
  const noGo = findings.filter((f) => f.action === "no-go");
  const conditions = findings.filter((f) => f.action === "condition").map((f) => f.text);
  const decision: GoDecision = pending ? "PENDING" : noGo.length ? "NO-GO" : conditions.length ? "GO WITH CONDITIONS" : "GO";
  const reasons = pending ? [`the 24-hour criteria are judged by the final checkpoints (${finalSlot?.statusText ?? "not scheduled"})`] : noGo.map((f) => f.text);

  const signatures: Signature[] = SIGNOFF_ROLES.map((r) => {
    const signed = [...src.signoffs].reverse().find((s) => s.role === r.role) ?? null;
    return {
      role: r.role,
      title: r.title,
      signed,
      recordsSince: signed ? Math.max(0, src.chains.checkpoints.records - signed.chain.checkpoints.records) : null,
      decisionChanged: !!signed && signed.decision !== decision,
    };
  });
  const signedCount = signatures.filter((s) => s.signed).length;

  return {
    name: model.name,
    generatedAt: model.generatedAt,
    cutover: model.cutover,
    source: source ? { id: source.id, slot: source.slot, page: source.page, timestamp: source.timestamp } : null,
    criteria,
    decision,
    reasons,
    conditions,
    findings,
    openIncidents,
    incidents: model.incidents,
    rollbacks,
    recommendations: recommendations(src, model, sc),
    actions: { ...POST_24H_ACTIONS, applies: decision === "NO-GO" ? "fail" : decision === "PENDING" ? null : "pass" },
    signatures,
    signedCount,
    signoffStatus: signedCount === SIGNOFF_ROLES.length ? `signed (${signedCount}/${SIGNOFF_ROLES.length})` : `awaiting sign-off (${signedCount}/${SIGNOFF_ROLES.length})`,
    chains: src.chains,
    counts: model.counts,
    rules: sc.rules,
  };
}

function uptimeNotContinuous(source: CheckpointView | null, c: Criterion): boolean {
  const k = source?.record.checks?.find((x) => x.id === "uptime-24h");
  const ev = k?.evidence as { uptime?: { source?: string } } | undefined;
  return ev?.uptime?.source === "checkpoints" || /not continuously measured/i.test(c.achieved);
}

function slotLabel(c: CheckpointView): string {
  return c.slot ?? `${c.phase}${c.scheduledAt ? `@${c.scheduledAt}` : ""}`;
}

const PERSONAL = /^attest\.|^attestations-recorded$/;

/** Recommendations that name their data: warnings, incidents, near misses, trends, gaps. */
export function recommendations(src: ReportSources, model: ReportModel, sc: SignoffConfig): Recommendation[] {
  const out: Recommendation[] = [];
  const startMs = model.cutover ? Date.parse(model.cutover.startedAt) : null;
  const at = (iso: string) => (startMs !== null ? fmtOffset(Date.parse(iso), startMs) : fmtTime(iso));
  const cps = model.checkpoints.filter((c) => c.phase !== "pre-cutover");

  // Each check that warned or failed, with the checkpoints and the worst value it recorded.
  const byCheck = new Map<string, { c: CheckpointView; k: CheckRecord }[]>();
  for (const c of cps) for (const k of c.record.checks ?? []) if (k.verdict !== "PASS" && !PERSONAL.test(k.id)) byCheck.set(k.id, [...(byCheck.get(k.id) ?? []), { c, k }]);
  for (const [id, hits] of byCheck) {
    const worst = hits.reduce((w, h) => (ORDER.indexOf(h.k.verdict) > ORDER.indexOf(w.k.verdict) ? h : w));
    const nums = hits.map((h) => h.k.value).filter((v): v is number => typeof v === "number");
    const peak = nums.length ? `; worst value ${round(Math.max(...nums))}${worst.k.unit ? ` ${worst.k.unit}` : ""}` : "";
    const when = hits.slice(0, 6).map((h) => `${at(h.c.timestamp)} ${h.k.verdict}`).join(", ");
    out.push({
      source: "warning",
      text: `${id} did not pass at ${hits.length} of ${cps.length} checkpoints (${when}${hits.length > 6 ? ", …" : ""})${peak}: ${worst.k.measured.slice(0, 200)}${worst.k.advice ? ` — ${worst.k.advice}` : ""}`,
      page: worst.c.page,
    });
  }

  for (const i of model.incidents.filter((x) => x.rule !== "rollback-recommended")) {
    const channels = [...new Set(i.deliveries.filter((d) => d.ok).map((d) => d.channel))];
    const failed = [...new Set(i.deliveries.filter((d) => !d.ok).map((d) => d.channel))].filter((c) => !channels.includes(c));
    const value = typeof i.value === "number" ? ` at ${round(i.value)}` : "";
    out.push({
      source: "incident",
      text: `incident ${i.rule} (${i.severity}) fired at ${at(i.firedAt)}${value}${i.resolvedAt ? `, resolved at ${at(i.resolvedAt)} after ${i.minutes} min` : ", still open"}${i.escalations.length ? `, escalated ${i.escalations.length}×` : ""}; delivered to ${channels.join(", ") || "no channel"}${failed.length ? `; not delivered to ${failed.join(", ")}` : ""}: document its root cause in the incident report${i.open ? " and resolve it before signing GO" : ""}`,
    });
  }

  // Near misses: a peak close to its FAIL threshold without failing.
  const th = src.config.thresholds;
  const near = (label: string, values: { v: number | null; t: string }[], failAt: number, unit: string) => {
    const hit = values.filter((x): x is { v: number; t: string } => x.v !== null).reduce<{ v: number; t: string } | null>((m, x) => (!m || x.v > m.v ? x : m), null);
    if (!hit || failAt <= 0 || hit.v >= failAt) return;
    const pct = (hit.v / failAt) * 100;
    if (pct >= sc.nearMissPercent) out.push({ source: "near-miss", text: `${label} peaked at ${round(hit.v)} ${unit} at ${at(hit.t)} (${Math.round(pct)} % of the ${failAt} ${unit} FAIL threshold): a near miss; find what drove it before decommissioning V1` });
  };
  const sampleIso = (t: number) => new Date(t).toISOString();
  near("latency p95", [...cps.map((c) => ({ v: c.kpi_latency_ms, t: c.timestamp })), ...src.samples.map((s) => ({ v: s.lat, t: sampleIso(s.t) }))], th.kpiLatencyP95Ms.failAt, "ms");
  near("error rate", [...cps.map((c) => ({ v: c.error_rate_percent, t: c.timestamp })), ...src.samples.map((s) => ({ v: s.err, t: sampleIso(s.t) }))], th.errorRatePercent.failAt, "%");
  near("memory", [...cps.map((c) => ({ v: c.memory_mb, t: c.timestamp })), ...src.samples.map((s) => ({ v: s.rss, t: sampleIso(s.t) }))], th.memoryMb.failAt, "MB");
  near("CPU", [...cps.map((c) => ({ v: c.cpu_percent, t: c.timestamp })), ...src.samples.map((s) => ({ v: s.cpu, t: sampleIso(s.t) }))], th.cpuPercent.failAt, "%");

  // Memory growth: the steepest 4-hour window of the memory series.
  const mem = model.series.memory.t.map((t, i) => ({ t: model.series.t0 + t * 1000, mb: model.series.memory.mb[i]! }));
  const growth = steepestWindow(mem, 4 * 3_600_000);
  if (growth && growth.percentPerHour >= sc.memoryGrowthNoticePercentPerHour) {
    out.push({
      source: "trend",
      text: `memory grew ${round(growth.percentPerHour)} %/h between ${at(new Date(growth.from).toISOString())} and ${at(new Date(growth.to).toISOString())}; peak ${round(growth.peakMb)} MB (limit ${th.memoryMb.failAt} MB): investigate before decommissioning V1`,
    });
  }

  const missed = model.slots.filter((s) => s.status === "MISSED");
  if (missed.length) out.push({ source: "missed", text: `${missed.length} scheduled checkpoint(s) did not run (${missed.map((s) => `${s.phase}@${s.at}`).join(", ")}): nothing was measured at those times; check the scheduler (npm run checkpoint -- --phase=auto) and keep <reports>/state between runs` });
  const late = model.slots.filter((s) => s.status === "late");
  if (late.length) out.push({ source: "missed", text: `${late.length} checkpoint(s) ran late (${late.map((s) => `${s.phase}@${s.at} by ${s.lateMinutes} min`).join(", ")}): check the scheduler's timing` });
  if (!src.samples.length) out.push({ source: "uptime", text: "uptime was not measured continuously (no watch samples in samples.jsonl): run the watch (npm run monitor) for the next cutover; the checkpoints' probes cover only their own minutes" });
  const missing = src.config.attestations.filter((a) => !a.id.startsWith("signoff-") && !src.attestations.some((x) => x.id === a.id));
  if (missing.length) out.push({ source: "attestation", text: `person-only lines not attested: ${missing.map((a) => a.id).join(", ")} (npm run attest -- --item ID --by NAME)` });
  for (const n of model.notes) out.push({ source: "history", text: n });
  return out;
}

/** The window of `spanMs` with the steepest least-squares growth, in % of its mean per hour. */
function steepestWindow(points: { t: number; mb: number }[], spanMs: number): { from: number; to: number; percentPerHour: number; peakMb: number } | null {
  if (points.length < 3) return null;
  let best: { from: number; to: number; percentPerHour: number; peakMb: number } | null = null;
  // Windows start at each hour boundary after the first point (bounded work for 5760 samples).
  const first = points[0]!.t;
  const last = points[points.length - 1]!.t;
  for (let from = first; from + spanMs / 2 <= last; from += 3_600_000) {
    const w = points.filter((p) => p.t >= from && p.t <= from + spanMs);
    const fit = fitTrend(w);
    if (!fit) continue;
    if (!best || fit.percentPerHour > best.percentPerHour) best = { from, to: Math.min(from + spanMs, last), percentPerHour: fit.percentPerHour, peakMb: Math.max(...w.map((p) => p.mb)) };
  }
  return best;
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}
