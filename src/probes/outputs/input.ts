/**
 * The input as the monitor reads it: how many rows it has and how many of them the pipeline must
 * reject (a required cell empty, a number column not a number, a negative amount:
 * target.outputs.rules.rejectInputOn), recomputed from the input itself with the same row rules,
 * rather than taken on the pipeline's word. "Complete" compares every channel's row count with
 * input rows minus these.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import type { TargetConfig } from "../../config/target.js";
import { resolveTargetPath } from "../../config/target.js";
import { errorText } from "../target-io.js";
import type { InputFacts } from "./channel.js";
import { rowRules } from "./channel.js";
import { RowChecker, scanCsv, type CsvSink } from "./rows.js";

export async function readInput(target: TargetConfig): Promise<InputFacts | null> {
  const o = target.outputs;
  if (!o.local.inputFile) return null;
  const file = resolveTargetPath(target, o.local.inputFile);
  const rules = rowRules(target);
  const hash = createHash("sha256");
  let checker: RowChecker | null = null;
  const sink: CsvSink = {
    // the input has the columns it has: the rules apply to those of them the rules name
    header: (cells) => {
      const has = (c: string) => cells.map((x) => x.trim()).includes(c);
      checker = new RowChecker(cells, { ...rules, required: rules.required.filter(has), numeric: rules.numeric.filter(has), nonNegative: rules.nonNegative.filter(has), sums: [], sumColumns: [], enabled: o.rules.rejectInputOn, fingerprints: false });
    },
    bytes: (buf, s, e) => checker!.checkBytes(buf, s, e),
    strings: (cells) => checker!.check(cells),
  };
  try {
    await scanCsv(fs.createReadStream(file, { highWaterMark: 1 << 20 }), o.local.csvDelimiter, sink, (chunk) => hash.update(chunk));
  } catch (err) {
    return { file, readable: false, error: (err as NodeJS.ErrnoException).code ?? errorText(err), rows: 0, rejected: 0, rejectedSamples: [], sha256: null, columns: [] };
  }
  const scan = (checker ?? new RowChecker([], rules)).result();
  const rejectedSamples = Object.values(scan.rules)
    .flatMap((t) => t.samples.map((x) => ({ row: x.row, key: x.key, column: x.column, value: x.value, rule: t.rule })))
    .sort((a, b) => a.row - b.row)
    .slice(0, rules.sampleRows);
  return { file, readable: true, rows: scan.rowsChecked, rejected: scan.rowsFailing, rejectedSamples, sha256: hash.digest("hex"), columns: scan.columns };
}
