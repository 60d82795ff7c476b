import fs from "node:fs";
import path from "node:path";
import { parse } from "csv-parse";
import { resolveTargetPath, type TargetConfig } from "../config/target.js";
import { errorText, monitorFailure, runProbe, targetFailure } from "./target-io.js";
import type { ProbeContext, ProbeResult } from "./probe.js";

export interface DataQualityMeasurement {
  rowsFile: string;
  rowCount: number;
  columns: string[];
  requiredColumns: string[];
  missingColumns: string[];
  /** Empty cells per column. */
  nullsByColumn: Record<string, number>;
  totalNulls: number;
  key: string;
  /** Rows whose key was already seen. */
  duplicateRows: number;
  duplicateKeyExamples: string[];
  inputFile: string | null;
  inputRowCount: number | null;
  rowCountMatchesInput: boolean | null;
  newestOutput: { path: string; mtimeMs: number; ageSeconds: number };
  maxAgeSeconds: number;
  fresh: boolean;
  kpiFile: { path: string; readable: boolean; error?: string; content?: unknown };
}

interface CsvStats {
  columns: string[];
  rowCount: number;
  nullsByColumn: Record<string, number>;
  duplicateRows: number;
  duplicateKeyExamples: string[];
}

/** Stream a CSV with a header: row count, empty cells per column, duplicate keys. */
export async function csvStats(file: string, key: string | null, delimiter = ","): Promise<CsvStats> {
  const parser = fs.createReadStream(file).pipe(
    parse({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true }),
  );
  let columns: string[] | null = null;
  let keyIndex = -1;
  let rowCount = 0;
  let nulls: number[] = [];
  const seen = new Set<string>();
  const examples = new Set<string>();
  let duplicateRows = 0;
  for await (const rec of parser as AsyncIterable<string[]>) {
    if (columns === null) {
      columns = rec.map((c) => c.trim());
      keyIndex = key === null ? -1 : columns.indexOf(key);
      nulls = new Array(columns.length).fill(0);
      continue;
    }
    rowCount++;
    for (let i = 0; i < columns.length; i++) {
      const cell = rec[i];
      if (cell === undefined || cell.trim() === "") nulls[i]!++;
    }
    if (keyIndex >= 0) {
      const k = rec[keyIndex] ?? "";
      if (seen.has(k)) {
        duplicateRows++;
        if (examples.size < 5) examples.add(k);
      } else seen.add(k);
    }
  }
  const cols = columns ?? [];
  return {
    columns: cols,
    rowCount,
    nullsByColumn: Object.fromEntries(cols.map((c, i) => [c, nulls[i] ?? 0])),
    duplicateRows,
    duplicateKeyExamples: [...examples],
  };
}

async function newestFile(dir: string): Promise<{ path: string; mtimeMs: number } | null> {
  let best: { path: string; mtimeMs: number } | null = null;
  const walk = async (d: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (depth < 3) await walk(p, depth + 1);
      } else if (e.isFile()) {
        try {
          const st = await fs.promises.stat(p);
          if (!best || st.mtimeMs > best.mtimeMs) best = { path: p, mtimeMs: st.mtimeMs };
        } catch {
          /* replaced while walking */
        }
      }
    }
  };
  await walk(dir, 0);
  return best;
}

/**
 * Data quality of the local outputs, scanned by the monitor itself: nulls per column,
 * duplicate keys, required columns, row count against the input, freshness of the newest
 * output, KPI file readable. Missing rows file or zero rows -> target failure.
 */
export function probeDataQuality(target: TargetConfig, ctx: ProbeContext): Promise<ProbeResult<DataQualityMeasurement>> {
  return runProbe(async () => {
    const o = target.outputs.local;
    const dir = resolveTargetPath(target, o.dir);
    const rowsFile = path.resolve(dir, o.rowsFile);
    if (!fs.existsSync(rowsFile)) throw targetFailure(`output rows file missing: ${rowsFile} (outputs.local.rowsFile)`);
    let stats: CsvStats;
    try {
      stats = await csvStats(rowsFile, o.key, o.csvDelimiter);
    } catch (err) {
      throw targetFailure(`output rows file is not valid CSV: ${rowsFile}: ${errorText(err)}`);
    }
    if (stats.rowCount === 0) throw targetFailure(`output rows file has zero rows: ${rowsFile} (measured nothing)`);
    let inputFile: string | null = null;
    let inputRowCount: number | null = null;
    if (o.inputFile) {
      inputFile = resolveTargetPath(target, o.inputFile);
      try {
        inputRowCount = (await csvStats(inputFile, null, o.csvDelimiter)).rowCount;
      } catch (err) {
        throw targetFailure(`input file unreadable: ${inputFile} (outputs.local.inputFile): ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`);
      }
    }
    const newest = await newestFile(dir);
    if (!newest) throw monitorFailure(`no output file found under ${dir}`);
    const ageSeconds = Math.max(0, Math.round((ctx.now() - newest.mtimeMs) / 100) / 10);
    let kpiFile: DataQualityMeasurement["kpiFile"] = { path: "", readable: true };
    if (o.kpiFile) {
      const kp = path.resolve(dir, o.kpiFile);
      try {
        kpiFile = { path: kp, readable: true, content: JSON.parse(await fs.promises.readFile(kp, "utf8")) };
      } catch (err) {
        kpiFile = { path: kp, readable: false, error: errorText(err).split("\n")[0] };
      }
    }
    const totalNulls = Object.values(stats.nullsByColumn).reduce((a, b) => a + b, 0);
    return {
      rowsFile,
      rowCount: stats.rowCount,
      columns: stats.columns,
      requiredColumns: o.requiredColumns,
      missingColumns: o.requiredColumns.filter((c) => !stats.columns.includes(c)),
      nullsByColumn: stats.nullsByColumn,
      totalNulls,
      key: o.key,
      duplicateRows: stats.duplicateRows,
      duplicateKeyExamples: stats.duplicateKeyExamples,
      inputFile,
      inputRowCount,
      rowCountMatchesInput: inputRowCount === null ? null : inputRowCount === stats.rowCount,
      newestOutput: { path: newest.path, mtimeMs: newest.mtimeMs, ageSeconds },
      maxAgeSeconds: o.maxAgeSeconds,
      fresh: ageSeconds <= o.maxAgeSeconds,
      kpiFile,
    };
  });
}
