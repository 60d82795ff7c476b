/**
 * Every fault, verified the way a monitor sees it: RSS under pidusage, CPU share, end-to-end
 * latency, exact counter deltas, exact null/duplicate counts in the outputs, audit rows, runs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pidusage from "pidusage";
import { parse } from "csv-parse/sync";
import { pathToFileURL } from "node:url";
import Database from "libsql";
import { alive, metrics, startPipeline, waitFor, writeTape, type StartedPipeline } from "../support/pipeline-harness.ts";

const ROWS = 1000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-faults-"));
let pl: StartedPipeline;
let csv: string;

const post = (headers: Record<string, string> = {}) =>
  fetch(`${pl.url}/kpis`, { method: "POST", headers: { "content-type": "text/csv", ...headers }, body: csv, signal: AbortSignal.timeout(10_000) });
const counter = async (k: string) => (await metrics(pl.url)).get(k) ?? 0;
const auditRows = () => {
  const db = new Database(`${pathToFileURL(path.join(pl.dir, "audit", "audit.db")).href}?mode=ro`);
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM audit_events").get() as { n: number }).n;
  } finally {
    db.close();
  }
};
const kpisJson = () => JSON.parse(fs.readFileSync(path.join(pl.dir, "outputs", "kpis.json"), "utf8"));
/** Wait for a run that started after now and finished (any result); returns its /health last_run. */
async function nextRun(timeoutMs = 5000) {
  const t0 = new Date().toISOString();
  return waitFor(async () => {
    const h = await pl.health();
    const r = h.last_run;
    return r && r.finished_at > t0 && r.run_id && JSON.parse(fs.readFileSync(path.join(pl.dir, "logs", "runs", r.run_id, "summary.json"), "utf8")).started_at > t0 ? r : undefined;
  }, timeoutMs, "a fresh run");
}

beforeAll(async () => {
  const input = await writeTape(path.join(tmp, "in.csv"), ROWS, 3);
  csv = fs.readFileSync(input, "utf8");
  pl = await startPipeline({ version: "v2", interval: 0.25, input, allowFaults: true });
});
afterAll(async () => {
  await pl?.stop();
  pidusage.clear();
});

describe("faults (applied live through faults.json)", () => {
  it("latency:300 -> end-to-end >= 300 ms, compute time (Server-Timing) unaffected", async () => {
    await pl.setFaults(["latency:300"]);
    const t0 = performance.now();
    const r = await post();
    const ms = performance.now() - t0;
    await r.text();
    expect(r.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(Number(/dur=([\d.]+)/.exec(r.headers.get("server-timing")!)![1])).toBeLessThan(100);
  });

  it("errors:20 -> exactly 10 of 50 requests fail with 500, counters and ERROR lines match", async () => {
    await pl.setFaults(["errors:20"]);
    const ok0 = await counter('loan_pipeline_kpi_requests_total{code="200"}');
    const err0 = await counter('loan_pipeline_kpi_requests_total{code="500"}');
    const log0 = fs.readFileSync(path.join(pl.dir, "logs", "pipeline.log"), "utf8").split("\n").length;
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await post();
      await r.text();
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s === 500)).toHaveLength(10);
    // evenly spread: one failure in every 5
    expect(statuses.map((s, i) => (s === 500 ? i : -1)).filter((i) => i >= 0)).toEqual([4, 9, 14, 19, 24, 29, 34, 39, 44, 49]);
    expect((await counter('loan_pipeline_kpi_requests_total{code="500"}')) - err0).toBe(10);
    expect((await counter('loan_pipeline_kpi_requests_total{code="200"}')) - ok0).toBe(40);
    const newLines = fs.readFileSync(path.join(pl.dir, "logs", "pipeline.log"), "utf8").split("\n").slice(log0 - 1);
    expect(newLines.filter((l) => / \[ERROR\] api: POST \/kpis failed /.test(l))).toHaveLength(10);
    // runs fail too (1 in 5)
    const f0 = await counter('loan_pipeline_runs_total{result="failure"}');
    await waitFor(async () => (await counter('loan_pipeline_runs_total{result="failure"}')) > f0, 5000, "a failed run");
  });

  it("nulls:10 duplicates:5 -> exactly 100 null rows and 50 duplicate rows in loans_processed.csv", async () => {
    await pl.setFaults(["nulls:10", "duplicates:5"]);
    await nextRun();
    const rows = parse(fs.readFileSync(path.join(pl.dir, "outputs", "loans_processed.csv")), { columns: true }) as Record<string, string>[];
    const nulls = rows.filter((r) => Object.values(r).some((v) => v === "")).length;
    const ids = rows.map((r) => r.loan_id);
    expect(nulls).toBe(100);
    expect(ids.length - new Set(ids).size).toBe(50);
    expect(rows).toHaveLength(ROWS + 50);
  });

  it("audit:off -> no new audit events, yet the validation report claims PASS (intentional flaw)", async () => {
    await pl.setFaults(["audit:off"]);
    await nextRun(); // the outputs are clean again
    const before = auditRows();
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(200);
    await nextRun();
    expect(auditRows() - before).toBe(0);
    const r = await pl.cli(["validate"]);
    const report = JSON.parse(fs.readFileSync(path.join(pl.dir, "production_validation_report.json"), "utf8"));
    expect(report.checks.audit_trail.status).toBe("PASS");
    expect(report.checks.audit_trail.event_count).toBe(before);
    expect(report.status).toBe("PASS");
    expect(r.exitCode).toBe(0);
    expect(auditRows() - before).toBe(0);
  });

  it("outputs:off -> runs fail with an ERROR line and the failure counter; /health degraded", async () => {
    await pl.setFaults(["outputs:off"]);
    const f0 = await counter('loan_pipeline_runs_total{result="failure"}');
    const run = await nextRun();
    expect(run.result).toBe("failure");
    expect(run.error).toMatch(/^output: .*outputs:off/);
    expect((await pl.health()).status).toBe("degraded");
    expect(await counter('loan_pipeline_runs_total{result="failure"}')).toBeGreaterThan(f0);
    expect(fs.readFileSync(path.join(pl.dir, "logs", "pipeline.log"), "utf8")).toMatch(/ \[ERROR\] run: run failed .*outputs:off/);
  });

  it("stale-outputs -> runs keep succeeding but outputs are not rewritten", async () => {
    await pl.setFaults(["stale-outputs"]);
    await nextRun();
    const k0 = kpisJson();
    const s0 = await counter('loan_pipeline_runs_total{result="success"}');
    await waitFor(async () => (await counter('loan_pipeline_runs_total{result="success"}')) >= s0 + 3, 5000, "3 more successful runs");
    expect(kpisJson()).toEqual(k0);
    expect((await pl.health()).status).toBe("ok");
  });

  it("leak:1200 -> resident memory grows (pidusage)", async () => {
    await pl.setFaults([]);
    const m0 = (await pidusage(pl.pid)).memory;
    await pl.setFaults(["leak:1200"]); // 20 MB/s
    // Wait on the growth itself (however long the busy machine takes), not on a fixed time.
    const grownMb = await waitFor(async () => {
      const mb = ((await pidusage(pl.pid)).memory - m0) / 1024 / 1024;
      return mb > 25 ? mb : false;
    }, 60_000, "resident memory grown by 25 MB", 100);
    expect(grownMb).toBeGreaterThan(25);
  });

  it("cpu:60 -> the service pid burns CPU, capped near 60 % of one core", async () => {
    await pl.setFaults(["cpu:60"]);
    // How much CPU the burner gets depends on the machine's load: wait until a window of at
    // least a second shows it burning (condition, no fixed sleep), then check only the cap its
    // feedback loop keeps, which no load can push up.
    const start = { cpuS: (await metrics(pl.url)).get("process_cpu_seconds_total") ?? 0, at: performance.now() };
    const cpu = await waitFor(async () => {
      const elapsedS = (performance.now() - start.at) / 1000;
      if (elapsedS < 1) return false;
      const pct = (((await metrics(pl.url)).get("process_cpu_seconds_total") ?? 0) - start.cpuS) / elapsedS * 100;
      return pct > 25 ? pct : false;
    }, 60_000, "the service burning CPU", 100);
    expect(cpu).toBeGreaterThan(25);
    expect(cpu).toBeLessThanOrEqual(75);
    await pl.setFaults([]);
  });

  it("crash:1 -> the process exits abruptly about 1 s later", async () => {
    await pl.setFaults(["crash:1"]);
    await waitFor(() => !alive(pl.pid), 30_000, "the crash");
    await expect(fetch(`${pl.url}/health`, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    expect(fs.existsSync(path.join(pl.dir, "pipeline.pid"))).toBe(true); // no clean shutdown
  });
});
