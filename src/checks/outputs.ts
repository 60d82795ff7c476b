/**
 * Evaluators of the output channels (docs/DESIGN.md "Output channels"). Three facts, each judged
 * once:
 * - `output-<channel>`: the channel is functional: reachable, holding a run written within its
 *   maximum age, its rows and KPI results readable (down or stale: the output-channel-down alert);
 * - `data-quality` (local), `data-quality-azure`, `data-quality-supabase`: what the channel holds
 *   is right, against its own run's manifest, the input and its own rows (schema, nulls,
 *   duplicate keys, values, completeness, the KPIs recomputed from the rows: the data-quality
 *   alert). Staleness is not judged here: an old run that is right is the channel's down/stale
 *   fact, not wrong data;
 * - `output-reconciliation`: the channels that are fresh and right on their own hold the same run
 *   identically (row counts, key sets, per-column checksums, KPI values). A channel already failing
 *   its own check is left out (its own check carries that fault), so one wrong number in one
 *   channel fails exactly one check.
 * A channel that is not configured is N/A: a WARN "not configured", never a pass.
 */
import type { CheckpointContext } from "../checkpoint/context.js";
import type { CheckOutcome } from "./outcome.js";
import { need } from "./outcome.js";
import { CHANNEL_TITLE, CHANNELS, type ChannelMeasurement, type ChannelName, type RunRead } from "../probes/outputs/channel.js";
import type { DataQualityMeasurement } from "../probes/data-quality.js";
import type { RowSample } from "../probes/outputs/rows.js";

type Read = Extract<ChannelMeasurement, { reachable: true }>;

/** One rule a channel fails: its name, how many rows (or what), a few offending rows. */
export interface RuleFailure {
  rule: string;
  rows: number | null;
  text: string;
  samples?: RowSample[];
}

const notConfigured = (ch: ChannelName, m: Extract<ChannelMeasurement, { configured: false }>, what: string): CheckOutcome => ({
  verdict: "WARN",
  measured: `N/A: the ${CHANNEL_TITLE[ch]} output channel is ${m.reason}`,
  threshold: `${what} for every configured channel; a channel not configured is N/A, never a pass`,
  advice: `configure target.outputs.${ch} if the pipeline writes to ${CHANNEL_TITLE[ch]}; otherwise this line stays N/A`,
  value: "N/A",
  notApplicable: true,
  evidence: { channel: ch, configured: false },
});

const sampleText = (s: RowSample) => `row ${s.row}${s.key !== null ? ` ${s.key}` : ""} ${s.column}=${s.value === null ? "(null)" : JSON.stringify(s.value).slice(0, 40)}${s.detail ? ` (${s.detail})` : ""}`;
const rowsText = (n: number) => `${n} row${n === 1 ? "" : "s"}`;

/** Everything wrong with the run a channel holds (empty: nothing). Pure: the reconciliation reuses it. */
export function ruleFailures(c: CheckpointContext, q: DataQualityMeasurement, run: RunRead): RuleFailure[] {
  const out: RuleFailure[] = [];
  const scan = run.rows.scan;
  const tol = c.config.target.outputs.kpis?.tolerance ?? 1e-6;
  if (scan.rowsChecked === 0) out.push({ rule: "rows", rows: 0, text: "no rows: measured nothing" });
  if (scan.missingColumns.length) out.push({ rule: "schema", rows: null, text: `schema: required columns missing: ${scan.missingColumns.join(", ")}` });
  if (scan.missingRuleColumns.length) out.push({ rule: "schema", rows: null, text: `schema: columns the value rules and KPIs need are missing: ${scan.missingRuleColumns.join(", ")} (target.outputs.rules, kpis)` });
  for (const p of run.schemaProblems) out.push({ rule: "schema", rows: null, text: `schema: ${p}` });
  for (const t of Object.values(scan.rules)) {
    if (t.rows === 0) continue;
    const cols = Object.entries(t.byColumn).map(([k, n]) => `${k}: ${n}`).join(", ");
    out.push({ rule: t.rule, rows: t.rows, text: `${t.rule}: ${rowsText(t.rows)} (${cols}), e.g. ${t.samples.slice(0, 3).map(sampleText).join("; ")}`, samples: t.samples });
  }
  // completeness: the manifest's count, and the input's minus the rows the monitor says must be rejected
  const m = run.manifest;
  if (m && !m.found && m.required) out.push({ rule: "manifest", rows: null, text: `manifest: ${m.error ?? "missing"} (${m.location})` });
  if (m?.found) {
    if (m.runId !== null && run.runId !== null && m.runId !== run.runId) out.push({ rule: "manifest", rows: null, text: `manifest: names run ${m.runId}, the channel's run is ${run.runId}` });
    if (m.rows === null) out.push({ rule: "manifest", rows: null, text: `manifest: no row count (${m.location})` });
    else if (m.rows !== scan.rowsChecked) out.push({ rule: "complete", rows: Math.abs(m.rows - scan.rowsChecked), text: `complete: ${scan.rowsChecked} rows, the manifest says ${m.rows}` });
    if (m.rowsSha256 && run.rows.sha256 && m.rowsSha256 !== run.rows.sha256) out.push({ rule: "checksum", rows: null, text: `checksum: ${run.rows.location} differs from the SHA-256 in the manifest` });
    if (m.kpiSha256 && run.kpis.sha256 && m.kpiSha256 !== run.kpis.sha256) out.push({ rule: "checksum", rows: null, text: `checksum: ${run.kpis.location} differs from the SHA-256 in the manifest` });
  }
  const inp = q.input;
  if (inp && !inp.readable) out.push({ rule: "complete", rows: null, text: `complete: the input ${inp.file} is unreadable (${inp.error}): completeness cannot be judged` });
  if (inp?.readable) {
    const expected = inp.rows - inp.rejected;
    if (scan.rowsChecked !== expected) out.push({ rule: "complete", rows: Math.abs(expected - scan.rowsChecked), text: `complete: ${scan.rowsChecked} rows for ${inp.rows} input rows minus ${inp.rejected} the pipeline must reject (${expected})` });
    if (m?.found && m.rejected !== null && m.rejected !== inp.rejected) out.push({ rule: "complete", rows: Math.abs(m.rejected - inp.rejected), text: `complete: the pipeline says it rejected ${m.rejected} rows; recomputed from the input: ${inp.rejected}` });
  }
  // KPIs: the channel's KPI results against the KPIs recomputed from its own rows
  if (run.recomputed) {
    if (!run.kpis.readable) out.push({ rule: "kpi", rows: null, text: `kpi: not verifiable: the KPI results are unreadable (${run.kpis.error ?? "unknown"}; ${run.kpis.location})` });
    else {
      if (run.kpis.runId !== null && run.runId !== null && run.kpis.runId !== run.runId) out.push({ rule: "kpi", rows: null, text: `kpi: the KPI results are of run ${run.kpis.runId}, the rows of run ${run.runId}` });
      for (const [name, re] of Object.entries(run.recomputed)) {
        const rep = run.kpis.values[name];
        if (rep === null || rep === undefined) out.push({ rule: "kpi", rows: null, text: `kpi: ${name} missing from the KPI results` });
        else if (re !== null && Math.abs(rep - re) > tol) out.push({ rule: "kpi", rows: null, text: `kpi: ${name} ${rep} in the KPI results, ${re} recomputed from the rows` });
      }
    }
  }
  return out;
}

function channelOf(q: DataQualityMeasurement, ch: ChannelName): ChannelMeasurement {
  return q.channels?.[ch] ?? { channel: ch, configured: false, reason: "not read by this monitor version" };
}

/** `data-quality` / `data-quality-<channel>`: what the channel holds is right. */
export function channelDataQuality(c: CheckpointContext, ch: ChannelName): CheckOutcome {
  const q = need(c.measurements.dataQuality, "dataQuality");
  const m = channelOf(q, ch);
  const title = CHANNEL_TITLE[ch];
  const threshold = "100 % of the rows pass every rule (required columns not null, numbers, unique key, non-negative amounts, buckets adding up), rows = manifest = input minus rejected, KPI results = KPIs recomputed from the rows; more than zero rows";
  if (!m.configured) return notConfigured(ch, m, "data quality checked");
  const advice = "data quality issue: halt new processing if critical, investigate the data source, compare to the baseline; rollback if data is corrupted";
  if (!m.reachable || !m.run) {
    const why = !m.reachable ? m.error : (m.runError?.error ?? "no run read");
    return {
      verdict: "FAIL",
      notMeasured: true,
      measured: `not measured: the ${title} channel could not be read (${why}); output-${ch} judges the channel itself`,
      threshold,
      advice: `restore the ${title} output channel (see output-${ch}); its data is checked once it can be read`,
      value: null,
      evidence: { channel: ch, error: why },
    };
  }
  const run = m.run;
  const s = run.rows.scan;
  const failures = ruleFailures(c, q, run);
  const passing = s.rowsChecked - s.rowsFailing;
  const pct = s.rowsChecked > 0 ? Math.floor((passing / s.rowsChecked) * 10000) / 100 : null;
  return {
    verdict: failures.length ? "FAIL" : "PASS",
    measured: `${title} ${run.rows.location}${run.runId ? ` (run ${run.runId})` : ""}: ${s.rowsChecked} rows, ${s.totalNulls} nulls, ${s.duplicateRows} duplicates; data quality ${pct === null ? "n/a (no rows)" : `${pct} %`} (${passing}/${s.rowsChecked} rows pass every row rule)${failures.length ? `; FAIL ${failures.map((f) => f.text).join("; ")}` : ""}`,
    threshold,
    advice,
    value: pct,
    evidence: {
      channel: ch,
      runId: run.runId,
      readBecause: m.readBecause,
      rowsChecked: s.rowsChecked,
      rowsPassing: passing,
      failures: failures.map((f) => ({ channel: ch, rule: f.rule, rows: f.rows, text: f.text, samples: f.samples })),
      nullsByColumn: s.nullsByColumn,
      duplicateKeyExamples: s.duplicateKeyExamples,
      manifest: run.manifest,
      input: q.input ? { file: q.input.file, rows: q.input.rows, rejected: q.input.rejected, rejectedSamples: q.input.rejectedSamples } : null,
      kpis: { reported: run.kpis.values, recomputed: run.recomputed },
      ...(run.notes.length ? { notes: run.notes } : {}),
    },
  };
}

/** `output-<channel>`: reachable, written recently, readable. */
export function outputChannel(c: CheckpointContext, ch: ChannelName): CheckOutcome {
  const q = need(c.measurements.dataQuality, "dataQuality");
  const m = channelOf(q, ch);
  const title = CHANNEL_TITLE[ch];
  if (!m.configured) return notConfigured(ch, m, "reachable, written by the latest run, readable");
  const advice = `the ${title} output channel is down or stale: check the output phase in the pipeline log and the channel's storage (${ch === "local" ? "disk" : ch === "azure" ? "the storage account and container" : "the database"})`;
  const threshold = `reachable, its latest run written within ${"maxAgeSeconds" in m ? m.maxAgeSeconds : "?"} s, rows and KPI results readable`;
  if (!m.reachable) {
    return { verdict: "FAIL", measured: `${title} output channel unreachable: ${m.error}`, threshold, advice, value: null, evidence: { channel: ch, failure: m.failure, error: m.error } };
  }
  const h = m.head;
  const age = h.ageSeconds === null ? "unknown" : `${h.ageSeconds.toFixed(0)} s`;
  const problems: string[] = [];
  if (h.runId === null && ch !== "local") problems.push(`nothing written (${h.source})`);
  if (!m.fresh) problems.push(`stale: written ${age} ago (max ${m.maxAgeSeconds} s)`);
  if (!m.run) problems.push(`latest run unreadable: ${m.runError?.error ?? "not read"}`);
  else {
    if (m.run.rows.scan.rowsChecked === 0) problems.push("rows empty");
    if (!m.run.kpis.readable) problems.push(`KPI results unreadable (${m.run.kpis.error})`);
  }
  const where = ch === "local" ? `local outputs: ${m.run?.rows.location ?? m.location}` : `${title} ${m.location}`;
  const rows = m.run ? `${m.run.rows.scan.rowsChecked} rows` : "rows not read";
  return {
    verdict: problems.length ? "FAIL" : "PASS",
    measured: `${where} ${rows}, newest ${age} old${h.runId ? ` (run ${h.runId}; ${h.source})` : ""}, KPI results ${m.run?.kpis.readable ? "readable" : "unreadable"}${problems.length ? `; ${problems.join("; ")}` : ""}`,
    threshold,
    advice,
    value: m.run ? m.run.rows.scan.rowsChecked : null,
    evidence: { channel: ch, head: h, fresh: m.fresh, readBecause: m.readBecause },
  };
}

/** `output-reconciliation`: the same run, identical in every channel that is fresh and right on its own. */
export function outputReconciliation(c: CheckpointContext): CheckOutcome {
  const q = need(c.measurements.dataQuality, "dataQuality");
  const threshold = "for the same run, row counts, key sets, per-column checksums and KPI values equal in every configured channel";
  const configured = CHANNELS.filter((ch) => channelOf(q, ch).configured);
  if (configured.length < 2) {
    return {
      verdict: "WARN",
      measured: `N/A: reconciliation needs two configured output channels (configured: ${configured.map((ch) => CHANNEL_TITLE[ch]).join(", ") || "none"})`,
      threshold,
      advice: "configure the pipeline's other output channels (target.outputs.azure, target.outputs.supabase) to reconcile them",
      value: "N/A",
      notApplicable: true,
      evidence: { configured },
    };
  }
  const runId = q.reconciliation?.runId ?? null;
  const excluded: string[] = [];
  const usable: { ch: ChannelName; m: Read; run: RunRead }[] = [];
  for (const ch of configured) {
    const m = channelOf(q, ch);
    if (!m.configured) continue;
    if (!m.reachable) excluded.push(`${ch}: unreachable (output-${ch})`);
    else if (!m.run) excluded.push(`${ch}: not read (output-${ch})`);
    else if (!m.fresh) excluded.push(`${ch}: stale (output-${ch})`);
    else if (runId === null || m.run.runId !== runId) excluded.push(`${ch}: holds run ${m.run.runId}, not ${runId} (${m.readBecause})`);
    else if (ruleFailures(c, q, m.run).length) excluded.push(`${ch}: fails its own data-quality check (${ch === "local" ? "data-quality" : `data-quality-${ch}`})`);
    else usable.push({ ch, m, run: m.run });
  }
  if (usable.length < 2) {
    return {
      verdict: "WARN",
      measured: `not judged: fewer than two channels hold run ${runId ?? "(none)"} fresh and right on their own (${usable.map((u) => u.ch).join(", ") || "none"}); left out: ${excluded.join("; ")}`,
      threshold,
      advice: "the channels left out fail their own checks (named above), which carry the alerts; reconciliation resumes once two channels are healthy",
      value: "not judged",
      evidence: { runId, basis: q.reconciliation?.basis, excluded },
    };
  }
  const tol = c.config.target.outputs.kpis?.tolerance ?? 1e-6;
  const ref = usable[0]!;
  const mismatches: { channel: ChannelName; against: ChannelName; what: string }[] = [];
  for (const u of usable.slice(1)) {
    const a = ref.run.rows.scan;
    const b = u.run.rows.scan;
    const add = (what: string) => mismatches.push({ channel: u.ch, against: ref.ch, what });
    if (a.rowsChecked !== b.rowsChecked) add(`row count ${b.rowsChecked} vs ${a.rowsChecked}`);
    if (a.keySet !== b.keySet) add(`key set differs (${b.distinctKeys} vs ${a.distinctKeys} distinct keys)`);
    const cols = a.columns.filter((col) => b.columns.includes(col));
    for (const col of cols) if (a.checksums[col] !== b.checksums[col]) add(`column ${col} checksum differs`);
    for (const col of a.columns.filter((x) => !b.columns.includes(x))) add(`column ${col} only in ${ref.ch}`);
    for (const col of b.columns.filter((x) => !a.columns.includes(x))) add(`column ${col} only in ${u.ch}`);
    for (const [name, va] of Object.entries(ref.run.kpis.values)) {
      const vb = u.run.kpis.values[name];
      if (va !== null && vb !== null && vb !== undefined && Math.abs(va - vb) > tol) add(`KPI ${name} ${vb} vs ${va}`);
    }
  }
  // With three channels, the one that disagrees with the other two is the one to look at.
  let odd = "";
  if (usable.length >= 3 && mismatches.length) {
    const vs = new Set(mismatches.map((x) => x.channel));
    odd = vs.size === usable.length - 1 ? `; ${ref.ch} disagrees with the others` : `; ${[...vs].join(", ")} disagree${vs.size === 1 ? "s" : ""} with ${ref.ch}`;
  }
  return {
    verdict: mismatches.length ? "FAIL" : "PASS",
    measured: `run ${runId} in ${usable.map((u) => CHANNEL_TITLE[u.ch]).join(", ")}: ${ref.run.rows.scan.rowsChecked} rows each${mismatches.length ? `; FAIL ${mismatches.map((x) => `${x.channel} vs ${x.against}: ${x.what}`).join("; ")}${odd}` : ", same keys, column checksums and KPIs"}${excluded.length ? `; left out: ${excluded.join("; ")}` : ""}`,
    threshold,
    advice: "the channels hold different data for the same run: a data quality issue; find which channel's writer diverged (the one that disagrees) and halt new processing; rollback if data is corrupted",
    value: mismatches.length,
    evidence: { runId, basis: q.reconciliation?.basis, channels: usable.map((u) => u.ch), excluded, mismatches, fingerprints: Object.fromEntries(usable.map((u) => [u.ch, { rows: u.run.rows.scan.rowsChecked, keySet: u.run.rows.scan.keySet, checksums: u.run.rows.scan.checksums, kpis: u.run.kpis.values }])) },
  };
}
