import { describe, expect, it } from "vitest";
import { countAuditEvents } from "../audit/store.ts";
import { generateCsv } from "../tape/generate.ts";
import { parseTapeCsv, rowsFromTape } from "../tape/parse.ts";
import { BASE, health, P, postKpis } from "./env.ts";

const CSV = generateCsv({ rows: 300, seed: 5 });

describe("HTTP API", () => {
  it("POST /kpis (CSV) answers 200 with the 4 KPIs and the active version", async () => {
    const r = await postKpis(CSV);
    expect(r.status).toBe(200);
    expect(r.body.rows).toBe(300);
    expect(r.body.version).toBe((await health()).version);
    for (const k of ["PAR30", "PAR90", "CollectionRate", "PortfolioHealth"]) expect((r.body.kpis as Record<string, { value: number }>)[k]!.value).toEqual(expect.any(Number));
  });
  it("POST /kpis (JSON rows) gives the same KPIs as the CSV", async () => {
    const a = await postKpis(CSV);
    const b = await postKpis(JSON.stringify({ rows: rowsFromTape(parseTapeCsv(CSV)) }), "application/json");
    expect(b.status).toBe(200);
    expect(b.body.kpis).toEqual(a.body.kpis);
  });
  it("Server-Timing carries the compute time", async () => {
    const r = await postKpis(CSV);
    const m = /compute;dur=([\d.]+)/.exec(r.headers.get("server-timing") ?? "");
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(0);
  });
  it("X-Request-Id is echoed (and generated when absent)", async () => {
    const id = `pipeline-test-${Date.now()}`;
    const r = await postKpis(CSV, "text/csv", { "x-request-id": id });
    expect(r.headers.get("x-request-id")).toBe(id);
    expect(r.body.request_id).toBe(id);
    expect((await postKpis(CSV)).headers.get("x-request-id")).toMatch(/\S{8,}/);
  });
  it("a malformed body is rejected with 400 and an error message", async () => {
    const r = await postKpis("loan_id,foo\nx,1\n");
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual(expect.any(String));
    expect((await postKpis("{nope", "application/json")).status).toBe(400);
  });
  it("V2: one calculation writes exactly 6 audit events carrying the request id (V1: none)", async () => {
    const id = `pipeline-test-audit-${Date.now()}`;
    const r = await postKpis(CSV, "text/csv", { "x-request-id": id });
    expect(r.status).toBe(200);
    expect(countAuditEvents(P.auditDb, { request_id: id })).toBe(r.body.version === "v2" ? 6 : 0);
  });
  it("V2 exposes the loan_pipeline_* metrics; V1 answers 404", async () => {
    const v = (await health()).version;
    const res = await fetch(`${BASE}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (v === "v1") return expect(res.status).toBe(404);
    expect(res.status).toBe(200);
    for (const m of ["loan_pipeline_kpi_requests_total", "loan_pipeline_runs_total", "loan_pipeline_kpi_latency_seconds", "loan_pipeline_audit_events_total", "process_resident_memory_bytes"])
      expect(text, m).toContain(m);
  });
});
