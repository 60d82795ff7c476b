import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "csv-parse/sync";
import { PROCESSED_COLUMNS } from "../service/run.ts";
import { referenceKpis } from "../scripts/validation.ts";
import { P, service } from "./env.ts";

const kpis = () => JSON.parse(fs.readFileSync(P.kpis, "utf8"));
const processed = () => parse(fs.readFileSync(P.processed), { relax_column_count: true }) as string[][];

describe("outputs", () => {
  it("outputs/kpis.json has the contract's fields with numeric KPIs", () => {
    const k = kpis();
    expect(k).toMatchObject({ run_id: expect.any(String), version: expect.stringMatching(/^v[12]$/), rows: expect.any(Number) });
    for (const n of ["PAR30", "PAR90", "CollectionRate", "PortfolioHealth"]) expect(typeof k.kpis[n], n).toBe("number");
  });
  it("KPI values are within their ranges (PAR 0..100, PortfolioHealth 0..10)", () => {
    const { kpis: v } = kpis();
    expect(v.PAR30).toBeGreaterThanOrEqual(0);
    expect(v.PAR30).toBeLessThanOrEqual(100);
    expect(v.PAR90).toBeGreaterThanOrEqual(0);
    expect(v.PAR90).toBeLessThanOrEqual(v.PAR30 + 1e-9);
    expect(v.CollectionRate).toBeGreaterThanOrEqual(0);
    expect(v.PortfolioHealth).toBeGreaterThanOrEqual(0);
    expect(v.PortfolioHealth).toBeLessThanOrEqual(10);
  });
  it("kpis.json equals an independent recomputation over the input tape", () => {
    const input = service().input ?? P.defaultInput;
    const ref = referenceKpis(fs.readFileSync(input, "utf8"));
    const { kpis: v } = kpis();
    expect(v.PAR30).toBeCloseTo(ref.PAR30!, 9);
    expect(v.PAR90).toBeCloseTo(ref.PAR90!, 9);
    expect(v.CollectionRate).toBeCloseTo(ref.CollectionRate!, 2);
    expect(v.PortfolioHealth).toBeCloseTo(ref.PortfolioHealth!, 2);
  });
  it("loans_processed.csv has the 9 tape columns plus par30_usd", () => {
    expect(processed()[0]).toEqual([...PROCESSED_COLUMNS]);
  });
  it("loans_processed.csv has no empty or non-numeric fields", () => {
    const bad = processed()
      .slice(1)
      .filter((r) => r.length !== PROCESSED_COLUMNS.length || r[0] === "" || r.slice(1).some((x) => x.trim() === "" || !Number.isFinite(Number(x))));
    expect(bad.length).toBe(0);
  });
  it("loans_processed.csv has no duplicate loan_id", () => {
    const ids = processed().slice(1).map((r) => r[0]);
    expect(ids.length - new Set(ids).size).toBe(0);
  });
  it("loans_processed.csv has one row per row of kpis.json", () => {
    expect(processed().length - 1).toBe(kpis().rows);
  });
  it("outputs are fresh (rewritten within 3 intervals, at least 60 s)", () => {
    const interval = service().interval_s ?? 30;
    const age = Date.now() - Date.parse(kpis().generated_at);
    expect(age).toBeLessThan(Math.max(60_000, 3 * interval * 1000 + 5000));
  });
});
