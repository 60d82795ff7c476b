import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pathToFileURL } from "node:url";
import Database from "libsql";
import { metrics, runCli, startPipeline, waitFor, writeTape, alive, type StartedPipeline } from "../support/pipeline-harness.ts";

const LOG_LINE = /^(?<ts>\S+) \[(?<level>[A-Z]+)\] (?<component>[\w.-]+): /;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-svc-"));
const readLog = (dir: string) => fs.readFileSync(path.join(dir, "logs", "pipeline.log"), "utf8").split("\n").filter(Boolean);
const auditCount = (dir: string, requestId: string) => {
  const db = new Database(`${pathToFileURL(path.join(dir, "audit", "audit.db")).href}?mode=ro`);
  try {
    return db.prepare("SELECT event, status, request_id FROM audit_events WHERE request_id = ? ORDER BY id").all(requestId) as { event: string; status: string }[];
  } finally {
    db.close();
  }
};

describe("pipeline service (V2)", () => {
  let pl: StartedPipeline;
  let csv: string;
  beforeAll(async () => {
    const input = await writeTape(path.join(tmp, "in-500.csv"), 500, 1);
    csv = fs.readFileSync(input, "utf8");
    pl = await startPipeline({ version: "v2", interval: 0.5, input });
  });
  afterAll(async () => {
    await pl?.stop();
  });

  it("start returned after the first run: /health, pidfile and outputs agree", async () => {
    const h = await pl.health();
    expect(h).toMatchObject({ status: "ok", version: "v2", pid: pl.pid, faults: [] });
    expect(h.last_run.result).toBe("success");
    expect(Number(fs.readFileSync(path.join(pl.dir, "pipeline.pid"), "utf8"))).toBe(pl.pid);
    const k = JSON.parse(fs.readFileSync(path.join(pl.dir, "outputs", "kpis.json"), "utf8"));
    expect(k).toMatchObject({ version: "v2", rows: 500 });
    const run = path.join(pl.dir, "logs", "runs", h.last_run.run_id);
    const summary = JSON.parse(fs.readFileSync(path.join(run, "summary.json"), "utf8"));
    expect(summary.phases.map((p: { name: string }) => p.name)).toEqual(["ingestion", "transformation", "calculation", "output"]);
    expect(JSON.parse(fs.readFileSync(path.join(run, "manifest.json"), "utf8")).outputs).toHaveLength(2);
  });

  it("logs leveled lines in the contract's format, one per phase", () => {
    const lines = readLog(pl.dir);
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) expect(l).toMatch(LOG_LINE);
    expect(lines.some((l) => / \[INFO\] run: run finished /.test(l))).toBe(true);
    expect(lines.some((l) => /phase=calculation/.test(l))).toBe(true);
  });

  it("runs every interval (runs_total grows)", async () => {
    const before = (await metrics(pl.url)).get('loan_pipeline_runs_total{result="success"}')!;
    await waitFor(async () => (await metrics(pl.url)).get('loan_pipeline_runs_total{result="success"}')! >= before + 2, 5000, "2 more runs");
  });

  it("POST /kpis (CSV): KPIs, Server-Timing, X-Request-Id and 6 audit events with that id", async () => {
    const id = `svc-test-${Date.now()}`;
    const res = await fetch(`${pl.url}/kpis`, { method: "POST", headers: { "content-type": "text/csv", "x-request-id": id }, body: csv });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe(id);
    expect(res.headers.get("server-timing")).toMatch(/^compute;dur=\d+(\.\d+)?$/);
    const body = await res.json();
    expect(body).toMatchObject({ request_id: id, version: "v2", rows: 500 });
    expect(body.kpis.PAR30).toMatchObject({ value: expect.any(Number), status: expect.stringMatching(/ok|warning|critical/) });
    const events = auditCount(pl.dir, id);
    expect(events.map((e) => `${e.event}/${e.status}`)).toEqual([
      "calculate_all/started",
      "kpi_calculated/success",
      "kpi_calculated/success",
      "kpi_calculated/success",
      "composite_kpi_calculated/success",
      "calculate_all/completed",
    ]);
  });

  it("POST /kpis (JSON array and {rows}) gives the CSV's answer", async () => {
    const csvRes = await (await fetch(`${pl.url}/kpis`, { method: "POST", headers: { "content-type": "text/csv" }, body: csv })).json();
    const lines = csv.trim().split("\n");
    const head = lines[0]!.split(",");
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(",").map((v, i) => [head[i], i === 0 ? v : Number(v)])));
    for (const body of [rows, { rows }]) {
      const r = await fetch(`${pl.url}/kpis`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      expect(r.status).toBe(200);
      expect((await r.json()).kpis).toEqual(csvRes.kpis);
    }
  });

  it("bad POST bodies get 400 with an error, counted under code 400", async () => {
    const before = (await metrics(pl.url)).get('loan_pipeline_kpi_requests_total{code="400"}')!;
    const bodies: [string, string][] = [
      ["text/csv", ""],
      ["text/csv", "loan_id,total_receivable_usd\nL1,5\n"],
      ["text/csv", lines1()],
      ["application/json", "{broken"],
      ["application/json", '{"foo":1}'],
    ];
    for (const [type, body] of bodies) {
      const r = await fetch(`${pl.url}/kpis`, { method: "POST", headers: { "content-type": type }, body });
      expect(r.status, body).toBe(400);
      expect((await r.json()).error).toEqual(expect.any(String));
    }
    expect((await metrics(pl.url)).get('loan_pipeline_kpi_requests_total{code="400"}')).toBe(before + bodies.length);
    function lines1() {
      return csv.split("\n")[0] + "\nL1,abc,1,1,1,1,1,1,1\n";
    }
  });

  it("/metrics: the contract's series and prom-client default metrics", async () => {
    const m = await metrics(pl.url);
    for (const k of ['loan_pipeline_kpi_requests_total{code="200"}', "loan_pipeline_kpi_latency_seconds_count", "loan_pipeline_audit_events_total", "process_resident_memory_bytes", "process_start_time_seconds", "process_cpu_seconds_total"])
      expect(m.has(k), k).toBe(true);
    expect(m.get("loan_pipeline_audit_events_total")!).toBeGreaterThanOrEqual(6);
  });

  it("switching config/active.json to v1 shows in /health within 1 s; V1 has no metrics and no audit", async () => {
    const active = path.join(pl.dir, "config", "active.json");
    fs.writeFileSync(active, JSON.stringify({ version: "v1", activated_at: new Date().toISOString() }));
    const t0 = Date.now();
    await waitFor(async () => (await pl.health()).version === "v1", 3000, "v1");
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await fetch(`${pl.url}/metrics`)).status).toBe(404);
    const id = `svc-v1-${Date.now()}`;
    const r = await fetch(`${pl.url}/kpis`, { method: "POST", headers: { "content-type": "text/csv", "x-request-id": id }, body: csv });
    expect((await r.json()).version).toBe("v1");
    expect(auditCount(pl.dir, id)).toHaveLength(0);
    fs.writeFileSync(active, JSON.stringify({ version: "v2", activated_at: new Date().toISOString() }));
    await waitFor(async () => (await pl.health()).version === "v2", 3000, "v2");
  });
});

describe("bad input and usage", () => {
  it("a malformed input tape fails the run with a clear ERROR line; the service keeps running and recovers", async () => {
    const input = path.join(tmp, "bad.csv");
    fs.writeFileSync(input, "loan_id,total_receivable_usd\nL1,100\n");
    const pl = await startPipeline({ version: "v2", interval: 0.3, input, allowFaults: false });
    try {
      const h = await pl.health();
      expect(h.status).toBe("degraded");
      expect(h.last_run.result).toBe("failure");
      expect(h.last_run.error).toMatch(/ingestion: malformed input tape .*bad\.csv/);
      const err = readLog(pl.dir).find((l) => / \[ERROR\] run: run failed /.test(l));
      expect(err).toMatch(/malformed input tape/);
      expect((await metrics(pl.url)).get('loan_pipeline_runs_total{result="failure"}')!).toBeGreaterThanOrEqual(1);
      // non-numeric value, then empty file: still failing, still alive
      fs.writeFileSync(input, "loan_id,total_receivable_usd,dpd_0_7_usd,dpd_7_30_usd,dpd_30_60_usd,dpd_60_90_usd,dpd_90_plus_usd,cash_available_usd,total_eligible_usd\nL1,abc,1,0,0,0,0,1,1\n");
      await waitFor(async () => /total_receivable_usd/.test((await pl.health()).last_run.error ?? ""), 5000, "non-numeric error");
      fs.writeFileSync(input, "");
      await waitFor(async () => /empty/i.test((await pl.health()).last_run.error ?? ""), 5000, "empty error");
      expect(alive(pl.pid)).toBe(true);
      await writeTape(input, 50);
      await waitFor(async () => (await pl.health()).status === "ok", 5000, "recovery");
      // faults.json is ignored without --allow-faults, and `fault` refuses
      fs.writeFileSync(path.join(pl.dir, "faults.json"), JSON.stringify({ allowed: true, faults: ["latency:400"] }));
      const r = await pl.cli(["fault", "errors:50"]);
      expect(r.exitCode).toBe(1);
      const t0 = Date.now();
      await fetch(`${pl.url}/kpis`, { method: "POST", headers: { "content-type": "text/csv" }, body: fs.readFileSync(input, "utf8") });
      expect(Date.now() - t0).toBeLessThan(400);
      expect((await pl.health()).faults).toEqual([]);
    } finally {
      await pl.stop();
    }
  });

  it("bad command-line arguments: one-line usage error, exit 2", async () => {
    const cases = [["frobnicate"], ["start", "--bogus"], ["start", "--interval", "soon"], ["status", "--port", "99999"], ["start", "--fault", "gremlins:5"]];
    const results = [];
    for (let i = 0; i < cases.length; i += 2) results.push(...(await Promise.all(cases.slice(i, i + 2).map((c) => runCli(c, { timeout: 20_000 })))));
    for (const [i, r] of results.entries()) {
      expect(r.exitCode, cases[i]!.join(" ")).toBe(2);
      expect(String(r.stderr).split("\n")[0]).toMatch(/^pipeline: /);
    }
  });

  it("stop and status when nothing runs: stop exits 0, status exits 1", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "empty-"));
    expect((await runCli(["stop", "--dir", dir, "--port", "1"])).exitCode).toBe(0);
    expect((await runCli(["status", "--dir", dir, "--port", "1"])).exitCode).toBe(1);
  });
});
