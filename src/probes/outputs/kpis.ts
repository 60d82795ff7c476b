/**
 * KPIs recomputed by the monitor from a channel's own output rows (the column totals of
 * rows.ts), by the definitions in target.outputs.kpis: a ratio of column sums, or a formula of
 * other KPIs. A zero denominator gives 0, as the pipeline's contract says, and makes every KPI
 * computed from it 0 too.
 */
import type { TargetConfig } from "../../config/target.js";
import { parseFormula } from "./formula.js";

export type KpiConfig = NonNullable<TargetConfig["outputs"]["kpis"]>;

/** The columns whose totals the definitions need. */
export function kpiColumns(k: KpiConfig | null): string[] {
  if (!k) return [];
  const cols = new Set<string>();
  for (const d of Object.values(k.definitions)) if ("numerator" in d) for (const c of [...d.numerator, ...d.denominator]) cols.add(c);
  return [...cols];
}

const round = (x: number, d: number | null) => (d === null ? x : Number(x.toFixed(d)));

/** Each KPI from the column totals (null when a column it needs is missing). */
export function recomputeKpis(k: KpiConfig, sums: Record<string, number>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const undefinedBy = new Set<string>();
  const pending = Object.entries(k.definitions);
  // formulas may refer to KPIs defined after them: evaluate until nothing changes
  for (let pass = 0; pass <= pending.length && Object.keys(out).length < pending.length; pass++) {
    for (const [name, d] of pending) {
      if (name in out) continue;
      if ("numerator" in d) {
        const total = (cols: string[]) => cols.reduce((a, c) => a + (sums[c] ?? Number.NaN), 0);
        const num = total(d.numerator);
        const den = total(d.denominator);
        if (Number.isNaN(num) || Number.isNaN(den)) out[name] = null;
        else if (den === 0) {
          out[name] = 0;
          undefinedBy.add(name);
        } else out[name] = round((num / den) * d.scale, d.decimals);
      } else {
        const f = parseFormula(d.formula);
        if (!f.names.every((n) => n in out)) continue;
        if (f.names.some((n) => out[n] === null)) out[name] = null;
        else if (f.names.some((n) => undefinedBy.has(n))) {
          out[name] = 0;
          undefinedBy.add(name);
        } else out[name] = round(f.evaluate(out as Record<string, number>), d.decimals);
      }
    }
  }
  for (const [name] of pending) if (!(name in out)) out[name] = null;
  return out;
}
