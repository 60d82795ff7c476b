import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { describe, expect, it } from "vitest";
import { KPI_NAMES, KPI_THRESHOLDS, REASONS, round2, statusOf } from "../../pipeline/kpi/common.ts";
import type { AuditEvent, KpiResult, LoanRow, LoanTape } from "../../pipeline/kpi/types.ts";
import { calculateKpisV1 } from "../../pipeline/kpi/v1-engine.ts";
import { AUDIT_EVENTS_PER_CALCULATION, DEFAULT_ACTOR, calculateKpisV2 } from "../../pipeline/kpi/v2-engine.ts";
import { generateTape } from "../../pipeline/tape/generate.ts";
import { parseTapeCsv, rowsFromTape, tapeFromRows } from "../../pipeline/tape/parse.ts";
import { oracleKpis, type OracleKpis } from "./oracle.ts";

const ROOT = join(import.meta.dirname, "../..");

function expectRelClose(actual: number, expected: number, rel = 1e-9): void {
  if (expected === 0) expect(actual).toBe(0);
  else expect(Math.abs(actual - expected) / Math.abs(expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel);
}

function expectMatchesOracle(r: KpiResult, o: OracleKpis): void {
  expectRelClose(r.PAR30.value, o.PAR30);
  expectRelClose(r.PAR90.value, o.PAR90);
  expect(r.CollectionRate.value).toBe(o.CollectionRate);
  expect(r.PortfolioHealth.value).toBe(o.PortfolioHealth);
  // 0-by-definition values carry a reason exactly when the oracle flags them
  expect(r.PAR30.reason !== undefined).toBe(o.par_undefined === 1);
  expect(r.PAR90.reason !== undefined).toBe(o.par_undefined === 1);
  expect(r.CollectionRate.reason !== undefined).toBe(o.cr_undefined === 1);
  expect(r.PortfolioHealth.reason !== undefined).toBe(o.par_undefined === 1 || o.cr_undefined === 1);
  for (const k of KPI_NAMES) expect(r[k].status).toBe(statusOf(k, r[k].value));
}

function row(id: string, v: Partial<Omit<LoanRow, "loan_id">>): LoanRow {
  return {
    loan_id: id,
    total_receivable_usd: 0,
    dpd_0_7_usd: 0,
    dpd_7_30_usd: 0,
    dpd_30_60_usd: 0,
    dpd_60_90_usd: 0,
    dpd_90_plus_usd: 0,
    cash_available_usd: 0,
    total_eligible_usd: 0,
    ...v,
  };
}

describe("V2 engine vs the SQLite oracle", () => {
  const cases: [number, number, "healthy" | "stressed"][] = [];
  for (const rows of [0, 1, 10, 1000, 50_000])
    for (const seed of rows >= 50_000 ? [7] : [1, 2, 3]) for (const profile of ["healthy", "stressed"] as const) cases.push([rows, seed, profile]);

  it.each(cases)("%i rows, seed %i, %s", (rows, seed, profile) => {
    const tape = generateTape({ rows, seed, profile });
    const o = oracleKpis(tape);
    expect(o.rows).toBe(rows);
    const r = calculateKpisV2(tape);
    expectMatchesOracle(r, o);
    if (rows >= 1000) expect(r.PAR30.value).toBeGreaterThan(0); // the comparison is not vacuous
  });

  it("agrees on hand-made tapes with known answers", () => {
    const rows = [
      row("A", { total_receivable_usd: 1000, dpd_0_7_usd: 800, dpd_30_60_usd: 100, dpd_90_plus_usd: 100, cash_available_usd: 30, total_eligible_usd: 800 }),
      row("B", { total_receivable_usd: 3000, dpd_0_7_usd: 2900, dpd_60_90_usd: 100, cash_available_usd: 50, total_eligible_usd: 2900 }),
    ];
    // PAR30 = 300/4000 = 7.5 % ; PAR90 = 100/4000 = 2.5 % ; CR = 80/3700 = 2.162.. -> 2.16
    // PortfolioHealth = (10 - 0.75) x 2.16 / 10 = 1.998 -> 2
    const r = calculateKpisV2(tapeFromRows(rows));
    expect(r.PAR30).toEqual({ value: 7.5, status: "warning" });
    expect(r.PAR90).toEqual({ value: 2.5, status: "ok" });
    expect(r.CollectionRate).toEqual({ value: 2.16, status: "ok" });
    expect(r.PortfolioHealth).toEqual({ value: 2, status: "ok" });
    expectMatchesOracle(r, oracleKpis(rows));
  });

  it("clamps PortfolioHealth to 0..10 like the oracle", () => {
    // cash > eligible: CollectionRate 250 -> health 10 x 25 = 250 -> clamped to 10
    const high = [row("A", { total_receivable_usd: 100, dpd_0_7_usd: 100, cash_available_usd: 250, total_eligible_usd: 100 })];
    // buckets above the receivable (not rejected by the parser): PAR30 200 -> max(0, 10 - 20) = 0
    const low = [row("A", { total_receivable_usd: 100, dpd_90_plus_usd: 200, cash_available_usd: 3, total_eligible_usd: 100 })];
    const rh = calculateKpisV2(tapeFromRows(high));
    const rl = calculateKpisV2(tapeFromRows(low));
    expect(rh.PortfolioHealth.value).toBe(10);
    expect(rl.PortfolioHealth).toEqual({ value: 0, status: "critical" });
    expectMatchesOracle(rh, oracleKpis(high));
    expectMatchesOracle(rl, oracleKpis(low));
  });
});

describe("V1 legacy engine", () => {
  it.each([0, 1, 10, 1000, 20_000])("equals V2 exactly on %i generated rows (both profiles)", (rows) => {
    for (const profile of ["healthy", "stressed"] as const) {
      const tape = generateTape({ rows, seed: 11, profile });
      const v2 = calculateKpisV2(tape);
      expect(calculateKpisV1(rowsFromTape(tape))).toEqual(v2);
    }
  });

  it("equals V2 on the zero-denominator edge cases", () => {
    const zeroRec = [row("A", { cash_available_usd: 5, total_eligible_usd: 100 })];
    const zeroElig = [row("A", { total_receivable_usd: 100, dpd_0_7_usd: 100 })];
    for (const rows of [[], zeroRec, zeroElig]) expect(calculateKpisV1(rows)).toEqual(calculateKpisV2(tapeFromRows(rows)));
  });
});

describe("golden fixture fixtures/loans-1k.csv", () => {
  const expected = JSON.parse(readFileSync(join(ROOT, "fixtures/loans-1k.expected.json"), "utf8"));
  const tape = parseTapeCsv(readFileSync(join(ROOT, "fixtures/loans-1k.csv"), "utf8"));

  it("was computed by the oracle on 1000 healthy rows", () => {
    expect(expected).toMatchObject({ rows: 1000, seed: 1, computed_by: "sqlite-oracle" });
    expect(tape.rows).toBe(1000);
  });

  it("V2 computes the expected values from the CSV", () => {
    const r = calculateKpisV2(tape);
    expectRelClose(r.PAR30.value, expected.kpis.PAR30);
    expectRelClose(r.PAR90.value, expected.kpis.PAR90);
    expect(r.CollectionRate.value).toBe(expected.kpis.CollectionRate);
    expect(r.PortfolioHealth.value).toBe(expected.kpis.PortfolioHealth);
    for (const k of KPI_NAMES) expect(r[k].status).toBe("ok");
  });

  it("V1 computes the same values", () => {
    expect(calculateKpisV1(rowsFromTape(tape))).toEqual(calculateKpisV2(tape));
  });
});

describe("V2 audit events", () => {
  const tape = generateTape({ rows: 100, seed: 5, profile: "stressed" });

  function capture(opts: { requestId?: string; runId?: string; actor?: string }) {
    const calls: AuditEvent[][] = [];
    const result = calculateKpisV2(tape, { ...opts, audit: (ev) => calls.push(ev) });
    return { calls, result };
  }

  it("emits exactly 6 events in order, in one call, carrying the request id", () => {
    const before = Date.now();
    const { calls, result } = capture({ requestId: "req-123" });
    expect(calls).toHaveLength(1);
    const ev = calls[0];
    expect(ev).toHaveLength(AUDIT_EVENTS_PER_CALCULATION);
    expect(ev.map((e) => `${e.event}/${e.status}`)).toEqual([
      "calculate_all/started",
      "kpi_calculated/success",
      "kpi_calculated/success",
      "kpi_calculated/success",
      "composite_kpi_calculated/success",
      "calculate_all/completed",
    ]);
    expect(ev.slice(1, 5).map((e) => e.details.kpi)).toEqual(["PAR30", "PAR90", "CollectionRate", "PortfolioHealth"]);
    expect(ev.slice(1, 5).map((e) => e.details.value)).toEqual([
      result.PAR30.value,
      result.PAR90.value,
      result.CollectionRate.value,
      result.PortfolioHealth.value,
    ]);
    for (const e of ev) {
      expect(e.request_id).toBe("req-123");
      expect(e).not.toHaveProperty("run_id");
      expect(e.actor).toBe(DEFAULT_ACTOR);
      expect(e.action).toMatch(/^calculate_/);
      expect(new Date(e.timestamp).toISOString()).toBe(e.timestamp);
      expect(Date.parse(e.timestamp)).toBeGreaterThanOrEqual(before - 1);
    }
    expect(ev[5].details).toMatchObject({ rows: 100, kpis: { PAR30: result.PAR30.value } });
    // timestamps never go backwards
    const ts = ev.map((e) => Date.parse(e.timestamp));
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
  });

  it("carries the run id and the given actor", () => {
    const { calls } = capture({ runId: "run_20260101T000000000Z_1", actor: "pipeline-service" });
    for (const e of calls[0]) {
      expect(e.run_id).toBe("run_20260101T000000000Z_1");
      expect(e).not.toHaveProperty("request_id");
      expect(e.actor).toBe("pipeline-service");
    }
  });

  it("records the reason of a 0-by-definition value", () => {
    const calls: AuditEvent[][] = [];
    calculateKpisV2(tapeFromRows([]), { audit: (e) => calls.push(e) });
    expect(calls[0]).toHaveLength(6);
    expect(calls[0][1].details).toMatchObject({ kpi: "PAR30", value: 0, reason: REASONS.empty });
  });

  it("is silent without a sink, and a failing sink fails the calculation", () => {
    expect(() => calculateKpisV2(tape)).not.toThrow();
    expect(() =>
      calculateKpisV2(tape, {
        audit: () => {
          throw new Error("audit store unreachable");
        },
      }),
    ).toThrow("audit store unreachable");
  });
});

describe("edge cases (documented behaviour)", () => {
  it("empty input: every KPI 0 with a reason, status by thresholds", () => {
    const r = calculateKpisV2(tapeFromRows([]));
    expect(r).toEqual({
      PAR30: { value: 0, status: "ok", reason: REASONS.empty },
      PAR90: { value: 0, status: "ok", reason: REASONS.empty },
      CollectionRate: { value: 0, status: "critical", reason: REASONS.empty },
      PortfolioHealth: { value: 0, status: "critical", reason: REASONS.empty },
    });
    expectMatchesOracle(r, oracleKpis([]));
  });

  it("header-only CSV behaves as empty input", () => {
    const r = calculateKpisV2(parseTapeCsv(readFileSync(join(ROOT, "fixtures/loans-1k.csv"), "utf8").split("\n")[0] + "\n"));
    expect(r.PAR30.reason).toBe(REASONS.empty);
    expect(r.CollectionRate.value).toBe(0);
  });

  it("zero receivable: PAR30/PAR90 0 with reason, CollectionRate computed, PortfolioHealth 0 with reason", () => {
    const rows = [row("A", { cash_available_usd: 5, total_eligible_usd: 100 }), row("B", { cash_available_usd: 0, total_eligible_usd: 100 })];
    const r = calculateKpisV2(tapeFromRows(rows));
    expect(r.PAR30).toEqual({ value: 0, status: "ok", reason: REASONS.zeroReceivable });
    expect(r.PAR90).toEqual({ value: 0, status: "ok", reason: REASONS.zeroReceivable });
    expect(r.CollectionRate).toEqual({ value: 2.5, status: "ok" });
    expect(r.PortfolioHealth).toEqual({ value: 0, status: "critical", reason: REASONS.healthUndefined(REASONS.zeroReceivable) });
    expectMatchesOracle(r, oracleKpis(rows));
  });

  it("zero eligible: CollectionRate and PortfolioHealth 0 with reason, PAR computed", () => {
    const rows = [row("A", { total_receivable_usd: 100, dpd_90_plus_usd: 100 })];
    const r = calculateKpisV2(tapeFromRows(rows));
    expect(r.PAR30).toEqual({ value: 100, status: "critical" });
    expect(r.PAR90).toEqual({ value: 100, status: "critical" });
    expect(r.CollectionRate).toEqual({ value: 0, status: "critical", reason: REASONS.zeroEligible });
    expect(r.PortfolioHealth.reason).toBe(REASONS.healthUndefined(REASONS.zeroEligible));
    expectMatchesOracle(r, oracleKpis(rows));
  });

  it("nulls, negative and non-numeric amounts never reach the engine: the tape is rejected", () => {
    const ok = row("A", { total_receivable_usd: 100, dpd_0_7_usd: 100, cash_available_usd: 3, total_eligible_usd: 100 });
    expect(() => tapeFromRows([{ ...ok, dpd_30_60_usd: null }])).toThrow(expect.objectContaining({ code: "NULL_VALUE" }));
    expect(() => tapeFromRows([{ ...ok, cash_available_usd: -1 }])).toThrow(expect.objectContaining({ code: "NEGATIVE_AMOUNT" }));
    expect(() => tapeFromRows([{ ...ok, total_eligible_usd: "abc" }])).toThrow(expect.objectContaining({ code: "NOT_NUMERIC" }));
  });
});

describe("thresholds and rounding", () => {
  it("classifies on the boundaries: higher-is-worse at >=, lower-is-worse below", () => {
    expect([4.999, 5, 7.999, 8].map((v) => statusOf("PAR30", v))).toEqual(["ok", "warning", "warning", "critical"]);
    expect([2.99, 3, 4.99, 5].map((v) => statusOf("PAR90", v))).toEqual(["ok", "warning", "warning", "critical"]);
    expect([1.5, 1.49, 1.0, 0.99].map((v) => statusOf("CollectionRate", v))).toEqual(["ok", "warning", "warning", "critical"]);
    expect([1.43, 1.42, 0.92, 0.91].map((v) => statusOf("PortfolioHealth", v))).toEqual(["ok", "warning", "warning", "critical"]);
  });

  it("PortfolioHealth thresholds are the score at the component limits", () => {
    const health = (par30: number, cr: number) => ((10 - par30 / 10) * cr) / 10;
    expect(KPI_THRESHOLDS.PortfolioHealth.warning).toBeCloseTo(health(KPI_THRESHOLDS.PAR30.warning, KPI_THRESHOLDS.CollectionRate.warning), 12);
    expect(KPI_THRESHOLDS.PortfolioHealth.critical).toBeCloseTo(health(KPI_THRESHOLDS.PAR30.critical, KPI_THRESHOLDS.CollectionRate.critical), 12);
  });

  it("round2 agrees with SQLite's ROUND(x, 2) (the oracle's rounding)", () => {
    const db = new Database(":memory:");
    const q = db.prepare("SELECT ROUND(?, 2) AS r");
    const values = [1.005, 2.125, 0.285, 1.425, 0.925, 3.0749999999999997, 0, 10];
    let s = 12345;
    for (let i = 0; i < 5000; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      values.push((s / 2147483648) * 12, Math.round((s / 2147483648) * 100000) / 1000);
    }
    for (const v of values) expect(round2(v), String(v)).toBe((q.get(v) as { r: number }).r);
    expect(round2(1.005)).toBe(1);
    expect(round2(2.125)).toBe(2.13);
    db.close();
  });
});

describe("V2 input is the columnar tape", () => {
  it("uses only the first `rows` entries of each column", () => {
    const t = generateTape({ rows: 10, seed: 3 });
    const padded: LoanTape = {
      rows: 10,
      loanIds: t.loanIds,
      columns: Object.fromEntries(
        Object.entries(t.columns).map(([k, a]) => {
          const b = new Float64Array(20).fill(1e9);
          b.set(a);
          return [k, b];
        }),
      ) as LoanTape["columns"],
    };
    expect(calculateKpisV2(padded)).toEqual(calculateKpisV2(t));
  });
});
