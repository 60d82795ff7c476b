/**
 * The audit probe on a SQLite audit table keyed by UUIDs (WITHOUT ROWID: no hidden integer to
 * lean on) with a timestamp column as the watermark; the window of at least the minimum
 * lookback; runs that must have audit events taken from "run finished" log lines.
 * A stand-in KPI endpoint (this file) writes the 6 events of each calculation.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckpointContext } from "../../src/checkpoint/context.js";
import { auditRunsGenerating } from "../../src/checks/pipeline.js";
import { targetSchema, type TargetConfig, type TargetConfigInput } from "../../src/config/target.js";
import { probeAudit } from "../../src/probes/audit.js";
import type { AuditMeasurement } from "../../src/probes/audit.js";
import type { ProbeResult } from "../../src/probes/probe.js";
import { CALC_EVENTS, ok } from "../support/audit-fixtures.js";
import { checkpointContext } from "../support/checkpoint-context.js";


// Real "now": the probe's own calculation is stamped by the clock, the rest relative to T0.
const T0 = Date.now();
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

let stateDir: string;
let db: Database.Database;
let kpi: http.Server;

function insert(rows: { ts: string; event: string; status: string; req?: string | null; run?: string | null }[]) {
  const stmt = db.prepare("INSERT INTO events (uid, created_at, name, state, req, run) VALUES (?, ?, ?, ?, ?, ?)");
  for (const r of rows) stmt.run(randomUUID(), r.ts, r.event, r.status, r.req ?? null, r.run ?? null);
}
const runEvents = (run: string, ts: string, n = 6) => CALC_EVENTS.slice(0, n).map(([event, status]) => ({ ts, event, status, run }));
const logLine = (s: number, msg: string) => `${at(s)} [INFO] run: ${msg}\n`;

function config(extra: Partial<TargetConfigInput["audit"]> = {}, top: Partial<TargetConfigInput> = {}): TargetConfig {
  return targetSchema.parse(configInput(extra, top));
}

function configInput(extra: Partial<TargetConfigInput["audit"]> = {}, top: Partial<TargetConfigInput> = {}): TargetConfigInput {
  return {
    stateDir,
    baseUrl: `http://127.0.0.1:${(kpi.address() as AddressInfo).port}`,
    requestTimeoutMs: 3000,
    audit: {
      source: {
        kind: "sqlite",
        path: "trail/audit.db",
        table: "events",
        columns: { id: "uid", requestId: "req", runId: "run", timestamp: "created_at", event: "name", status: "state" },
        watermark: { column: "created_at", type: "timestamp" },
      },
      settleMs: 1000,
      runSummaries: null,
      runLog: { pattern: "run finished run_id=(?<runId>\\S+) version=(?<version>\\S+)" },
      ...extra,
    },
    ...top,
  };
}

beforeAll(async () => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-sqlite-"));
  fs.mkdirSync(path.join(stateDir, "trail"));
  fs.mkdirSync(path.join(stateDir, "logs"));
  db = new Database(path.join(stateDir, "trail/audit.db"));
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE events (uid TEXT PRIMARY KEY, created_at TEXT NOT NULL, name TEXT, state TEXT, req TEXT, run TEXT) WITHOUT ROWID`);
  kpi = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const requestId = String(req.headers["x-request-id"] ?? "");
      insert(CALC_EVENTS.map(([event, status]) => ({ ts: new Date().toISOString(), event, status, req: requestId })));
      res.writeHead(200, { "content-type": "application/json", "x-request-id": requestId }).end("{}");
    });
  });
  await new Promise<void>((r) => kpi.listen(0, "127.0.0.1", r));
  insert([...runEvents("run-old", at(-3000)), ...runEvents("run-a", at(-300)), ...runEvents("run-b", at(-200), 5)]);
  fs.writeFileSync(
    path.join(stateDir, "logs/pipeline.log"),
    logLine(-2000, "run finished run_id=run-ancient version=v2") +
      logLine(-250, "run finished run_id=run-a version=v2") +
      logLine(-150, "run finished run_id=run-nolog version=v2") +
      logLine(-140, "run finished run_id=run-legacy version=v1") +
      `${at(-130)} [ERROR] run: run failed run_id=run-failed version=v2\n`,
  );
});

afterAll(async () => {
  db?.close();
  await new Promise((r) => (kpi ? kpi.close(r) : r(undefined)));
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
});

function ctxWith(a: AuditMeasurement): CheckpointContext {
  return checkpointContext({ audit: { ok: true, data: a, durationMs: 1 } });
}

describe("audit probe: UUID-keyed SQLite table, timestamp watermark", () => {
  let first: AuditMeasurement;

  it("the probe's own calculation; events of the window (minimum lookback); a timestamp watermark", async () => {
    first = ok(await probeAudit(config(), { now: () => T0 }));
    expect(first.probeCalculation).toMatchObject({ eventCount: 6, complete: true, missingEvents: [] });
    const s = first.sinceLastCheckpoint;
    expect(s.window).toMatchObject({ reason: "minimum lookback", fromMs: T0 - 600_000, toMs: T0, from: at(-600) });
    expect(s.eventCount).toBe(11); // run-a 6 + run-b 5; run-old is older than the window; the probe's own excluded
    expect(s.runs).toEqual([
      { runId: "run-a", eventCount: 6, complete: true },
      { runId: "run-b", eventCount: 5, complete: false },
    ]);
    expect(s.incompleteRuns.map((r) => r.runId)).toEqual(["run-b"]);
    const newest = (db.prepare("SELECT MAX(created_at) AS m FROM events").get() as { m: string }).m;
    expect(first.watermark).toMatchObject({ source: "sqlite", column: "created_at", type: "timestamp", position: newest, at: T0 });
    expect(first.totalEvents).toBe(6 + 6 + 5 + 6);
  });

  it("runs that must have audit events from 'run finished' log lines: a run without events, other versions and failed runs not expected", () => {
    const s = first.sinceLastCheckpoint;
    expect(s.runsFinished).toBe(2); // run-a, run-nolog (run-ancient before the window, run-legacy v1, run-failed not "finished")
    expect(s.runsWithoutEvents).toEqual(["run-nolog"]);
    expect(s.runSources).toEqual(["log"]);
    const r = auditRunsGenerating(ctxWith(first));
    expect(r.verdict).toBe("FAIL");
    expect(r.measured).toMatch(/run-nolog/);
    expect(r.measured).toContain(at(-600));
    expect(r.evidence).toMatchObject({ window: { reason: "minimum lookback" }, sinceLastCheckpoint: { runsWithoutEvents: ["run-nolog"] } });
  });

  it("back to back: the same window's events are counted again (plus the previous probe's calculation)", async () => {
    const two = ok(await probeAudit(config(), { now: () => T0 + 10_000, previous: { auditWatermark: first.watermark } }));
    const s = two.sinceLastCheckpoint;
    expect(s.from).toEqual(first.watermark);
    expect(s.window).toMatchObject({ reason: "minimum lookback", previousMs: T0, fromMs: T0 + 10_000 - 600_000 });
    expect(s.eventCount).toBe(11 + 6);
    expect(s.requests).toBe(1);
    expect(s.runs.map((r) => r.runId)).toEqual(["run-a", "run-b"]);
    expect(two.watermark.position > first.watermark.position).toBe(true);
  });

  it("the previous checkpoint an hour ago: the window reaches back to it", async () => {
    const prev = { ...first.watermark, position: at(-3500), at: T0 - 3_600_000 };
    const r = ok(await probeAudit(config(), { now: () => T0, previous: { auditWatermark: prev } }));
    const s = r.sinceLastCheckpoint;
    expect(s.window).toMatchObject({ reason: "since previous checkpoint", fromMs: T0 - 3_600_000 });
    expect(s.runs.map((x) => x.runId)).toEqual(["run-old", "run-a", "run-b"]);
    // The log's run-ancient (2000 s ago) is inside this window and has no events.
    expect(s.runsWithoutEvents.sort()).toEqual(["run-ancient", "run-nolog"]);
  });

  it("runs finished before the cutover are not expected to have events", async () => {
    const r = ok(await probeAudit(config(), { now: () => T0, cutoverStartedAt: at(-200) }));
    expect(r.sinceLastCheckpoint.runsFinished).toBe(1);
    expect(r.sinceLastCheckpoint.runsWithoutEvents).toEqual(["run-nolog"]);
  });

  it("a run-finished pattern without a run-id group is rejected by the config", () => {
    expect(() => config({ runLog: { pattern: "run finished" } })).toThrow(/runId/);
  });

  it("a watermark column that does not exist: target failure naming the configured table and column", async () => {
    const t = config({
      source: {
        kind: "sqlite",
        path: "trail/audit.db",
        table: "events",
        columns: { id: "uid", requestId: "req", runId: "run", timestamp: "created_at", event: "name", status: "state" },
        watermark: { column: "seq", type: "number" },
      },
    });
    const r = await probeAudit(t, { now: () => T0 });
    expect(r).toMatchObject({ ok: false, failure: "target" });
    if (!r.ok) expect(r.message).toMatch(/trail\/audit\.db.*seq/);
  });

  it("a writer killed before a checkpoint: its events, still in the WAL, are counted; the store is opened read-only and left as it was", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "audit-sqlite-crash-"));
    try {
      fs.mkdirSync(path.join(dir, "trail"));
      const file = path.join(dir, "trail", "audit.db");
      // A pipeline that dies with SIGKILL: its 6 events are in audit.db-wal, never checkpointed.
      const writer = `
        const Database = require(require.resolve("libsql", { paths: [process.cwd()] }));
        const db = new Database(process.argv[1]);
        db.exec("PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE events (uid TEXT PRIMARY KEY, created_at TEXT NOT NULL, name TEXT, state TEXT, req TEXT, run TEXT) WITHOUT ROWID");
        const ins = db.prepare("INSERT INTO events VALUES (?, ?, ?, ?, NULL, ?)");
        for (const [i, [name, state]] of ${JSON.stringify(CALC_EVENTS)}.entries()) ins.run("e" + i, new Date().toISOString(), name, state, "run-crash");
        process.kill(process.pid, "SIGKILL");`;
      const w = spawnSync(process.execPath, ["-e", writer, file], { cwd: process.cwd(), encoding: "utf8" });
      expect(w.signal, w.stderr).toBe("SIGKILL");
      const snapshot = () => ({
        db: createHash("sha256").update(fs.readFileSync(file)).digest("hex"),
        wal: fs.statSync(`${file}-wal`).size,
      });
      const before = snapshot();
      expect(before.wal).toBeGreaterThan(0);
      // The probe in a process of its own, as a checkpoint runs it: a connection that could write
      // would checkpoint the WAL into audit.db and delete it when that process exits.
      const probe = `
        import { probeAudit } from "./src/probes/audit.ts";
        import { targetSchema } from "./src/config/target.ts";
        const r = await probeAudit(targetSchema.parse(JSON.parse(process.argv[1])), { now: () => Date.now() });
        process.stdout.write(JSON.stringify(r));`;
      const input = JSON.stringify(configInput({ runLog: null, settleMs: 0 }, { stateDir: dir }));
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", probe, input], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d));
      child.stderr.on("data", (d: Buffer) => (err += d));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      expect(code, err).toBe(0);
      const r = ok(JSON.parse(out) as ProbeResult<AuditMeasurement>);
      expect(r.totalEvents).toBe(6);
      expect(r.sinceLastCheckpoint.runs).toEqual([{ runId: "run-crash", eventCount: 6, complete: true }]);
      expect(snapshot()).toEqual(before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
