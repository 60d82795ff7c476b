import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REASONS } from "../../pipeline/kpi/common.ts";
import { TAPE_COLUMNS, type LoanTape } from "../../pipeline/kpi/types.ts";
import { calculateKpisV2 } from "../../pipeline/kpi/v2-engine.ts";
import { generateCsv, generateTape, mulberry32 } from "../../pipeline/tape/generate.ts";
import { NUMERIC_COLUMNS, TAPE_HEADER, TapeError, parseTapeCsv, rowsFromTape, tapeFromRows, tapeToCsv } from "../../pipeline/tape/parse.ts";
import { oracleKpisFromCsv } from "./oracle.ts";

const ROOT = join(import.meta.dirname, "../..");
const H = TAPE_HEADER;

function tapeError(fn: () => unknown): TapeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TapeError);
    return e as TapeError;
  }
  throw new Error("expected a TapeError, nothing was thrown");
}

function expectSameTape(a: LoanTape, b: LoanTape): void {
  expect(a.rows).toBe(b.rows);
  expect(a.loanIds).toEqual(b.loanIds);
  for (const c of NUMERIC_COLUMNS) expect(Array.from(a.columns[c]), c).toEqual(Array.from(b.columns[c]));
}

describe("parseTapeCsv: valid input", () => {
  it("round-trips a generated tape exactly through tapeToCsv", () => {
    const t = generateTape({ rows: 2000, seed: 9, profile: "stressed" });
    const back = parseTapeCsv(tapeToCsv(t));
    expectSameTape(back, t);
    for (const c of NUMERIC_COLUMNS) expect(back.columns[c]).toHaveLength(2000);
  });

  it("finds columns by name, ignores extra columns, accepts BOM, CRLF, spaces, blank lines and quotes", () => {
    const text =
      "\uFEFFnote, total_eligible_usd ,cash_available_usd,dpd_90_plus_usd,dpd_60_90_usd,dpd_30_60_usd,dpd_7_30_usd,dpd_0_7_usd,total_receivable_usd,loan_id\r\n" +
      '"has, comma",100,3,0,0,10,0,90,100,L1\r\n' +
      "\r\n" +
      '"multi\nline ""quoted""", 200 , 5 ,0,0,0,0,200,200,"L 2"\r\n' +
      "x,1e2,0.5,0,0,0,0,100,100,L3\r\n";
    const t = parseTapeCsv(text);
    expect(t.rows).toBe(3);
    expect(t.loanIds).toEqual(["L1", "L 2", "L3"]);
    expect(Array.from(t.columns.total_eligible_usd)).toEqual([100, 200, 100]);
    expect(Array.from(t.columns.cash_available_usd)).toEqual([3, 5, 0.5]);
    expect(Array.from(t.columns.dpd_30_60_usd)).toEqual([10, 0, 0]);
    expect(Array.from(t.columns.total_receivable_usd)).toEqual([100, 200, 100]);
  });

  it("header only is a valid tape of 0 rows (KPIs 0 with a reason)", () => {
    for (const text of [H, H + "\n", H + "\r\n\r\n"]) {
      const t = parseTapeCsv(text);
      expect(t.rows).toBe(0);
      expect(t.loanIds).toEqual([]);
      expect(calculateKpisV2(t).PAR30).toEqual({ value: 0, status: "ok", reason: REASONS.empty });
    }
  });

  it("reads every accepted number format exactly as Number() does (fast and general paths)", () => {
    const cells = ["0", "007.50", "1.", ".5", "123456789012345", "1234567890123456789", "0.1", "0.30000000000000004", "99999.99",
      "1e3", "2.5E-2", "+4", " 12 ", "-0", "4503599627370497.5", "0.000000000000000000001"];
    let s = 7;
    for (let i = 0; i < 2000; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      cells.push((s / 100).toFixed(i % 4), String(s / 7));
    }
    const text = H + "\n" + cells.map((c, i) => `L${i},${c},1,0,0,0,0,${c},1`).join("\n") + "\n";
    const t = parseTapeCsv(text);
    expect(t.rows).toBe(cells.length);
    cells.forEach((c, i) => {
      expect(Object.is(t.columns.total_receivable_usd[i], Number(c)), c).toBe(true);
      expect(Object.is(t.columns.cash_available_usd[i], Number(c)), c).toBe(true);
    });
  });

  it("reads the last row without a final newline", () => {
    expect(parseTapeCsv(`${H}\nL1,1,1,0,0,0,0,0,1`).rows).toBe(1);
  });

  it("agrees with csv-parse + SQLite on the golden file (parser independent of the oracle's)", () => {
    const text = readFileSync(join(ROOT, "fixtures/loans-1k.csv"), "utf8");
    const t = parseTapeCsv(text);
    const o = oracleKpisFromCsv(text);
    expect(t.rows).toBe(o.rows);
    expect(calculateKpisV2(t).CollectionRate.value).toBe(o.CollectionRate);
  });
});

describe("parseTapeCsv: bad input -> TapeError with a one-line message naming line and column", () => {
  const ok = "L1,100,100,0,0,0,0,3,100";

  it.each([
    ["empty file", "", "EMPTY", "line 1: empty file (no header, no rows)"],
    ["whitespace only", " \n\r\n  ", "EMPTY", "line 1: empty file (no header, no rows)"],
    ["missing column", H.replace(",dpd_60_90_usd", "") + "\nL1,100,100,0,0,0,3,100", "MISSING_COLUMN", "line 1, column dpd_60_90_usd: missing from the header"],
    ["duplicate column", H + ",loan_id\n" + ok + ",L1", "DUPLICATE_COLUMN", "line 1, column loan_id: appears twice in the header"],
    ["non-numeric", `${H}\n${ok}\nL2,100,100,0,abc,0,0,3,100`, "NOT_NUMERIC", "line 3, column dpd_30_60_usd: 'abc' is not a number"],
    ["decimal comma", `${H}\nL2,"1,5",100,0,0,0,0,3,100`, "NOT_NUMERIC", "line 2, column total_receivable_usd: '1,5' is not a number"],
    ["hex", `${H}\nL2,0x10,100,0,0,0,0,3,100`, "NOT_NUMERIC", "line 2, column total_receivable_usd: '0x10' is not a number"],
    ["NaN", `${H}\nL2,100,NaN,0,0,0,0,3,100`, "NOT_NUMERIC", "line 2, column dpd_0_7_usd: 'NaN' is not a number"],
    ["infinite", `${H}\nL2,1e999,100,0,0,0,0,3,100`, "NOT_NUMERIC", "line 2, column total_receivable_usd: '1e999' is not a finite number"],
    ["empty cell", `${H}\n${ok}\nL2,100,100,0,0,,0,3,100`, "NULL_VALUE", "line 3, column dpd_60_90_usd: empty value (null) is not allowed"],
    ["null text", `${H}\nL2,100,100,0,0,0,NULL,3,100`, "NULL_VALUE", "line 2, column dpd_90_plus_usd: empty value (null) is not allowed"],
    ["empty loan_id", `${H}\n,100,100,0,0,0,0,3,100`, "NULL_VALUE", "line 2, column loan_id: empty value (null) is not allowed"],
    ["negative", `${H}\nL2,100,100,0,0,0,0,-3,100`, "NEGATIVE_AMOUNT", "line 2, column cash_available_usd: '-3' is negative (amounts must be >= 0)"],
    ["too few fields", `${H}\n${ok}\nL2,100,100`, "FIELD_COUNT", "line 3: expected 9 fields as in the header, found 3"],
    ["too many fields", `${H}\n${ok},7`, "FIELD_COUNT", "line 2: expected 9 fields as in the header, found 10"],
    ["unterminated quote", `${H}\n"L2,100,100,0,0,0,0,3,100\n`, "UNTERMINATED_QUOTE", "line 2: unterminated quoted field"],
  ])("%s", (_name, text, code, message) => {
    const e = tapeError(() => parseTapeCsv(text));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.message).not.toContain("\n");
  });

  it("counts physical lines across blank lines and multi-line quoted fields", () => {
    const text = `${H}\n\n"L\n1",100,100,0,0,0,0,3,100\n\nL2,100,100,0,0,0,0,x,100\n`;
    const e = tapeError(() => parseTapeCsv(text));
    expect(e).toMatchObject({ code: "NOT_NUMERIC", line: 6, column: "cash_available_usd" });
  });

  it.each([
    ["empty.csv", "EMPTY", undefined],
    ["missing-column.csv", "MISSING_COLUMN", "dpd_30_60_usd"],
    ["non-numeric.csv", "NOT_NUMERIC", "dpd_30_60_usd"],
    ["negative-amount.csv", "NEGATIVE_AMOUNT", "cash_available_usd"],
    ["null-cell.csv", "NULL_VALUE", "dpd_60_90_usd"],
  ])("fixtures/malformed/%s -> %s", (file, code, column) => {
    const e = tapeError(() => parseTapeCsv(readFileSync(join(ROOT, "fixtures/malformed", file), "utf8")));
    expect(e.code).toBe(code);
    expect(e.column).toBe(column);
  });
});

describe("tapeFromRows (JSON bodies) and rowsFromTape", () => {
  it("round-trips rowsFromTape -> tapeFromRows", () => {
    const t = generateTape({ rows: 500, seed: 4 });
    expectSameTape(tapeFromRows(rowsFromTape(t)), t);
  });

  it("accepts numeric strings, numeric loan ids and extra keys; [] is an empty tape", () => {
    const t = tapeFromRows([
      { loan_id: 7, total_receivable_usd: "100.5", dpd_0_7_usd: 100.5, dpd_7_30_usd: 0, dpd_30_60_usd: 0, dpd_60_90_usd: 0, dpd_90_plus_usd: 0, cash_available_usd: "3", total_eligible_usd: 100.5, extra: "x" },
    ]);
    expect(t.loanIds).toEqual(["7"]);
    expect(t.columns.total_receivable_usd[0]).toBe(100.5);
    expect(t.columns.cash_available_usd[0]).toBe(3);
    expect(tapeFromRows([]).rows).toBe(0);
  });

  const good = { loan_id: "L1", total_receivable_usd: 100, dpd_0_7_usd: 100, dpd_7_30_usd: 0, dpd_30_60_usd: 0, dpd_60_90_usd: 0, dpd_90_plus_usd: 0, cash_available_usd: 3, total_eligible_usd: 100 };
  const { dpd_7_30_usd: _drop, ...missing } = good;
  it.each([
    ["not an array", { rows: [] }, "NOT_ARRAY", "body: expected an array of loan rows"],
    ["not an object", [good, 5], "NOT_OBJECT", "row 2: expected an object with the tape's columns"],
    ["missing key", [missing], "MISSING_COLUMN", "row 1, column dpd_7_30_usd: missing"],
    ["null", [good, { ...good, dpd_90_plus_usd: null }], "NULL_VALUE", "row 2, column dpd_90_plus_usd: empty value (null) is not allowed"],
    ["empty string", [{ ...good, dpd_90_plus_usd: "" }], "NULL_VALUE", "row 1, column dpd_90_plus_usd: empty value (null) is not allowed"],
    ["non-numeric string", [{ ...good, total_eligible_usd: "abc" }], "NOT_NUMERIC", "row 1, column total_eligible_usd: 'abc' is not a number"],
    ["boolean", [{ ...good, total_eligible_usd: true }], "NOT_NUMERIC", "row 1, column total_eligible_usd: 'true' is not a number"],
    ["negative", [{ ...good, cash_available_usd: -0.01 }], "NEGATIVE_AMOUNT", "row 1, column cash_available_usd: -0.01 is negative (amounts must be >= 0)"],
    ["null loan_id", [{ ...good, loan_id: null }], "NULL_VALUE", "row 1, column loan_id: empty value (null) is not allowed"],
  ])("%s -> TapeError", (_name, body, code, message) => {
    const e = tapeError(() => tapeFromRows(body as unknown[]));
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });
});

describe("generator", () => {
  it("mulberry32 is deterministic and uniform-ish in [0, 1)", () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 100)).toEqual(Array.from({ length: 100 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it("is deterministic per seed and options", () => {
    expect(generateCsv({ rows: 300, seed: 5 })).toBe(generateCsv({ rows: 300, seed: 5 }));
    expect(generateCsv({ rows: 300, seed: 5 })).not.toBe(generateCsv({ rows: 300, seed: 6 }));
    expect(generateCsv({ rows: 300, seed: 5 })).not.toBe(generateCsv({ rows: 300, seed: 5, profile: "stressed" }));
    expect(generateCsv({ rows: 1000, seed: 1 })).toBe(readFileSync(join(ROOT, "fixtures/loans-1k.csv"), "utf8"));
  });

  it("produces consistent rows: buckets add up to the receivable, eligible = 0-30 days, cash <= eligible, cents", () => {
    const t = generateTape({ rows: 20_000, seed: 3, profile: "stressed" });
    const c = t.columns;
    const cents = (x: number) => Math.round(x * 100);
    expect(new Set(t.loanIds).size).toBe(t.rows);
    const bad: string[] = [];
    let delinquent = 0;
    for (let i = 0; i < t.rows; i++) {
      const buckets = [c.dpd_0_7_usd, c.dpd_7_30_usd, c.dpd_30_60_usd, c.dpd_60_90_usd, c.dpd_90_plus_usd].map((col) => cents(col[i]));
      if (buckets[0] !== cents(c.total_receivable_usd[i])) delinquent++;
      if (buckets.reduce((s, x) => s + x, 0) !== cents(c.total_receivable_usd[i])) bad.push(`${i}: buckets`);
      if (cents(c.total_eligible_usd[i]) !== buckets[0] + buckets[1]) bad.push(`${i}: eligible`);
      if (c.cash_available_usd[i] > c.total_eligible_usd[i]) bad.push(`${i}: cash`);
      for (const col of NUMERIC_COLUMNS) if (Math.abs(c[col][i] * 100 - cents(c[col][i])) > 1e-6) bad.push(`${i}: ${col} not in cents`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(delinquent).toBeGreaterThan(1000); // the checks above covered delinquent rows too
  });

  it("is realistic: skewed sizes, most loans fully current, every bucket used on a large tape", () => {
    const t = generateTape({ rows: 10_000, seed: 8 });
    const rec = Array.from(t.columns.total_receivable_usd).sort((a, b) => a - b);
    const mean = rec.reduce((s, x) => s + x, 0) / rec.length;
    expect(mean).toBeGreaterThan(rec[rec.length >> 1] * 1.3); // right-skewed
    expect(rec[rec.length - 1]).toBeGreaterThan(rec[rec.length >> 1] * 10);
    let current = 0;
    for (let i = 0; i < t.rows; i++) if (t.columns.dpd_0_7_usd[i] === t.columns.total_receivable_usd[i]) current++;
    expect(current / t.rows).toBeGreaterThan(0.85);
    expect(current / t.rows).toBeLessThan(0.99);
    for (const col of ["dpd_7_30_usd", "dpd_30_60_usd", "dpd_60_90_usd", "dpd_90_plus_usd"] as const)
      expect(t.columns[col].some((x) => x > 0), col).toBe(true);
  });

  it("healthy tapes land in the healthy band at every size and seed", () => {
    for (const rows of [1, 2, 10, 100, 1000, 10_000, 100_000])
      for (let seed = 1; seed <= (rows >= 100_000 ? 2 : 25); seed++) {
        const r = calculateKpisV2(generateTape({ rows, seed, profile: "healthy" }));
        const label = `rows ${rows} seed ${seed}: ${JSON.stringify(r)}`;
        expect(r.PAR30.value, label).toBeLessThan(5);
        expect(r.PAR90.value, label).toBeLessThan(3);
        expect(r.CollectionRate.value, label).toBeGreaterThan(1.5);
        for (const k of ["PAR30", "PAR90", "CollectionRate", "PortfolioHealth"] as const) expect(r[k].status, label).toBe("ok");
      }
  });

  it("stressed tapes of realistic size are outside the healthy band", () => {
    for (const seed of [1, 2, 3]) {
      const r = calculateKpisV2(generateTape({ rows: 10_000, seed, profile: "stressed" }));
      expect(r.PAR30.status).toBe("critical");
      expect(r.CollectionRate.status).not.toBe("ok");
    }
  });

  it("writes the tape header and one line per row", () => {
    const lines = generateCsv({ rows: 3, seed: 1 }).trimEnd().split("\n");
    expect(lines[0]).toBe(TAPE_COLUMNS.join(","));
    expect(lines).toHaveLength(4);
    expect(() => generateTape({ rows: -1, seed: 1 })).toThrow(RangeError);
  });
});
