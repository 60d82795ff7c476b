/**
 * The report's model, derived from what was recorded and nothing else: the schedule's slots with
 * the record that stands for each (or MISSED, late, not yet due), each checkpoint's checks as
 * recorded, the series for the charts, and the incidents from the events log. Verdicts, the
 * decision and the exit code are read from the record by id; nothing here judges a check again.
 */
import type { CheckpointRecord, CheckRecord, Verdict } from "../checkpoint/context.js";
import { slotOf } from "../checkpoint/due.js";
import { offsetMs, type ScheduledCheckpoint } from "../config/schedule.js";
import type { MonitoringEvent } from "./events-log.js";
import type { ReportSources } from "./sources.js";
import { signoffConfigOf } from "./signoff-config.js";

export type SlotStatus = "ran" | "late" | "early" | "MISSED" | "not yet due" | "cancelled";

/** One checkpoint as the hourly table and its page show it. */
export interface CheckpointView {
  id: string;
  /** Its page, relative to the site's root. */
  page: string;
  phase: string;
  scheduledAt: string | null;
  /** The slot it stands for ("stability@03:00"), when it stands for one. */
  slot: string | null;
  timestamp: string;
  verdict: Verdict;
  exitCode: number;
  kpi_latency_ms: number | null;
  kpi_latency_p50_ms: number | null;
  error_rate_percent: number | null;
  memory_mb: number | null;
  cpu_percent: number | null;
  audit_trail_events: number | null;
  validation_status: string | null;
  pipeline_status: string;
  /** Each check that did not PASS, in one line ("✗ error-rate: error rate 18.18 % ..."). */
  issues: { id: string; verdict: Verdict; text: string }[];
  decision: { severity: string; action: string; rollback: string; reason: string; runbook: string[] } | null;
  rolledBack: boolean;
  lateMinutes: number | null;
  record: CheckpointRecord;
}

export interface SlotRow {
  /** 1-based position in the schedule. */
  n: number;
  phase: string;
  at: string;
  label: string | null;
  /** When it was due (ISO), when the cutover start is known. */
  dueAt: string | null;
  status: SlotStatus;
  /** The status as the table shows it ("late by 12 min", "MISSED", ...). */
  statusText: string;
  lateMinutes: number | null;
  /** The record that stands for the slot (the latest, when it ran more than once). */
  checkpoint: CheckpointView | null;
  /** Earlier runs standing for the same slot. */
  reruns: CheckpointView[];
}

export interface Incident {
  /** The incident id (rule@fired-at) as the events log names it. */
  id: string;
  rule: string;
  severity: string;
  firedAt: string;
  firedCheckpoint: string | null;
  value: unknown;
  threshold: unknown;
  action: string | null;
  escalations: { at: string; action: string | null }[];
  reminders: string[];
  deliveries: { channel: string; kind: string; at: string; ok: boolean; error?: string }[];
  resolvedAt: string | null;
  resolvedCheckpoint: string | null;
  minutes: number | null;
  open: boolean;
}

export interface Marker {
  /** Epoch ms. */
  t: number;
  kind: "cutover" | "alert" | "resolved" | "rollback" | "fault" | "missed";
  label: string;
}

/** The charts' data, columnar (seconds since the cutover start) so the page stays small. */
export interface Series {
  /** Epoch ms of x = 0 (the cutover start, or the first point). */
  t0: number;
  /** Epoch ms of the end of the 24 hours (or of the last point, when later). */
  t1: number;
  checkpoints: { t: number[]; id: string[]; p50: (number | null)[]; p95: (number | null)[]; err: (number | null)[]; mem: (number | null)[]; cpu: (number | null)[]; audit: (number | null)[]; up: (number | null)[] };
  samples: { t: number[]; lat: (number | null)[]; err: (number | null)[]; rss: (number | null)[]; cpu: (number | null)[]; up: (number | null)[] } | null;
  /** Memory samples the checkpoints took (their sampling windows). */
  memory: { t: number[]; mb: number[] };
  /** Least-squares fit of memory over the 24 hours (MB at x = 0, MB per hour), when there are two points an hour apart. */
  memoryTrend: { interceptMb: number; slopeMbPerHour: number; percentPerHour: number } | null;
  thresholds: { latency: Band; err: Band; mem: Band; cpu: Band };
  markers: Marker[];
  /** Up, down or not measured, over time (from samples and checkpoints). */
  uptime: { from: number; to: number; state: "up" | "down" | "unmeasured" }[];
}
interface Band {
  warnAt: number;
  failAt: number;
  unit: string;
}

export interface ReportModel {
  name: string;
  generatedAt: string;
  cutover: { startedAt: string; rolledBack?: { at: string; reason: string; verified: boolean } } | null;
  slots: SlotRow[];
  /** Records that stand for no slot (the pre-cutover run, ad-hoc runs). */
  unscheduled: CheckpointView[];
  checkpoints: CheckpointView[];
  series: Series;
  incidents: Incident[];
  counts: { scheduled: number; ran: number; missed: number; late: number; notYetDue: number };
  /** Lines of the history that could not be read, and earlier cutovers' records left out. */
  notes: string[];
}

const MIN = 60_000;
const HOUR = 3_600_000;

/** The page of a checkpoint, relative to the site's root. */
export function checkpointPage(id: string): string {
  return `checkpoints/${id.replace(/[^A-Za-z0-9._-]/g, "_")}.html`;
}

function view(r: CheckpointRecord, slot: ScheduledCheckpoint | null, dueMs: number | null, lateAfterMin: number): CheckpointView {
  const d = (r.decision ?? null) as CheckpointView["decision"];
  const metrics = (r.metrics ?? {}) as Record<string, unknown>;
  const delay = dueMs === null ? null : Math.floor((Date.parse(r.timestamp) - dueMs) / MIN);
  return {
    id: r.checkpoint_id,
    page: checkpointPage(r.checkpoint_id),
    phase: String(r.phase),
    scheduledAt: r.scheduled_at ?? null,
    slot: slot ? `${slot.phase}@${slot.at}` : null,
    timestamp: r.timestamp,
    verdict: r.verdict,
    exitCode: r.exit_code,
    kpi_latency_ms: r.kpi_latency_ms,
    kpi_latency_p50_ms: typeof metrics.kpi_latency_p50_ms === "number" ? metrics.kpi_latency_p50_ms : null,
    error_rate_percent: r.error_rate_percent,
    memory_mb: r.memory_mb,
    cpu_percent: r.cpu_percent,
    audit_trail_events: r.audit_trail_events,
    validation_status: r.validation_status,
    pipeline_status: r.pipeline_status,
    issues: (r.checks ?? []).filter((c) => c.verdict !== "PASS" && !c.notApplicable).map((c) => ({ id: c.id, verdict: c.verdict, text: issueText(c) })),
    decision: d && typeof d === "object" ? { severity: String(d.severity ?? ""), action: String(d.action ?? ""), rollback: String(d.rollback ?? "no"), reason: String(d.reason ?? ""), runbook: Array.isArray(d.runbook) ? d.runbook.map(String) : [] } : null,
    rolledBack: r.pipeline_status === "rolled_back" || (r.rollback as { status?: string } | undefined)?.status === "succeeded",
    lateMinutes: delay !== null && delay > lateAfterMin ? delay : null,
    record: r,
  };
}

function issueText(c: CheckRecord): string {
  const m = c.measured.length > 160 ? `${c.measured.slice(0, 157)}…` : c.measured;
  return `${c.id}: ${c.notMeasured ? "NOT MEASURED: " : ""}${m}`;
}

export function buildModel(src: ReportSources): ReportModel {
  const { config, records, cutover } = src;
  const sc = signoffConfigOf(config);
  const schedule = [...config.schedule].sort((a, b) => offsetMs(a.at) - offsetMs(b.at));
  const startMs = cutover ? Date.parse(cutover.startedAt) : null;
  const rolledBackMs = cutover?.rolledBack ? Date.parse(cutover.rolledBack.at) : null;

  // Which slot each record stands for (src/checkpoint/due.ts, as `--phase=auto` decides).
  const bySlot = new Map<string, CheckpointView[]>();
  const unscheduled: CheckpointView[] = [];
  const checkpoints: CheckpointView[] = [];
  for (const r of records) {
    const slot = r.phase === "pre-cutover" ? null : slotOf({ phase: String(r.phase), scheduled_at: r.scheduled_at, timestamp: r.timestamp }, schedule, cutover?.startedAt ?? null);
    const dueMs = slot && startMs !== null ? startMs + offsetMs(slot.at) : null;
    const v = view(r, slot, dueMs, sc.lateAfterMinutes);
    checkpoints.push(v);
    if (slot) {
      const key = `${slot.phase}@${slot.at}`;
      bySlot.set(key, [...(bySlot.get(key) ?? []), v]);
    } else unscheduled.push(v);
  }

  const slots: SlotRow[] = schedule.map((s, i) => {
    const key = `${s.phase}@${s.at}`;
    const runs = bySlot.get(key) ?? [];
    const dueMs = startMs !== null ? startMs + offsetMs(s.at) : null;
    const latest = runs[runs.length - 1] ?? null;
    let status: SlotStatus;
    let statusText: string;
    let lateMinutes: number | null = null;
    if (latest) {
      const delay = dueMs === null ? 0 : (Date.parse(latest.timestamp) - dueMs) / MIN;
      if (latest.lateMinutes !== null) {
        status = "late";
        lateMinutes = latest.lateMinutes;
        statusText = `${latest.verdict}, late by ${lateMinutes} min`;
      } else if (delay < -5) {
        status = "early";
        statusText = `${latest.verdict}, ran ${fmtMinutes(-delay)} before its slot (rehearsal or simulated clock)`;
      } else {
        status = "ran";
        statusText = latest.verdict;
      }
    } else if (dueMs === null) {
      status = "not yet due";
      statusText = "not yet due (no cutover recorded)";
    } else if (rolledBackMs !== null && dueMs > rolledBackMs) {
      status = "cancelled";
      statusText = `not run: rolled back at ${fmtTime(rolledBackMs)}`;
    } else if (dueMs <= src.nowMs) {
      status = "MISSED";
      statusText = `MISSED (due ${fmtTime(dueMs)})`;
    } else {
      status = "not yet due";
      statusText = `not yet due (${fmtTime(dueMs)})`;
    }
    return { n: i + 1, phase: s.phase, at: s.at, label: s.label ?? null, dueAt: dueMs === null ? null : new Date(dueMs).toISOString(), status, statusText, lateMinutes, checkpoint: latest, reruns: runs.slice(0, -1) };
  });

  const notes: string[] = [];
  for (const s of src.skipped) notes.push(`${src.paths.records} line ${s.line} not read: ${s.reason}`);
  if (src.earlierRecords > 0) notes.push(`${src.earlierRecords} record(s) of earlier cutovers or pre-cutover runs are not shown hour by hour`);
  for (const [name, chain] of Object.entries(src.chains)) {
    if (chain?.broken) notes.push(`${name}: hash chain broken: ${chain.broken.reason}`);
  }

  const incidents = buildIncidents(src.events);
  return {
    name: config.name,
    generatedAt: new Date(src.nowMs).toISOString(),
    cutover: cutover ? { startedAt: cutover.startedAt, ...(cutover.rolledBack ? { rolledBack: cutover.rolledBack } : {}) } : null,
    slots,
    unscheduled,
    checkpoints,
    series: buildSeries(src, checkpoints, incidents),
    incidents,
    counts: {
      scheduled: slots.length,
      ran: slots.filter((s) => s.checkpoint).length,
      missed: slots.filter((s) => s.status === "MISSED").length,
      late: slots.filter((s) => s.status === "late").length,
      notYetDue: slots.filter((s) => s.status === "not yet due").length,
    },
    notes,
  };
}

/** Incidents from the events log: fired, escalated, reminded, delivered per channel, resolved. */
export function buildIncidents(events: readonly MonitoringEvent[]): Incident[] {
  const byId = new Map<string, Incident>();
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  for (const e of events) {
    const incident = str(e.incident);
    if (e.type === "alert_fired" && incident) {
      byId.set(incident, {
        id: incident,
        rule: String(e.rule ?? "?"),
        severity: String(e.severity ?? ""),
        firedAt: e.ts,
        firedCheckpoint: str(e.checkpoint),
        value: e.value ?? null,
        threshold: e.threshold ?? null,
        action: str(e.action),
        escalations: [],
        reminders: [],
        deliveries: [],
        resolvedAt: null,
        resolvedCheckpoint: null,
        minutes: null,
        open: true,
      });
      continue;
    }
    const inc = incident ? byId.get(incident) : undefined;
    if (inc && e.type === "alert_escalated") inc.escalations.push({ at: e.ts, action: str(e.action) });
    else if (inc && e.type === "alert_reminder") inc.reminders.push(e.ts);
    else if (inc && e.type === "alert_resolved") {
      inc.resolvedAt = e.ts;
      inc.resolvedCheckpoint = str(e.checkpoint);
      inc.open = false;
      inc.minutes = Math.round((Date.parse(e.ts) - Date.parse(inc.firedAt)) / MIN);
    }
  }
  // Deliveries name their incident in the dedup key: cutover-monitor/<rule>/<incident>.
  for (const e of events) {
    if (e.type !== "alert_delivered" && e.type !== "alert_delivery_failed" && e.type !== "alert_queued") continue;
    const key = str(e.dedupKey) ?? "";
    const m = /^cutover-monitor\/([^/]+)\/(.+)$/.exec(key);
    if (!m) continue;
    let inc = byId.get(m[2]!);
    if (!inc && m[1] === "rollback-recommended") {
      // The rollback notice is an incident of its own: one per cutover.
      inc = { id: `rollback-recommended@${m[2]}`, rule: "rollback-recommended", severity: "critical", firedAt: e.ts, firedCheckpoint: null, value: null, threshold: null, action: "rollback recommended", escalations: [], reminders: [], deliveries: [], resolvedAt: null, resolvedCheckpoint: null, minutes: null, open: false };
      byId.set(m[2]!, inc);
    }
    if (!inc) continue;
    inc.deliveries.push({ channel: String(e.channel ?? "?"), kind: String(e.kind ?? ""), at: e.ts, ok: e.type === "alert_delivered", ...(e.type !== "alert_delivered" ? { error: String(e.error ?? (e.type === "alert_queued" ? "queued for retry" : "failed")) } : {}) });
  }
  return [...byId.values()].sort((a, b) => a.firedAt.localeCompare(b.firedAt));
}

function buildSeries(src: ReportSources, cps: CheckpointView[], incidents: Incident[]): Series {
  const th = src.config.thresholds;
  const startMs = src.cutover ? Date.parse(src.cutover.startedAt) : cps.length ? Date.parse(cps[0]!.timestamp) : src.nowMs;
  const last = Math.max(startMs, ...cps.map((c) => Date.parse(c.timestamp)), ...(src.samples.length ? [src.samples[src.samples.length - 1]!.t] : []));
  const t1 = Math.max(startMs + 24 * HOUR, last);
  const sec = (ms: number) => Math.round((ms - startMs) / 1000);
  const after = cps.filter((c) => c.phase !== "pre-cutover");
  // pipeline-up as recorded: PASS up, FAIL down (measured unreachable), anything else not judged.
  const upOf = (c: CheckpointView) => {
    const v = c.record.checks?.find((k) => k.id === "pipeline-up")?.verdict;
    return v === "PASS" ? 1 : v === "FAIL" ? 0 : null;
  };
  const checkpoints = {
    t: after.map((c) => sec(Date.parse(c.timestamp))),
    id: after.map((c) => c.id),
    p50: after.map((c) => c.kpi_latency_p50_ms),
    p95: after.map((c) => c.kpi_latency_ms),
    err: after.map((c) => c.error_rate_percent),
    mem: after.map((c) => c.memory_mb),
    cpu: after.map((c) => c.cpu_percent),
    audit: after.map((c) => c.audit_trail_events),
    up: after.map(upOf),
  };
  const s = src.samples;
  const samples = s.length
    ? { t: s.map((p) => sec(p.t)), lat: s.map((p) => p.lat), err: s.map((p) => p.err), rss: s.map((p) => p.rss), cpu: s.map((p) => p.cpu), up: s.map((p) => (p.up === null ? null : p.up ? 1 : 0)) }
    : null;

  // Memory: the checkpoints' own samples, else their peaks; the watch's samples when it ran.
  const mem: { t: number; mb: number }[] = [];
  for (const c of after) {
    const ms = (c.record.metrics as { memory_samples?: { t: number; mb: number }[] } | undefined)?.memory_samples;
    if (Array.isArray(ms) && ms.length) for (const p of ms) if (typeof p?.t === "number" && typeof p?.mb === "number") mem.push({ t: p.t, mb: p.mb });
    if (!(Array.isArray(ms) && ms.length) && c.memory_mb !== null) mem.push({ t: Date.parse(c.timestamp), mb: c.memory_mb });
  }
  for (const p of s) if (p.rss !== null) mem.push({ t: p.t, mb: p.rss });
  mem.sort((a, b) => a.t - b.t);
  const memory = { t: mem.map((p) => sec(p.t)), mb: mem.map((p) => p.mb) };

  const markers: Marker[] = [];
  if (src.cutover) markers.push({ t: startMs, kind: "cutover", label: "cutover" });
  for (const i of incidents) {
    markers.push({ t: Date.parse(i.firedAt), kind: "alert", label: `${i.rule} fired` });
    if (i.resolvedAt) markers.push({ t: Date.parse(i.resolvedAt), kind: "resolved", label: `${i.rule} resolved` });
  }
  for (const c of after) {
    const rb = c.record.rollback as { status?: string; startedAt?: string } | undefined;
    if (rb?.status === "succeeded" || rb?.status === "failed") markers.push({ t: Date.parse(rb.startedAt ?? c.timestamp), kind: "rollback", label: `rollback ${rb.status}` });
  }
  if (src.cutover?.rolledBack && !markers.some((m) => m.kind === "rollback")) markers.push({ t: Date.parse(src.cutover.rolledBack.at), kind: "rollback", label: "rolled back" });
  for (const f of src.faults) markers.push({ t: f.t, kind: "fault", label: f.label });
  for (const slot of buildMissedTimes(src)) markers.push(slot);
  markers.sort((a, b) => a.t - b.t);

  return {
    t0: startMs,
    t1,
    checkpoints,
    samples,
    memory,
    memoryTrend: fitTrend(mem),
    thresholds: {
      latency: { warnAt: th.kpiLatencyP95Ms.warnAt, failAt: th.kpiLatencyP95Ms.failAt, unit: "ms" },
      err: { warnAt: th.errorRatePercent.warnAt, failAt: th.errorRatePercent.failAt, unit: "%" },
      mem: { warnAt: th.memoryMb.warnAt, failAt: th.memoryMb.failAt, unit: "MB" },
      cpu: { warnAt: th.cpuPercent.warnAt, failAt: th.cpuPercent.failAt, unit: "%" },
    },
    markers,
    uptime: uptimeStrip(src, after, startMs, t1),
  };
}

function buildMissedTimes(src: ReportSources): Marker[] {
  return src.watchNotes.filter((n) => n.kind === "missed").map((n) => ({ t: n.t, kind: "missed" as const, label: n.text }));
}

/** Least-squares line through memory points; null under two points an hour apart. */
export function fitTrend(points: readonly { t: number; mb: number }[]): Series["memoryTrend"] {
  if (points.length < 2 || points[points.length - 1]!.t - points[0]!.t < HOUR) return null;
  const t0 = points[0]!.t;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const x = (p.t - t0) / HOUR;
    sx += x;
    sy += p.mb;
    sxx += x * x;
    sxy += x * p.mb;
  }
  const n = points.length;
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx || 1);
  const intercept = (sy - slope * sx) / n;
  const mean = sy / n;
  return { interceptMb: intercept, slopeMbPerHour: slope, percentPerHour: mean > 0 ? (slope / mean) * 100 : 0 };
}

/**
 * The uptime strip: each watch sample holds its state until the next one (up to twice the
 * sampling interval); each checkpoint covers its own run. Everything else is "not measured".
 */
function uptimeStrip(src: ReportSources, cps: CheckpointView[], fromMs: number, toMs: number): Series["uptime"] {
  const obs: { t: number; end: number; state: "up" | "down" }[] = [];
  const s = src.samples;
  const gaps = s.slice(1).map((p, i) => p.t - s[i]!.t).sort((a, b) => a - b);
  const every = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : 15_000;
  for (let i = 0; i < s.length; i++) {
    const p = s[i]!;
    if (p.up === null) continue;
    const next = s[i + 1]?.t ?? p.t + every;
    obs.push({ t: p.t, end: Math.min(next, p.t + 2 * every), state: p.up ? "up" : "down" });
  }
  for (const c of cps) {
    const v = c.record.checks?.find((k) => k.id === "pipeline-up")?.verdict;
    if (v !== "PASS" && v !== "FAIL") continue;
    const t = Date.parse(c.timestamp);
    obs.push({ t, end: t + Math.max(c.record.duration_ms ?? 0, 1000), state: v === "PASS" ? "up" : "down" });
  }
  obs.sort((a, b) => a.t - b.t);
  const out: Series["uptime"] = [];
  const push = (from: number, to: number, state: "up" | "down" | "unmeasured") => {
    if (to <= from) return;
    const lastSeg = out[out.length - 1];
    if (lastSeg && lastSeg.state === state && lastSeg.to >= from) lastSeg.to = Math.max(lastSeg.to, to);
    else out.push({ from, to, state });
  };
  let cursor = fromMs;
  for (const o of obs) {
    if (o.end <= cursor) continue;
    if (o.t > cursor) push(cursor, Math.min(o.t, toMs), "unmeasured");
    push(Math.max(o.t, cursor), Math.min(o.end, toMs), o.state);
    cursor = Math.max(cursor, o.end);
  }
  const end = Math.min(toMs, src.nowMs);
  if (cursor < end) push(cursor, end, "unmeasured");
  return out.map((seg) => ({ from: Math.round((seg.from - fromMs) / 1000), to: Math.round((seg.to - fromMs) / 1000), state: seg.state }));
}

/** "2026-12-02 07:06Z". */
export function fmtTime(ms: number | string): string {
  const d = typeof ms === "number" ? new Date(ms) : new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : `${d.toISOString().slice(0, 16).replace("T", " ")}Z`;
}

/** "+03:00" after the cutover start. */
export function fmtOffset(ms: number, startMs: number | null): string {
  if (startMs === null) return "";
  const m = Math.round((ms - startMs) / MIN);
  const sign = m < 0 ? "-" : "+";
  const a = Math.abs(m);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

function fmtMinutes(min: number): string {
  const m = Math.round(min);
  return m >= 120 ? `${Math.round(m / 60)} h` : `${m} min`;
}
