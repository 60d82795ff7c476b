/**
 * What one run publishes to each output channel: the processed rows, the KPI results and the
 * manifest (run id, row count, SHA-256 per file). The manifest is the run's own account and the
 * same in every channel; a channel fault (faults.ts: local|azure|supabase:MODE) changes only what
 * that channel receives, the way a broken writer or a half-finished upload would:
 * partial -> the first half of the rows; corrupt -> one row's dpd_0_7_usd negative (so the
 * buckets no longer add up to the receivable either); drift -> PAR30 off by 0.5 in the KPI
 * results; stale -> not written; down -> the write fails.
 */
import type { ChannelFault } from "../faults/faults.ts";
import { sha256 } from "../service/common.ts";

export interface RunOutput {
  runId: string;
  version: string;
  generatedAt: string;
  /** Header first; cells as written ("" = null). */
  header: readonly string[];
  rows: string[][];
  kpis: Record<string, number>;
  /** outputs/kpis.json as text. */
  kpiText: string;
  rowsCsv: string;
  manifest: RunManifest;
}

export interface RunManifest {
  run_id: string;
  version: string;
  generated_at: string;
  input: { path: string; sha256: string; rows: number };
  rows_out: number;
  /** Input rows the pipeline rejected (the reference pipeline rejects none: a bad tape fails the run). */
  rejected: number;
  outputs: { path: string; sha256: string; bytes: number; rows?: number }[];
}

export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly string[][]): string {
  const lines = [header.join(",")];
  for (const r of rows) lines.push(r.map(csvField).join(","));
  return lines.join("\n") + "\n";
}

/** The KPI document (outputs/kpis.json) of a run. */
export function kpiDocText(runId: string, version: string, generatedAt: string, rows: number, kpis: Record<string, number>): string {
  return JSON.stringify({ run_id: runId, version, generated_at: generatedAt, rows, kpis }, null, 2) + "\n";
}

export function buildOutput(o: { runId: string; version: string; generatedAt: string; header: readonly string[]; rows: string[][]; inputRows: number; kpis: Record<string, number>; input: { path: string; sha256: string; rows: number } }): RunOutput {
  const rowsCsv = toCsv(o.header, o.rows);
  const kpiText = kpiDocText(o.runId, o.version, o.generatedAt, o.inputRows, o.kpis);
  return {
    runId: o.runId,
    version: o.version,
    generatedAt: o.generatedAt,
    header: o.header,
    rows: o.rows,
    kpis: o.kpis,
    kpiText,
    rowsCsv,
    manifest: {
      run_id: o.runId,
      version: o.version,
      generated_at: o.generatedAt,
      input: o.input,
      rows_out: o.rows.length,
      rejected: 0,
      outputs: [
        { path: "outputs/kpis.json", sha256: sha256(kpiText), bytes: Buffer.byteLength(kpiText) },
        { path: "outputs/loans_processed.csv", sha256: sha256(rowsCsv), bytes: Buffer.byteLength(rowsCsv), rows: o.rows.length },
      ],
    },
  };
}

/** What one channel receives under its fault (the run's own output without one). */
export function forChannel(out: RunOutput, fault: ChannelFault | undefined): { rows: string[][]; rowsCsv: string; kpis: Record<string, number>; kpiText: string } {
  let rows = out.rows;
  let kpis = out.kpis;
  if (fault === "partial") rows = rows.slice(0, Math.floor(rows.length / 2));
  if (fault === "corrupt" && rows.length > 0) {
    const i = Math.floor(rows.length / 2);
    const c = out.header.indexOf("dpd_0_7_usd");
    const bad = [...rows[i]!];
    bad[c] = String(-(Number(bad[c]) + 1));
    rows = [...rows.slice(0, i), bad, ...rows.slice(i + 1)];
  }
  if (fault === "drift") kpis = { ...kpis, PAR30: (kpis.PAR30 ?? 0) + 0.5 };
  const same = rows === out.rows && kpis === out.kpis;
  return {
    rows,
    rowsCsv: rows === out.rows ? out.rowsCsv : toCsv(out.header, rows),
    kpis,
    kpiText: same || kpis === out.kpis ? out.kpiText : kpiDocText(out.runId, out.version, out.generatedAt, JSON.parse(out.kpiText).rows, kpis),
  };
}
