/**
 * `reports/site/`: the static report an engineer opens after (or during) the 24 hours, from the
 * file system or over HTTP, with nothing fetched from anywhere: the hourly validation table (one
 * row per scheduled checkpoint, MISSED and late ones included), a page per checkpoint, charts over
 * the 24 hours (uPlot, bundled) and the alert history. Tables are static HTML (drawn before any
 * script runs); only the charts need the script.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync, renameSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { CheckRecord, Verdict } from "../checkpoint/context.js";
import { DASHBOARD_GROUPS } from "../catalogue/check.js";
import { redactAll } from "../secrets.js";
import { CHARTS_JS } from "./charts-client.js";
import { esc, fmtNum, MARK, MARKER_COLOURS, page, verdictBadge } from "./html.js";
import { fmtOffset, fmtTime, type CheckpointView, type Incident, type ReportModel, type SlotRow } from "./model.js";
import type { SignoffModel } from "./signoff-model.js";
import type { MonitoringEvent } from "./events-log.js";

const require = createRequire(import.meta.url);

export interface SiteOptions {
  /** Where the site is written (replaced whole). */
  dir: string;
  /** Relative links from the site to the sign-off bundle and to each checkpoint's Allure report (when generated). */
  signoffHref: string;
  allure?: { indexHref: string; checkpointHref: (id: string) => string | null };
  events: readonly MonitoringEvent[];
}

/** Writes the site into a fresh folder beside `dir` and swaps it in, so a reader never sees half a site. */
export function writeSite(model: ReportModel, signoff: SignoffModel, opts: SiteOptions): { files: number; bytes: number } {
  const next = `${opts.dir}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  mkdirSync(path.join(next, "checkpoints"), { recursive: true });
  mkdirSync(path.join(next, "assets"), { recursive: true });
  let files = 0;
  let bytes = 0;
  const write = (rel: string, text: string) => {
    // Nothing written carries a secret (src/secrets.ts).
    const clean = redactAll(text);
    writeFileSync(path.join(next, rel), clean);
    files++;
    bytes += Buffer.byteLength(clean);
  };
  const copy = (from: string, rel: string) => {
    copyFileSync(from, path.join(next, rel));
    files++;
  };
  copy(require.resolve("uplot/dist/uPlot.iife.min.js"), "assets/uPlot.iife.min.js");
  copy(require.resolve("uplot/dist/uPlot.min.css"), "assets/uPlot.min.css");
  write("assets/charts.js", CHARTS_JS);
  write("assets/report-data.js", `window.CUTOVER_REPORT = ${JSON.stringify({ series: model.series, markerColours: MARKER_COLOURS }).replace(/</g, "\\u003c")};\n`);
  write("index.html", renderIndex(model, signoff, opts));
  const ordered = model.checkpoints;
  ordered.forEach((c, i) => write(c.page, renderCheckpoint(c, model, opts, ordered[i - 1] ?? null, ordered[i + 1] ?? null)));
  const old = `${opts.dir}.old-${process.pid}`;
  if (existsSync(opts.dir)) renameSync(opts.dir, old);
  renameSync(next, opts.dir);
  rmSync(old, { recursive: true, force: true });
  return { files, bytes };
}

function decisionBanner(s: SignoffModel, href: string): string {
  const cls = s.decision === "GO" ? "go" : s.decision === "GO WITH CONDITIONS" ? "cond" : s.decision === "NO-GO" ? "nogo" : "pending";
  const why = s.decision === "NO-GO" || s.decision === "PENDING" ? s.reasons : s.conditions;
  return `<div class="banner ${cls}" id="decision-banner" data-decision="${esc(s.decision)}">${esc(s.decision)} — ${esc(s.signoffStatus)} · <a href="${esc(href)}">24-hour report and sign-off</a>
${why.length ? `<ul class="small">${why.slice(0, 6).map((w) => `<li>${esc(w)}</li>`).join("")}${why.length > 6 ? `<li>… ${why.length - 6} more in the sign-off</li>` : ""}</ul>` : ""}</div>`;
}

function renderIndex(m: ReportModel, s: SignoffModel, opts: SiteOptions): string {
  const startMs = m.cutover ? Date.parse(m.cutover.startedAt) : null;
  const c = m.counts;
  const body = `<header>
<h1>${esc(m.name)}: hourly report</h1>
<p>Cutover ${m.cutover ? `started <b>${esc(fmtTime(m.cutover.startedAt))}</b>${m.cutover.rolledBack ? `; <b class="v v-fail">ROLLED BACK</b> at ${esc(fmtTime(m.cutover.rolledBack.at))}: ${esc(m.cutover.rolledBack.reason)}` : ""}` : "<b>not recorded</b> (run the hour0 checkpoint)"} · report generated ${esc(fmtTime(m.generatedAt))} ·
<span id="counts">${c.ran}/${c.scheduled} scheduled checkpoints ran, <b>${c.missed} MISSED</b>, ${c.late} late, ${c.notYetDue} not yet due</span></p>
${decisionBanner(s, opts.signoffHref)}
<nav><a href="#hourly">Hourly Validation Report</a><a href="#charts">Charts</a><a href="#alerts">Alert history</a><a href="#other">Other checkpoints</a>${opts.allure ? `<a href="${esc(opts.allure.indexHref)}">Allure (per checkpoint)</a>` : ""}<a href="${esc(opts.signoffHref)}">Sign-off</a></nav>
</header>
<main>
<section id="hourly">
<h2>Hourly Validation Report</h2>
<table id="hourly-table">
<thead><tr><th>Hour</th><th>Timestamp</th><th>KPI Latency</th><th>Error Rate</th><th>Memory</th><th>CPU</th><th>Validation</th><th>Status</th><th>Issues</th><th>Notes</th></tr></thead>
<tbody>
${m.slots.map((r, i) => slotRow(r, startMs, i === m.slots.length - 1)).join("\n")}
</tbody>
</table>
<p class="small muted">KPI latency is the p95 end to end; "not measured" means the probe got no answer or was not run at that checkpoint (never 0). The status is the checkpoint's verdict as recorded (its exit code and decision follow from it).</p>
</section>
<section id="charts">
<h2>Charts over the 24 hours</h2>
<p class="legend-marks small">${Object.entries(MARKER_COLOURS).map(([k, col]) => `<span><i class="mk" style="background:${col}"></i>${esc(k)}</span>`).join("")} · shaded: <span style="background:rgba(255,193,7,.3)">warning band</span> <span style="background:rgba(211,47,47,.2)">failure band</span> · x: hours after the cutover start</p>
<div class="charts">
<div class="chart" id="chart-latency"></div>
<div class="chart" id="chart-error"></div>
<div class="chart" id="chart-memory"></div>
<div class="chart" id="chart-cpu"></div>
<div class="chart" id="chart-audit"></div>
<div class="chart" id="chart-uptime-box"><h3>Uptime</h3>${uptimeStrip(m)}</div>
</div>
${markerList(m)}
</section>
<section id="alerts">
<h2>Alert history</h2>
${alertTimeline(m)}
${incidentTable(m.incidents, startMs)}
</section>
<section id="other">
<h2>Other checkpoints</h2>
${m.unscheduled.length ? `<table><thead><tr><th>Checkpoint</th><th>Timestamp</th><th>Status</th><th>Issues</th></tr></thead><tbody>${m.unscheduled.map((u) => `<tr><td><a href="${esc(u.page)}">${esc(u.phase)}${u.scheduledAt ? ` @ ${esc(u.scheduledAt)}` : ""}</a></td><td>${esc(fmtTime(u.timestamp))}</td><td>${verdictBadge(u.verdict)}</td><td>${issuesList(u)}</td></tr>`).join("")}</tbody></table>` : "<p>None: every checkpoint stands for a slot of the schedule.</p>"}
${m.notes.length ? `<h3>Notes</h3><ul>${m.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
</section>
</main>
<footer class="small muted">Written by npm run report from checkpoints.jsonl, monitoring_events.log${m.series.samples ? " and samples.jsonl" : " (no watch samples: uptime not continuously measured)"}; every verdict is read from the record by its check id.</footer>`;
  return page({ title: `${m.name}: hourly report`, body, head: '<link rel="stylesheet" href="assets/uPlot.min.css">', scripts: ["assets/uPlot.iife.min.js", "assets/report-data.js", "assets/charts.js"] });
}

/** One row of the hourly table; the last row's text carries the element timing `npm run bench` reads. */
function slotRow(r: SlotRow, startMs: number | null, last = false): string {
  const c = r.checkpoint;
  const hour = `+${r.at}`;
  const rowCls = c ? `row-${c.verdict.toLowerCase()}` : r.status === "MISSED" ? "row-missed" : "";
  const status = c
    ? `${verdictBadge(c.verdict)}${r.status === "late" ? ` <span class="v v-warn">late by ${r.lateMinutes} min</span>` : r.status === "early" ? ` <span class="small muted">${esc(r.statusText.replace(/^\w+, /, ""))}</span>` : ""}`
    : r.status === "MISSED"
      ? `<span class="v v-missed" data-verdict="MISSED">MISSED</span>`
      : `<span class="muted">${esc(r.statusText)}</span>`;
  const cell = (field: string, v: number | null, unit: string) => `<td class="num" data-field="${field}" data-value="${v === null ? "" : v}">${c ? esc(fmtNum(v, unit)) : ""}</td>`;
  const notes: string[] = [];
  if (r.label) notes.push(r.label);
  if (c?.decision && c.decision.severity !== "NONE") notes.push(`decision ${c.decision.severity}: ${c.decision.action}`);
  if (c?.rolledBack) notes.push("rolled back");
  if (r.reruns.length) notes.push(`ran ${r.reruns.length + 1}×; earlier: ${r.reruns.map((x) => `<a href="${esc(x.page)}">${esc(fmtTime(x.timestamp))}</a>`).join(", ")}`);
  if (!c && r.status === "MISSED") notes.push("nothing was measured at this time");
  return `<tr class="${rowCls}" data-slot="${esc(`${r.phase}@${r.at}`)}" data-status="${esc(r.status)}"${c ? ` data-checkpoint="${esc(c.id)}" data-verdict="${esc(c.verdict)}"` : ""}>
<td${last ? ' elementtiming="hourly-table"' : ""}>${c ? `<a href="${esc(c.page)}">${esc(hour)}</a>` : esc(hour)} <span class="small muted">${esc(r.phase)}</span></td>
<td>${c ? esc(fmtTime(c.timestamp)) : r.dueAt ? `<span class="muted">due ${esc(fmtTime(r.dueAt))}</span>` : ""}${c && startMs !== null ? ` <span class="small muted">${esc(fmtOffset(Date.parse(c.timestamp), startMs))}</span>` : ""}</td>
${cell("kpi_latency_ms", c?.kpi_latency_ms ?? null, "ms")}${cell("error_rate_percent", c?.error_rate_percent ?? null, "%")}${cell("memory_mb", c?.memory_mb ?? null, "MB")}${cell("cpu_percent", c?.cpu_percent ?? null, "%")}
<td data-field="validation_status">${c ? (c.validation_status ? verdictBadge(c.validation_status) : '<span class="muted">not run</span>') : ""}</td>
<td data-field="status">${status}</td>
<td>${c ? issuesList(c) : ""}</td>
<td class="small">${notes.join("; ")}</td>
</tr>`;
}

function issuesList(c: CheckpointView): string {
  if (!c.issues.length) return '<span class="muted">none</span>';
  const shown = c.issues.slice(0, 5);
  return `<ul class="issues">${shown.map((i) => `<li>${verdictBadge(i.verdict)} <a href="${esc(c.page)}#check-${esc(i.id)}">${esc(i.text)}</a></li>`).join("")}${c.issues.length > 5 ? `<li><a href="${esc(c.page)}#checks">${c.issues.length - 5} more</a></li>` : ""}</ul>`;
}

const W = 1000;

/** The uptime strip as SVG: up, down and not measured over the 24 hours. */
function uptimeStrip(m: ReportModel): string {
  const S = m.series;
  const span = Math.max(1, (S.t1 - S.t0) / 1000);
  const x = (sec: number) => Math.max(0, Math.min(W, (sec / span) * W));
  const colour = { up: "#1b7f3b", down: "#b3261e", unmeasured: "#cfd8dc" };
  const total = { up: 0, down: 0, unmeasured: 0 };
  for (const seg of S.uptime) total[seg.state] += seg.to - seg.from;
  const rects = S.uptime.map((seg) => `<rect x="${x(seg.from).toFixed(1)}" y="0" width="${Math.max(0.5, x(seg.to) - x(seg.from)).toFixed(1)}" height="28" fill="${colour[seg.state]}" data-state="${seg.state}"><title>${esc(`${seg.state} ${fmtOffsetSec(seg.from)} - ${fmtOffsetSec(seg.to)}`)}</title></rect>`).join("");
  const ticks = Array.from({ length: 9 }, (_, i) => i * 3).map((h) => `<text x="${x(h * 3600).toFixed(1)}" y="46" font-size="15" text-anchor="middle">+${String(h).padStart(2, "0")}:00</text>`).join("");
  const pct = (v: number) => `${Math.round((v / Math.max(1, total.up + total.down + total.unmeasured)) * 1000) / 10} %`;
  return `<svg id="chart-uptime" viewBox="-30 0 ${W + 60} 50" width="100%" height="70" role="img" aria-label="uptime strip" data-drawn="${S.uptime.length ? 1 : 0}" data-series="1" data-points="${S.uptime.length}">${rects}${ticks}</svg>
<p class="small"><span style="color:${colour.up}">■</span> up ${pct(total.up)} · <span style="color:${colour.down}">■</span> down ${pct(total.down)} · <span style="color:#90a4ae">■</span> not measured ${pct(total.unmeasured)}${S.samples ? "" : " — <b>no watch samples: uptime not continuously measured</b> (only the checkpoints' own minutes)"}</p>`;
}

function fmtOffsetSec(sec: number): string {
  return fmtOffset(sec * 1000, 0);
}

function markerList(m: ReportModel): string {
  const S = m.series;
  const shown = S.markers.filter((k) => k.kind !== "resolved").slice(0, 40);
  if (!shown.length) return "";
  return `<details><summary>${S.markers.length} markers (cutover, alerts, rollback, injected faults)</summary><ul class="small">${shown.map((k) => `<li><i class="mk" style="background:${MARKER_COLOURS[k.kind]}"></i>${esc(fmtOffset(k.t, S.t0))} ${esc(k.kind)}: ${esc(k.label)}</li>`).join("")}</ul></details>`;
}

/** Incidents on the 24-hour axis: from fired to resolved (or to now, still open). */
function alertTimeline(m: ReportModel): string {
  const S = m.series;
  if (!m.incidents.length) return '<p id="alert-timeline">No alert fired.</p>';
  const span = Math.max(1, S.t1 - S.t0);
  const x = (ms: number) => Math.max(0, Math.min(W, ((ms - S.t0) / span) * W));
  const rows = m.incidents.map((i, n) => {
    const y = n * 22;
    const end = i.resolvedAt ? Date.parse(i.resolvedAt) : i.open ? Date.parse(m.generatedAt) : Date.parse(i.firedAt);
    const col = i.severity === "critical" ? "#b3261e" : "#9a6100";
    return `<g><rect x="${x(Date.parse(i.firedAt)).toFixed(1)}" y="${y}" width="${Math.max(3, x(end) - x(Date.parse(i.firedAt))).toFixed(1)}" height="16" fill="${col}" opacity="${i.open ? 0.5 : 0.85}"></rect><text x="${(x(Date.parse(i.firedAt)) + 6).toFixed(1)}" y="${y + 13}" font-size="14">${esc(`${i.rule}${i.open ? " (open)" : ""}`)}</text></g>`;
  });
  const h = m.incidents.length * 22 + 22;
  const ticks = Array.from({ length: 9 }, (_, i) => i * 3).map((hh) => `<text x="${x(S.t0 + hh * 3_600_000).toFixed(1)}" y="${h - 4}" font-size="14" text-anchor="middle">+${String(hh).padStart(2, "0")}:00</text>`).join("");
  return `<svg id="alert-timeline" viewBox="-30 0 ${W + 60} ${h}" width="100%" height="${h + 10}" role="img" aria-label="alert timeline">${rows.join("")}${ticks}</svg>`;
}

export function incidentTable(incidents: readonly Incident[], startMs: number | null): string {
  if (!incidents.length) return "";
  const at = (iso: string) => `${fmtTime(iso)}${startMs !== null ? ` <span class="small muted">${esc(fmtOffset(Date.parse(iso), startMs))}</span>` : ""}`;
  return `<table id="incidents"><thead><tr><th>Incident</th><th>Severity</th><th>Fired</th><th>Escalated</th><th>Delivered (per channel)</th><th>Resolved</th><th>Duration</th></tr></thead><tbody>
${incidents
  .map((i) => {
    const byChannel = new Map<string, string[]>();
    for (const d of i.deliveries) byChannel.set(d.channel, [...(byChannel.get(d.channel) ?? []), `${d.ok ? "✓" : "✗"} ${d.kind} ${fmtTime(d.at).slice(11)}${d.error ? ` (${d.error})` : ""}`]);
    return `<tr class="${i.open ? "row-fail" : ""}" data-incident="${esc(i.id)}"><td><b>${esc(i.rule)}</b>${typeof i.value === "number" ? ` <span class="small">value ${esc(Math.round(i.value * 100) / 100)}</span>` : ""}${i.action ? `<div class="small muted">${esc(i.action)}</div>` : ""}</td><td>${esc(i.severity)}</td><td>${at(i.firedAt)}${i.firedCheckpoint ? `<div class="small"><a href="${esc(`checkpoints/${i.firedCheckpoint.replace(/[^A-Za-z0-9._-]/g, "_")}.html`)}">checkpoint</a></div>` : ""}</td><td>${i.escalations.length ? i.escalations.map((e) => `${at(e.at)} ${esc(e.action ?? "")}`).join("<br>") : '<span class="muted">no</span>'}</td><td class="small">${byChannel.size ? [...byChannel].map(([ch, l]) => `<b>${esc(ch)}</b>: ${esc(l.join(", "))}`).join("<br>") : '<span class="muted">no delivery recorded</span>'}</td><td>${i.resolvedAt ? at(i.resolvedAt) : i.open ? '<span class="v v-fail">open</span>' : '<span class="muted">a notice (nothing to resolve)</span>'}</td><td class="num">${i.minutes !== null ? `${i.minutes} min` : ""}</td></tr>`;
  })
  .join("\n")}
</tbody></table>`;
}

function checkRow(k: CheckRecord): string {
  const ev = (k.evidence ?? {}) as Record<string, unknown>;
  const window = ev.window as { from?: string; to?: string; seconds?: number; reason?: string } | undefined;
  const samples = sampleLines(ev.samples);
  const value = k.value === null || k.value === undefined ? (k.notMeasured ? "not measured" : "") : typeof k.value === "number" ? fmtNum(k.value, k.unit ?? "") : `${k.value}${k.unit ? ` ${k.unit}` : ""}`;
  const lines = (k.lines ?? []).map((l) => l.title);
  return `<tr id="check-${esc(k.id)}" class="row-${k.verdict.toLowerCase()}" data-check="${esc(k.id)}" data-verdict="${esc(k.verdict)}">
<td>${verdictBadge(k.verdict)}</td>
<td>${lines.length ? lines.map((l) => esc(l)).join("<br>") : `<span class="muted">${k.judgedBecause === "open alert" ? "re-measured for an open alert" : "—"}</span>`}<div class="small muted">${esc(k.id)} · ${esc(DASHBOARD_GROUPS[k.section as keyof typeof DASHBOARD_GROUPS] ?? k.section)}</div></td>
<td class="num">${esc(value)}</td>
<td>${k.notMeasured ? '<b class="v v-fail">NOT MEASURED:</b> ' : ""}${esc(k.measured)}</td>
<td class="small">${esc(k.threshold)}</td>
<td class="small">${window?.from ? `${esc(fmtTime(window.from))} – ${esc(fmtTime(window.to ?? ""))}${window.seconds ? ` (${esc(window.seconds)} s${window.reason ? `, ${esc(window.reason)}` : ""})` : ""}` : ""}</td>
<td class="small">${k.advice && k.verdict !== "PASS" ? `<div><b>What to do:</b> ${esc(k.advice)}</div>` : ""}${samples.length ? `<div><b>Sample log lines</b><pre>${esc(samples.join("\n"))}</pre></div>` : ""}${Object.keys(ev).length ? `<details><summary>evidence</summary><pre>${esc(JSON.stringify(ev, null, 2).slice(0, 6000))}</pre></details>` : ""}</td>
</tr>`;
}

function sampleLines(v: unknown): string[] {
  if (!v || typeof v !== "object") return [];
  const out: string[] = [];
  const lists = Array.isArray(v) ? [v] : Object.values(v as Record<string, unknown>);
  for (const l of lists) if (Array.isArray(l)) for (const x of l) out.push(typeof x === "string" ? x : typeof (x as { line?: unknown })?.line === "string" ? (x as { line: string }).line : "");
  return out.filter(Boolean).slice(0, 10);
}

function renderCheckpoint(c: CheckpointView, m: ReportModel, opts: SiteOptions, prev: CheckpointView | null, next: CheckpointView | null): string {
  const r = c.record;
  const startMs = m.cutover ? Date.parse(m.cutover.startedAt) : null;
  const checks = r.checks ?? [];
  const bad = checks.filter((k) => k.verdict !== "PASS");
  const order: Verdict[] = ["FAIL", "ERROR", "WARN", "PASS"];
  const sorted = [...checks].sort((a, b) => order.indexOf(a.verdict) - order.indexOf(b.verdict));
  const myEvents = opts.events.filter((e) => e.checkpoint === c.id && (e.type === "alert_fired" || e.type === "alert_resolved" || e.type === "alert_escalated" || e.type === "alert_reminder"));
  const rb = r.rollback as Record<string, unknown> | undefined;
  const allure = opts.allure?.checkpointHref(c.id);
  const title = `${c.phase}${c.scheduledAt ? ` @ ${c.scheduledAt}` : ""}`;
  const d = c.decision;
  const body = `<header>
<nav class="small"><a href="../index.html#hourly">← hourly report</a>${prev ? `<a href="../${esc(prev.page)}">← previous (${esc(prev.slot ?? prev.phase)})</a>` : ""}${next ? `<a href="../${esc(next.page)}">next (${esc(next.slot ?? next.phase)}) →</a>` : ""}${allure ? `<a href="${esc(allure)}">Allure report of this checkpoint</a>` : ""}</nav>
<h1>Checkpoint ${esc(title)}: ${verdictBadge(c.verdict)} <span class="small muted">exit ${esc(c.exitCode)}</span></h1>
<p>${esc(fmtTime(c.timestamp))}${startMs !== null ? ` (${esc(fmtOffset(Date.parse(c.timestamp), startMs))} after the cutover)` : ""}${c.lateMinutes !== null ? ` · <span class="v v-warn">late by ${c.lateMinutes} min</span>` : ""} · pipeline ${esc(c.pipeline_status)} · id <code>${esc(c.id)}</code> · took ${esc(r.duration_ms)} ms</p>
<p>Latency p95 <b>${esc(fmtNum(c.kpi_latency_ms, "ms"))}</b> · error rate <b>${esc(fmtNum(c.error_rate_percent, "%"))}</b> · memory <b>${esc(fmtNum(c.memory_mb, "MB"))}</b> · CPU <b>${esc(fmtNum(c.cpu_percent, "%"))}</b> · audit events <b>${esc(c.audit_trail_events ?? "not measured")}</b> · validation <b>${esc(c.validation_status ?? "not run")}</b></p>
</header>
<main>
${
  bad.length
    ? `<section id="cause"><h2>Why ${esc(c.verdict)}</h2><ul>${bad
        .filter((k) => k.verdict !== "WARN" || c.verdict === "WARN")
        .map((k) => `<li>${verdictBadge(k.verdict)} <a href="#check-${esc(k.id)}"><b>${esc(k.title)}</b></a> (${esc(k.id)}): ${k.notMeasured ? "<b>not measured</b>: " : ""}${esc(k.measured)}. <span class="small">Threshold: ${esc(k.threshold)}.${k.advice ? ` What to do: ${esc(k.advice)}` : ""}</span></li>`)
        .join("")}</ul></section>`
    : `<section id="cause"><h2>Every check passed</h2></section>`
}
<section id="decision"><h2>Decision</h2>${d ? `<p><b>${esc(d.severity)}</b> → ${esc(d.action)}${d.rollback !== "no" ? ` · rollback: <b>${esc(d.rollback)}</b>` : ""}</p><p class="small">${esc(d.reason)}</p>` : "<p class=\"muted\">no decision recorded</p>"}</section>
<section id="checks"><h2>Monitoring Checklist (${checks.length} checks: ${(["PASS", "WARN", "FAIL", "ERROR"] as Verdict[]).map((v) => `${checks.filter((k) => k.verdict === v).length} ${MARK[v]} ${v}`).join(", ")})</h2>
<table><thead><tr><th></th><th>Checklist item</th><th>Value</th><th>Measured</th><th>Threshold</th><th>Window</th><th>Evidence</th></tr></thead><tbody>
${sorted.map(checkRow).join("\n")}
</tbody></table></section>
<section id="alerts"><h2>Alerts</h2>
${myEvents.length ? `<ul>${myEvents.map((e) => `<li>${esc(fmtTime(e.ts))} <b>${esc(e.type.replace("alert_", ""))}</b> ${esc(e.rule)} (${esc(e.severity)})${e.value !== undefined && e.value !== null ? ` value ${esc(e.value)}` : ""}${e.action ? ` → ${esc(e.action)}` : ""}</li>`).join("")}</ul>` : "<p>No alert fired or resolved at this checkpoint.</p>"}
${r.firing?.length ? `<p>Firing after this checkpoint: ${r.firing.map((f) => `<b>${esc(f.rule)}</b> (${esc(f.severity)}, since ${esc(fmtTime(f.since))}${f.muted ? `; muted: ${esc(f.muted)}` : ""}${f.stale ? `; stale since ${esc(f.stale)}` : ""})`).join(", ")}</p>` : ""}
</section>
<section id="runbook"><h2>Runbook</h2>${d?.runbook.length ? `<ol>${d.runbook.map((s) => `<li>☐ ${esc(s)}</li>`).join("")}</ol>` : "<p>No runbook steps: nothing to act on.</p>"}</section>
<section id="rollback"><h2>Rollback</h2>${rb ? `<p><b>${esc(rb.status ?? "recorded")}</b>${rb.startedAt ? ` at ${esc(fmtTime(String(rb.startedAt)))}` : ""}${rb.error ? `: ${esc(rb.error)}` : ""}</p><details><summary>details</summary><pre>${esc(JSON.stringify(rb, null, 2).slice(0, 4000))}</pre></details>` : "<p>No rollback at this checkpoint.</p>"}</section>
</main>`;
  return page({ title: `${title}: ${c.verdict} — ${m.name}`, body });
}
