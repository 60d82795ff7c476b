/**
 * The input as the monitor reads it: how many rows it has and how many of them the pipeline must
 * reject (a required cell empty, a number column not a number, a negative amount:
 * target.outputs.rules.rejectInputOn), recomputed from the input itself with the same row rules,
 * rather than taken on the pipeline's word. "Complete" compares every channel's row count with
 * input rows minus these.
 */
import type { TargetConfig } from "../../config/target.js";
import { resolveTargetPath } from "../../config/target.js";
import { errorText } from "../target-io.js";
import type { InputFacts } from "./channel.js";
import { rowRules } from "./channel.js";
import { scanFile, type ScanResult } from "./scan.js";

export async function readInput(target: TargetConfig): Promise<InputFacts | null> {
  const o = target.outputs;
  if (!o.local.inputFile) return null;
  const file = resolveTargetPath(target, o.local.inputFile);
  const rules = rowRules(target);
  let scanned: ScanResult;
  try {
    // in a worker thread (scan.ts), beside the channels' reads
    scanned = await scanFile({ kind: "input", rules, rejectOn: o.rules.rejectInputOn, delimiter: o.local.csvDelimiter, sha256: true }, file);
  } catch (err) {
    return { file, readable: false, error: (err as NodeJS.ErrnoException).code ?? errorText(err), rows: 0, rejected: 0, rejectedSamples: [], sha256: null, columns: [] };
  }
  const scan = scanned.scan;
  const rejectedSamples = Object.values(scan.rules)
    .flatMap((t) => t.samples.map((x) => ({ row: x.row, key: x.key, column: x.column, value: x.value, rule: t.rule })))
    .sort((a, b) => a.row - b.row)
    .slice(0, rules.sampleRows);
  return { file, readable: true, rows: scan.rowsChecked, rejected: scan.rowsFailing, rejectedSamples, sha256: scanned.sha256, columns: scan.columns };
}
