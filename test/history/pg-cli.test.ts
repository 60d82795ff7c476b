/**
 * The commands on the PostgreSQL history (config `history: { kind: "postgres", connectionStringEnv }`,
 * docs/DESIGN.md "History in PostgreSQL") against a real PostgreSQL 15 server and the reference
 * pipeline: the checkpoint CLI records pre-cutover, hour0 and stability in the database (no
 * reports/*.jsonl, no state files); two `--phase=auto` runners started at once for the same slot
 * leave exactly one record, the other says already running or done (exit 0); the sign-off and
 * `npm run verify` read the database and verify its chain (a changed row is named); the watch keeps
 * its samples and state there; a bad connection string is one line naming the field and the
 * variable, exit 2, nothing of the secret.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { describeChecks, envFor, runCheckpoint, tempReportsDir, writeConfig, type CheckpointEnv } from "../support/checkpoint-harness.js";
import { ROOT, startPipeline, type StartedPipeline } from "../support/pipeline-harness.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { cleanup, startWatch, watchEnv, type WatchEnv } from "../monitor/watch-harness.js";
import { historyServer } from "./pg-server.js";

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const ENV = "CUTOVER_HISTORY_DATABASE_URL";
const CHANNELS_OFF = { SLACK_WEBHOOK_URL: "", PAGERDUTY_ROUTING_KEY: "", SMTP_HOST: "", SMTP_USER: "", SMTP_PASS: "", ALERT_WEBHOOK_URL: "", CUTOVER_MONITOR_PING_URL: "" };

/** A monitor command other than checkpoint, as `npm run <cmd>` runs it. */
const cli = (cmd: string, args: string[], env: Record<string, string>) =>
  execa(process.execPath, ["bin/cutover-monitor.mjs", cmd, ...args], { cwd: ROOT, reject: false, stdin: "ignore", timeout: 120_000, env: { NO_COLOR: "1", ...CHANNELS_OFF, ...env } });

describe("the commands on the PostgreSQL history (real server, reference pipeline)", () => {
  let server: PostgresServer | null;
  let db: pg.Client;
  let pipeline: StartedPipeline;
  let reportsDir: string;
  let env: CheckpointEnv;
  let cfg: string[];
  const name = `pg-cli-${randomBytes(4).toString("hex")}`;
  const rows = async (log: string, cutover = name) => (await db.query("SELECT seq, line FROM cutover_monitor_log WHERE cutover_id = $1 AND log = $2 ORDER BY seq", [cutover, log])).rows.map((r) => ({ seq: Number(r.seq), ...JSON.parse(r.line) }));
  const docNames = async (cutover = name) => (await db.query("SELECT name FROM cutover_monitor_state WHERE cutover_id = $1 AND value IS NOT NULL ORDER BY name", [cutover])).rows.map((r) => r.name as string);
  let watch: WatchEnv | undefined;

  beforeAll(async () => {
    server = await historyServer();
    if (!server) return;
    db = new pg.Client({ connectionString: server.url });
    await db.connect();
    pipeline = await startPipeline({ version: "v1", interval: 1 });
    reportsDir = tempReportsDir("pg-cli-");
    env = envFor(pipeline, reportsDir, { [ENV]: server.url });
    // hour0, then a stability slot due at once (00:00), so that --phase=auto has a slot to race for.
    cfg = ["--config", writeConfig(reportsDir, {
      name,
      history: { kind: "postgres", connectionStringEnv: ENV },
      schedule: [{ phase: "hour0", at: "00:00" }, { phase: "stability", at: "00:00" }, { phase: "final", at: "24:00" }],
      target: { testSuite: { expectedTotal: 29 } },
    })];
  });
  afterAll(async () => {
    await pipeline?.stop();
    await cleanup(watch);
    await db?.end();
    await server?.stop();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  it("pre-cutover, hour0, then two --phase=auto runners at once: the records are in PostgreSQL, one stability record, the other runner says so", async (ctx) => {
    if (!server) return ctx.skip();
    const pre = await runCheckpoint(["--phase=pre-cutover", ...cfg], env);
    expect(pre.exitCode, describeChecks(pre)).not.toBe(2);
    const hour0 = await runCheckpoint(["--phase=hour0", ...cfg], env);
    expect(hour0.exitCode, describeChecks(hour0)).toBe(0);

    const runs = await Promise.all([runCheckpoint(["--phase=auto", ...cfg], env), runCheckpoint(["--phase=auto", ...cfg], env)]);
    const why = runs.map((r) => `exit ${r.exitCode}\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`).join("\n----\n");
    const notRun = runs.filter((r) => /^already (running|done): stability@00:00 of the cutover of /m.test(r.stdout));
    expect(notRun, why).toHaveLength(1);
    expect(notRun[0]!.exitCode, why).toBe(0);
    expect(runs.find((r) => r !== notRun[0])!.exitCode, why).not.toBe(2);

    const records = await rows("checkpoints");
    expect(records.map((r) => `${r.phase}@${r.scheduled_at ?? "-"}`), why).toEqual(["pre-cutover@-", "hour0@00:00", "stability@00:00"]);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[2].checks.length).toBeGreaterThan(5);
    // The events, the cutover and the alert state are there too; nothing went to the reports dir's files.
    expect((await rows("events")).filter((e) => e.type === "checkpoint").length).toBe(3);
    expect(await docNames()).toEqual(expect.arrayContaining(["alert-state.json", "cutover.json", "probe-state.json"]));
    const [claim] = (await db.query("SELECT status, checkpoint_id FROM cutover_monitor_claim WHERE cutover_id = $1 AND slot = 'stability@00:00'", [name])).rows;
    expect(claim).toEqual({ status: "done", checkpoint_id: records[2].checkpoint_id });
    for (const f of ["checkpoints.jsonl", "monitoring_events.log", "samples.jsonl", "state/cutover.json", "state/alert-state.json", "state/probe-state.json", "state/checkpoint-claims.json"]) {
      expect(fs.existsSync(path.join(reportsDir, f)), f).toBe(false);
    }
  });

  it("attest, sign-off and verify read PostgreSQL: the chain verifies; a changed row is named; report writes the site", async (ctx) => {
    if (!server) return ctx.skip();
    const att = await cli("attest", ["--item", "team-briefed", "--by", "PG Tester", ...cfg], env);
    expect(att.exitCode, att.stderr).toBe(0);
    expect(await docNames()).toContain("attestations.json");

    const signed = await cli("signoff", ["--role", "engineering", "--by", "PG Tester", "--no-pdf", ...cfg], env);
    expect(signed.exitCode, `${signed.stdout}\n${signed.stderr}`).toBe(0);
    expect(signed.stdout).toMatch(/history signed: 3 checkpoint records/);
    expect(await docNames()).toContain("signoffs.json");
    const bundled = fs.readFileSync(path.join(reportsDir, "signoff", "history", "checkpoints.jsonl"), "utf8").trim().split("\n");
    expect(bundled.map((l) => JSON.parse(l).phase)).toEqual(["pre-cutover", "hour0", "stability"]);
    expect(bundled).toEqual((await db.query("SELECT line FROM cutover_monitor_log WHERE cutover_id = $1 AND log = 'checkpoints' ORDER BY seq", [name])).rows.map((r) => r.line));

    const ok = await cli("verify", [path.join(reportsDir, "signoff"), ...cfg], env);
    expect(ok.exitCode, `${ok.stdout}\n${ok.stderr}`).toBe(0);
    expect(ok.stdout).toMatch(/^INTACT/);
    expect(ok.stdout).toMatch(new RegExp(`the PostgreSQL history \\(${ENV}\\), cutover "${name}", log checkpoints: the 3 signed records unchanged`));

    const report = await cli("report", ["--no-allure", "--no-pdf", ...cfg], env);
    expect(report.exitCode, `${report.stdout}\n${report.stderr}`).toBe(0);
    expect(fs.existsSync(path.join(reportsDir, "site", "index.html"))).toBe(true);

    // A signed record changed in the database: verify names it, exit 1.
    await db.query("UPDATE cutover_monitor_log SET line = replace(line, '\"phase\":\"pre-cutover\"', '\"phase\": \"pre-cutover\"') WHERE cutover_id = $1 AND log = 'checkpoints' AND seq = 1", [name]);
    const changed = await cli("verify", [path.join(reportsDir, "signoff"), ...cfg], env);
    expect(changed.exitCode, `${changed.stdout}\n${changed.stderr}`).toBe(1);
    expect(changed.stdout).toMatch(/^CHANGED: .*log checkpoints: line 1 changed/m);
    expect(fs.existsSync(path.join(reportsDir, "checkpoints.jsonl"))).toBe(false);
  });

  it("a bad connection string: one line naming history.connectionStringEnv and the variable, exit 2, nothing of the secret", async (ctx) => {
    if (!server) return ctx.skip();
    const password = `pw-${randomBytes(6).toString("hex")}`;
    // The real server with a wrong password (the unit test covers a refused port, a bad URL).
    for (const url of [`postgres://monitor:${password}@127.0.0.1:${server.port}/postgres`]) {
      const bad = { ...env, [ENV]: url };
      const r = await runCheckpoint(["--phase=auto", ...cfg], bad);
      expect(r.exitCode, r.stderr).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^cutover-monitor: history\\.connectionStringEnv \\(${ENV}\\): cannot connect to the PostgreSQL history: (password authentication failed|connection refused)`));
      for (const out of [r.stdout, r.stderr]) {
        expect(out).not.toContain(password);
        expect(out).not.toContain(url);
      }
      const rep = await cli("report", ["--no-allure", "--no-pdf", ...cfg], bad);
      expect(rep.exitCode).toBe(2);
      expect(rep.stderr).toMatch(/history\.connectionStringEnv/);
      expect(rep.stderr + rep.stdout).not.toContain(password);
    }
    const unset = await runCheckpoint(["--phase=auto", ...cfg], { ...env, [ENV]: "" });
    expect(unset.exitCode).toBe(2);
    expect(unset.stderr.trim()).toBe(`cutover-monitor: history.connectionStringEnv: environment variable ${ENV} is not set: the PostgreSQL history (history.kind "postgres") needs its connection string there`);
  });

  it("the watch keeps its samples, its checkpoints and its state in PostgreSQL", async (ctx) => {
    if (!server) return ctx.skip();
    const watchName = `${name}-watch`;
    watch = await watchEnv(
      {
        name: watchName,
        history: { kind: "postgres", connectionStringEnv: ENV },
        // The watch ends after the schedule's last checkpoint: a cheap one keeps the test short.
        schedule: [{ phase: "hour0", at: "00:00" }, { phase: "stability", at: "00:30" }],
        target: { kpi: { samples: 6 }, testSuite: { expectedTotal: 29 } },
        thresholds: { kpiLatencyP95Ms: { warnAt: 2000, failAt: 5000 }, cpuPercent: { warnAt: 95, failAt: 99 } },
      },
      { [ENV]: server.url },
    );
    const w = startWatch(watch, ["--cutover", "--speed", "1800", "--sample-every", "60"]);
    const r = await w.proc;
    const why = w.output().slice(-3000);
    expect(r.exitCode, why).not.toBe(2);
    const samples = await rows("samples", watchName);
    expect(samples.filter((l) => l.kind === "sample").length, why).toBeGreaterThan(0);
    expect(samples.filter((l) => l.kind === "checkpoint").map((l) => l.slot)).toEqual(["hour0@00:00", "stability@00:30"]);
    expect((await rows("checkpoints", watchName)).map((x) => `${x.phase}@${x.scheduled_at}`)).toEqual(["hour0@00:00", "stability@00:30"]);
    expect(await docNames(watchName)).toEqual(expect.arrayContaining(["watch.json", "watch-probe-state.json", "cutover.json", "alert-state.json"]));
    const [doc] = (await db.query("SELECT value FROM cutover_monitor_state WHERE cutover_id = $1 AND name = 'watch.json'", [watchName])).rows;
    expect(JSON.parse(doc.value).finished).toMatchObject({ exitCode: r.exitCode });
    for (const f of ["samples.jsonl", "checkpoints.jsonl", "state/watch.json", "state/watch-probe-state.json"]) expect(fs.existsSync(path.join(watch.reportsDir, f)), f).toBe(false);
  });
});
