/**
 * Seeded, realistic loan tape generator (deterministic per seed and options).
 *
 * - Receivables: log-normal (median ~$18k, sigma 1.0), clamped to [$500, $2.5M], in cents.
 * - Delinquency: most loans fully current (dpd_0_7 = receivable). A loan drawn as delinquent
 *   moves 60-100 % of its receivable into one bucket (7-30, 30-60, 60-90, 90+), the rest stays
 *   current; the buckets always add up to the receivable exactly (integer cents).
 *   Each bucket has an amount budget (a share of the tape's total receivable): a delinquent
 *   draw that would overflow its bucket's budget leaves the loan current. So a healthy tape
 *   stays in the healthy band by construction at every size, not just on average:
 *   healthy PAR30 <= 4.7 (< 5), PAR90 <= 1.5 (< 3).
 * - Eligible = the receivable not 30+ days past due (dpd_0_7 + dpd_7_30).
 * - Cash available = a per-loan share of eligible: healthy 1.6-4.6 % (so CollectionRate is
 *   at least 1.6 and about 3.1), stressed 0.3-1.5 %; loans with nothing eligible collect
 *   nothing.
 * - loan_id: "L" + zero-padded sequence (L0000001 ...).
 */
import type { LoanTape, NumericColumn } from "../kpi/types.ts";
import { tapeToCsv } from "./parse.ts";

export type TapeProfile = "healthy" | "stressed";

export interface GenerateOptions {
  rows: number;
  seed: number;
  profile?: TapeProfile;
}

/** mulberry32: small, fast, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ProfileSpec {
  /** probability per loan of a delinquent draw in each bucket: 7-30, 30-60, 60-90, 90+ */
  p: [number, number, number, number];
  /** amount budget per bucket, as a share of total receivable */
  cap: [number, number, number, number];
  /** cash / eligible per loan: [min, max) */
  cash: [number, number];
}

export const PROFILES: Record<TapeProfile, ProfileSpec> = {
  // expected shares ~ p x 0.8: 7-30 2.5 %, 30-60 1.4 %, 60-90 0.8 %, 90+ 1.0 % (PAR30 ~3.2, PAR90 ~1.0)
  healthy: { p: [0.031, 0.0175, 0.01, 0.0125], cap: [0.04, 0.02, 0.012, 0.015], cash: [0.016, 0.046] },
  // expected PAR30 ~14, PAR90 ~6, CollectionRate ~0.9
  stressed: { p: [0.075, 0.0625, 0.0375, 0.075], cap: [0.1, 0.075, 0.045, 0.09], cash: [0.003, 0.015] },
};

export function generateTape({ rows, seed, profile = "healthy" }: GenerateOptions): LoanTape {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`rows must be a non-negative integer, got ${rows}`);
  const spec = PROFILES[profile];
  if (!spec) throw new RangeError(`unknown profile ${String(profile)}`);
  const rnd = mulberry32(seed);

  // 1. receivables (integer cents), log-normal via Box-Muller
  const recC = new Float64Array(rows);
  let totalC = 0;
  for (let i = 0; i < rows; i++) {
    const u1 = 1 - rnd();
    const u2 = rnd();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    const usd = Math.min(2_500_000, Math.max(500, Math.exp(Math.log(18_000) + 1.0 * z)));
    recC[i] = Math.round(usd * 100);
    totalC += recC[i];
  }

  // 2. delinquency within bucket budgets, 3. eligible and cash
  const budget = spec.cap.map((c) => Math.floor(c * totalC));
  const used = [0, 0, 0, 0];
  const cols: Record<NumericColumn, Float64Array> = {
    total_receivable_usd: new Float64Array(rows),
    dpd_0_7_usd: new Float64Array(rows),
    dpd_7_30_usd: new Float64Array(rows),
    dpd_30_60_usd: new Float64Array(rows),
    dpd_60_90_usd: new Float64Array(rows),
    dpd_90_plus_usd: new Float64Array(rows),
    cash_available_usd: new Float64Array(rows),
    total_eligible_usd: new Float64Array(rows),
  };
  const bucketCols = [cols.dpd_7_30_usd, cols.dpd_30_60_usd, cols.dpd_60_90_usd, cols.dpd_90_plus_usd];
  const loanIds: string[] = new Array(rows);
  const width = Math.max(7, String(rows).length);
  for (let i = 0; i < rows; i++) {
    loanIds[i] = `L${String(i + 1).padStart(width, "0")}`;
    const r = recC[i];
    let current = r;
    const bucketC = [0, 0, 0, 0];
    // draw a bucket: u in [0, sum p) selects one; beyond -> current
    const u = rnd();
    const frac = 0.6 + 0.4 * rnd();
    let acc = 0;
    for (let k = 0; k < 4; k++) {
      acc += spec.p[k];
      if (u < acc) {
        const amount = Math.round(r * frac);
        if (used[k] + amount <= budget[k]) {
          used[k] += amount;
          bucketC[k] = amount;
          current = r - amount;
        }
        break;
      }
    }
    const eligibleC = current + bucketC[0];
    const share = spec.cash[0] + (spec.cash[1] - spec.cash[0]) * rnd();
    const cashC = Math.round(eligibleC * share);
    cols.total_receivable_usd[i] = r / 100;
    cols.dpd_0_7_usd[i] = current / 100;
    for (let k = 0; k < 4; k++) bucketCols[k][i] = bucketC[k] / 100;
    cols.total_eligible_usd[i] = eligibleC / 100;
    cols.cash_available_usd[i] = cashC / 100;
  }
  return { rows, loanIds, columns: cols };
}

export function generateCsv(opts: GenerateOptions): string {
  return tapeToCsv(generateTape(opts));
}
