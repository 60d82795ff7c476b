/**
 * Independent KPI oracle: the same KPIs computed by SQL in an in-memory SQLite database
 * (libsql: SQLite itself). It shares no code with the engines: rows are inserted into a table and
 * one aggregate query computes the sums, the ratios, the zero-denominator rules and the
 * rounding (SQLite's ROUND(x, 2)). Reasons are derived from the same query's flags.
 *
 * Used by the tests (engine vs oracle), by scripts/make-golden.ts (expected values of the
 * golden fixture) and by bench/engine.ts (the aggregate query's time on the same rows).
 */
import Database from "libsql";
import { parse } from "csv-parse/sync";

export interface OracleRow {
  loan_id: string;
  total_receivable_usd: number;
  dpd_0_7_usd: number;
  dpd_7_30_usd: number;
  dpd_30_60_usd: number;
  dpd_60_90_usd: number;
  dpd_90_plus_usd: number;
  cash_available_usd: number;
  total_eligible_usd: number;
}

/** Columnar input, structurally the same as pipeline/kpi/types.ts LoanTape. */
export interface OracleTape {
  rows: number;
  loanIds: string[];
  columns: Record<Exclude<keyof OracleRow, "loan_id">, ArrayLike<number>>;
}

export interface OracleKpis {
  rows: number;
  PAR30: number;
  PAR90: number;
  CollectionRate: number;
  PortfolioHealth: number;
  /** 1 when PAR30/PAR90 are 0 by definition (no rows or sum(total_receivable) = 0) */
  par_undefined: number;
  /** 1 when CollectionRate is 0 by definition (no rows or sum(total_eligible) = 0) */
  cr_undefined: number;
}

const COLS = [
  "loan_id",
  "total_receivable_usd",
  "dpd_0_7_usd",
  "dpd_7_30_usd",
  "dpd_30_60_usd",
  "dpd_60_90_usd",
  "dpd_90_plus_usd",
  "cash_available_usd",
  "total_eligible_usd",
] as const;

export const ORACLE_SQL = `
WITH s AS (
  SELECT COUNT(*)                                               AS n,
         TOTAL(dpd_30_60_usd + dpd_60_90_usd + dpd_90_plus_usd)  AS par30_num,
         TOTAL(dpd_90_plus_usd)                                  AS par90_num,
         TOTAL(total_receivable_usd)                             AS rec,
         TOTAL(cash_available_usd)                               AS cash,
         TOTAL(total_eligible_usd)                               AS elig
  FROM loans
),
k AS (
  SELECT n,
         (n = 0 OR rec = 0)                                                  AS par_undefined,
         (n = 0 OR elig = 0)                                                 AS cr_undefined,
         CASE WHEN n = 0 OR rec = 0 THEN 0.0 ELSE par30_num / rec * 100.0 END AS par30,
         CASE WHEN n = 0 OR rec = 0 THEN 0.0 ELSE par90_num / rec * 100.0 END AS par90,
         CASE WHEN n = 0 OR elig = 0 THEN 0.0 ELSE ROUND(cash / elig * 100.0, 2) END AS cr
  FROM s
)
SELECT n AS rows,
       par30 AS PAR30,
       par90 AS PAR90,
       cr AS CollectionRate,
       CASE WHEN par_undefined OR cr_undefined THEN 0.0
            ELSE ROUND(MIN(10.0, MAX(0.0, MAX(0.0, 10.0 - par30 / 10.0) * cr / 10.0)), 2)
       END AS PortfolioHealth,
       par_undefined,
       cr_undefined
FROM k`;

export class SqliteOracle {
  readonly db: Database.Database;
  private readonly agg: Database.Statement;
  constructor() {
    this.db = new Database(":memory:");
    this.db.exec(`CREATE TABLE loans (
      loan_id TEXT NOT NULL,
      ${COLS.slice(1).map((c) => `${c} REAL NOT NULL`).join(",\n      ")}
    )`);
    this.agg = this.db.prepare(ORACLE_SQL);
  }
  insertRows(rows: readonly OracleRow[]): this {
    const ins = this.db.prepare(`INSERT INTO loans (${COLS.join(",")}) VALUES (${COLS.map(() => "?").join(",")})`);
    this.db.transaction(() => {
      for (const r of rows) ins.run(COLS.map((c) => r[c]));
    })();
    return this;
  }
  insertTape(t: OracleTape): this {
    const ins = this.db.prepare(`INSERT INTO loans (${COLS.join(",")}) VALUES (${COLS.map(() => "?").join(",")})`);
    const c = COLS.slice(1).map((name) => t.columns[name as Exclude<keyof OracleRow, "loan_id">]);
    this.db.transaction(() => {
      for (let i = 0; i < t.rows; i++) ins.run(t.loanIds[i], c[0][i], c[1][i], c[2][i], c[3][i], c[4][i], c[5][i], c[6][i], c[7][i]);
    })();
    return this;
  }
  /** The one aggregate query. */
  kpis(): OracleKpis {
    return this.agg.all()[0] as OracleKpis; // all(): libsql's get() adds a _metadata field
  }
  close(): void {
    this.db.close();
  }
}

/** One-shot: insert, query, close. */
export function oracleKpis(input: readonly OracleRow[] | OracleTape): OracleKpis {
  const o = new SqliteOracle();
  try {
    if (Array.isArray(input)) o.insertRows(input as readonly OracleRow[]);
    else o.insertTape(input as OracleTape);
    return o.kpis();
  } finally {
    o.close();
  }
}

/**
 * Oracle straight from CSV text, read with csv-parse (not the pipeline's own parser), so a
 * golden file's expected values depend on neither the engine nor pipeline/tape/parse.ts.
 * Valid tapes only: it throws on anything that is not a finite number.
 */
export function oracleKpisFromCsv(text: string): OracleKpis {
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  const rows = records.map((r, i) => {
    const out = { loan_id: r.loan_id } as OracleRow;
    for (const c of COLS.slice(1)) {
      const v = Number(r[c]);
      if (r[c] === undefined || r[c] === "" || !Number.isFinite(v)) throw new Error(`oracle: row ${i + 1}, column ${c}: ${JSON.stringify(r[c])}`);
      (out as unknown as Record<string, number>)[c] = v;
    }
    return out;
  });
  return oracleKpis(rows);
}
