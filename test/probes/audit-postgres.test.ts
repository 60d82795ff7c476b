/**
 * The audit probe against a REAL PostgreSQL 15 server (started by this file, see
 * test/support/postgres-server.ts): a stand-in KPI endpoint writes the 6 events of each
 * calculation into PostgreSQL under the request id, runs write events under their run id.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema, type TargetConfig, type TargetConfigInput } from "../../src/config/target.js";
import { probeAudit } from "../../src/probes/audit.js";
import type { AuditMeasurement } from "../../src/probes/audit.js";
import type { AuditWatermark, ProbeResult } from "../../src/probes/probe.js";
import { startPostgres, type PostgresServer } from "../support/postgres-server.js";
import { CALC_EVENTS, ok } from "../support/audit-fixtures.js";

const ENV = `CUTOVER_TEST_AUDIT_PG_${randomBytes(4).toString("hex").toUpperCase()}`;
const TIMEOUT_MS = 3000;

describe("audit probe: PostgreSQL audit source (real server)", () => {
  let server: PostgresServer;
  let db: pg.Client;
  let kpi: http.Server;
  let stateDir: string;
  let target: TargetConfig;
  const config = (audit: Record<string, unknown> = {}): TargetConfig => {
    const input: TargetConfigInput = {
      stateDir,
      baseUrl: `http://127.0.0.1:${(kpi.address() as AddressInfo).port}`,
      requestTimeoutMs: TIMEOUT_MS,
      audit: { source: { kind: "postgres", connectionStringEnv: ENV }, settleMs: 1000, ...audit },
    };
    return targetSchema.parse(input);
  };
  const insert = async (rows: { event: string; status: string; requestId?: string | null; runId?: string | null; ts?: string }[]) => {
    for (const r of rows) {
      await db.query(
        `INSERT INTO audit_events ("timestamp", event, status, actor, action, details, request_id, run_id)
         VALUES ($1, $2, $3, 'kpi_engine', $2, '{}', $4, $5)`,
        [r.ts ?? new Date().toISOString(), r.event, r.status, r.requestId ?? null, r.runId ?? null],
      );
    }
  };
  const runEvents = (runId: string, n: number, skip = 0) =>
    CALC_EVENTS.slice(skip, skip + n).map(([event, status]) => ({ event, status, runId }));
  const maxId = async () => Number((await db.query("SELECT MAX(id) AS m FROM audit_events")).rows[0].m);

  beforeAll(async () => {
    server = await startPostgres();
    db = new pg.Client({ connectionString: server.url });
    await db.connect();
    // The reference pipeline's audit_events (pipeline/CONTRACT.md "Audit trail"); bigint ids.
    await db.query(`CREATE TABLE audit_events (
      id BIGSERIAL PRIMARY KEY, "timestamp" TEXT, event TEXT, status TEXT, actor TEXT, action TEXT,
      details TEXT, request_id TEXT, run_id TEXT)`);
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-pg-"));
    // Run summaries: run-a has events, run-z (success, v2) has none.
    for (const id of ["run-a", "run-z"]) {
      fs.mkdirSync(path.join(stateDir, "logs/runs", id), { recursive: true });
      fs.writeFileSync(
        path.join(stateDir, "logs/runs", id, "summary.json"),
        JSON.stringify({ run_id: id, finished_at: new Date().toISOString(), result: "success", version: "v2" }),
      );
    }
    const expected = JSON.parse(fs.readFileSync("fixtures/loans-1k.expected.json", "utf8")).kpis as Record<string, number>;
    kpi = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        if (req.method !== "POST" || req.url !== "/kpis") {
          res.writeHead(404).end();
          return;
        }
        const requestId = String(req.headers["x-request-id"] ?? "");
        insert(CALC_EVENTS.map(([event, status]) => ({ event, status, requestId }))).then(
          () => {
            const kpis = Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, { value: v }]));
            res.writeHead(200, { "content-type": "application/json", "x-request-id": requestId }).end(JSON.stringify({ kpis }));
          },
          (err: Error) => res.writeHead(500).end(err.message),
        );
      });
    });
    await new Promise<void>((r) => kpi.listen(0, "127.0.0.1", r));
    process.env[ENV] = server.url;
    target = config();
  }, 60_000);

  afterAll(async () => {
    delete process.env[ENV];
    await db?.end().catch(() => {});
    await new Promise((r) => (kpi ? kpi.close(r) : r(undefined)));
    await server?.stop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  let first: AuditMeasurement;
  it("the probe's own calculation: 6 events under its request id; runs since the start, an incomplete run, a run without events", async () => {
    await insert([...runEvents("run-a", 6), ...runEvents("run-b", 5)]);
    first = ok(await probeAudit(target, { now: Date.now }));
    expect(first.source).toBe("postgres");
    expect(first.location).toMatch(/^postgres:\/\/127\.0\.0\.1:\d+\/postgres table audit_events/);
    expect(first.location).not.toContain(server.password);
    expect(first.probeCalculation).toMatchObject({ httpStatus: 200, eventCount: 6, missingEvents: [], complete: true });
    expect(first.probeCalculation.requestId).toMatch(/^monitor-audit-/);
    expect(first.probeCalculation.events).toEqual(CALC_EVENTS.map(([event, status]) => ({ event, status })));
    const s = first.sinceLastCheckpoint;
    expect(s.from).toBeNull();
    expect(s.eventCount).toBe(11); // the probe's own 6 excluded
    expect(s.requests).toBe(0);
    expect(s.runs).toEqual([
      { runId: "run-a", eventCount: 6, complete: true },
      { runId: "run-b", eventCount: 5, complete: false },
    ]);
    expect(s.incompleteRuns).toEqual([{ runId: "run-b", eventCount: 5, complete: false }]);
    expect(s.runsFinished).toBe(2);
    expect(s.runsWithoutEvents).toEqual(["run-z"]);
    expect(first.totalEvents).toBe(17);
    expect(first.watermark).toMatchObject({ source: "postgres", position: await maxId() });
    expect(first.watermark.timestamp).toBe((await db.query(`SELECT MAX("timestamp") AS t FROM audit_events`)).rows[0].t);
  });

  it("with the previous watermark: the window's events (minimum lookback) and every event past the watermark, whatever its timestamp; a run counted in full", async () => {
    const w1: AuditWatermark = first.watermark;
    expect(w1).toMatchObject({ column: "id", type: "number" });
    await insert([...runEvents("run-b", 1, 5), ...runEvents("run-c", 2)]);
    await insert(CALC_EVENTS.map(([event, status]) => ({ event, status, requestId: "ext-1" })));
    // Written late with an old timestamp (2 h ago): older than the window, but past the watermark.
    await insert([{ event: "calculate_all", status: "started", runId: "run-late", ts: new Date(Date.now() - 7_200_000).toISOString() }]);
    const r = ok(await probeAudit(target, { now: Date.now, previous: { auditWatermark: w1 } }));
    expect(r.probeCalculation).toMatchObject({ eventCount: 6, complete: true });
    const s = r.sinceLastCheckpoint;
    expect(s.from).toEqual(w1);
    expect(s.window).toMatchObject({ reason: "minimum lookback", previousMs: w1.at, minLookbackSeconds: 600 });
    // Back to back: the first checkpoint's 11 run events and its own calculation (6) are still in the window.
    expect(s.eventCount).toBe(11 + 6 + 1 + 2 + 6 + 1);
    expect(s.requests).toBe(2);
    expect(s.runs).toEqual([
      { runId: "run-a", eventCount: 6, complete: true },
      { runId: "run-b", eventCount: 6, complete: true },
      { runId: "run-c", eventCount: 2, complete: false },
      { runId: "run-late", eventCount: 1, complete: false },
    ]);
    expect(s.incompleteRuns.map((x) => x.runId)).toEqual(["run-c", "run-late"]);
    expect(r.totalEvents).toBe(17 + 10 + 6);
    expect(r.watermark.position).toBe(await maxId());
    expect(Number(r.watermark.position)).toBeGreaterThan(Number(w1.position));
  });

  it("a timestamp watermark on PostgreSQL (no integer id needed)", async () => {
    const t = config({ source: { kind: "postgres", connectionStringEnv: ENV, columns: { id: "no_such_id" }, watermark: { column: "timestamp", type: "timestamp" } } });
    const r = ok(await probeAudit(t, { now: Date.now }));
    const newest = (await db.query(`SELECT MAX("timestamp") AS t FROM audit_events`)).rows[0].t;
    expect(r.watermark).toMatchObject({ source: "postgres", column: "timestamp", type: "timestamp", position: newest });
    expect(r.probeCalculation).toMatchObject({ eventCount: 6, complete: true });
    const again = ok(await probeAudit(t, { now: Date.now, previous: { auditWatermark: r.watermark } }));
    expect(again.sinceLastCheckpoint.from).toEqual(r.watermark);
    expect(again.sinceLastCheckpoint.runs.map((x) => x.runId)).toEqual(["run-a", "run-b", "run-c"]);
    // The trade-off of a timestamp watermark: an event written late with an old timestamp
    // (run-late, 2 h old) is past the id watermark but not past a timestamp watermark.
    expect(again.sinceLastCheckpoint.runs.map((x) => x.runId)).not.toContain("run-late");
  });

  it("missing table -> target failure, one line", async () => {
    const r = await probeAudit(config({ source: { kind: "postgres", connectionStringEnv: ENV, table: "no_such_table" } }), { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    if (r.ok) return;
    expect(r.message).toMatch(/^audit store unreachable: postgres:\/\/127\.0\.0\.1:\d+\/postgres table no_such_table .*no_such_table.*does not exist/);
    expect(r.message).not.toMatch(/\n/);
    expect(r.message).not.toContain(server.password);
  });

  it("wrong password -> target failure within the timeout; the password is never in the message", async () => {
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    process.env[ENV] = server.url.replace(`:${encodeURIComponent(server.password)}@`, `:${wrong}@`);
    try {
      const r = await probeAudit(target, { now: Date.now });
      expect(r).toMatchObject({ ok: false, failure: "target" });
      if (r.ok) return;
      expect(r.message).toMatch(/^audit store unreachable: .*password authentication failed/);
      expect(r.message).not.toContain(wrong);
      expect(r.message).not.toContain(server.password);
      expect(r.durationMs).toBeLessThan(TIMEOUT_MS + 1000);
    } finally {
      process.env[ENV] = server.url;
    }
  });

  it("unset environment variable -> monitor failure naming it", async () => {
    delete process.env[ENV];
    try {
      const r = await probeAudit(target, { now: Date.now });
      expect(r).toMatchObject({ ok: false, failure: "monitor" });
      if (!r.ok) expect(r.message).toContain(ENV);
    } finally {
      process.env[ENV] = server.url;
    }
  });

  it("a malformed connection string -> monitor failure naming the variable, the password redacted", async () => {
    process.env[ENV] = `postgres://postgres:${server.password}@127.0.0.1:99999/postgres`;
    try {
      const r = await probeAudit(target, { now: Date.now });
      expect(r).toMatchObject({ ok: false, failure: "monitor" });
      if (r.ok) return;
      expect(r.message).toContain(ENV);
      expect(r.message).not.toContain(server.password);
    } finally {
      process.env[ENV] = server.url;
    }
  });

  it("stopped server -> target failure within the timeout, no password in the message", async () => {
    await db.end();
    await server.stop();
    const r = await probeAudit(target, { now: Date.now });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    if (r.ok) return;
    expect(r.message).toMatch(/^audit store unreachable: postgres:\/\/127\.0\.0\.1:\d+\/postgres .*ECONNREFUSED/);
    expect(r.message).not.toContain(server.password);
    expect(r.durationMs).toBeLessThan(TIMEOUT_MS + 1000);
  });
});
