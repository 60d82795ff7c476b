/**
 * Issue 3 §5 bad input and issue 4 §7 concurrency: a stopped pipeline, a garbage metrics
 * endpoint, a truncated validation report, an invalid config, an unknown phase, and two
 * checkpoints started at once against the same reports dir.
 * Usage errors, the concurrent checkpoints and the dead target run `npm run checkpoint` as
 * processes; the bad-data checkpoints run in this process (runCheckpointInProcess: what the CLI
 * runs, as the watch runs it).
 */
import { vi, afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOf, checksWith, describeChecks, prepareCutover, readRecords, runCheckpoint, runCheckpointInProcess, startStandIn, tempReportsDir, writeConfig, type PreparedCutover } from "../support/checkpoint-harness.js";
import fs from "node:fs";

const STACK = /\n\s+at .+:\d+:\d+\)?/;

// Each checkpoint is a whole process tree (tsx, vitest, the target's commands) on 2 cores.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("without a pipeline: usage and configuration errors exit 2", () => {
  const dir = tempReportsDir();
  const env = { PIPELINE_DIR: dir, PIPELINE_PORT: "1", CUTOVER_REPORTS_DIR: dir };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("an invalid config -> exit 2, one line per problem naming the file and the key", async () => {
    const file = writeConfig(dir, `{ thresholds: { kpiLatencyP95Ms: { warnAt: "x" } }, target: { kpi: { samples: -3 } } }`, "invalid");
    const r = await runCheckpoint(["--phase=stability", "--config", file], env);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
    const lines = r.stderr.trim().split("\n").filter(Boolean);
    const latency = lines.filter((l) => l.includes("thresholds.kpiLatencyP95Ms.warnAt"));
    const samples = lines.filter((l) => l.includes("target.kpi.samples"));
    expect(latency, r.stderr).toHaveLength(1);
    expect(samples, r.stderr).toHaveLength(1);
    for (const l of [...latency, ...samples]) expect(l).toContain("invalid.config.ts");
    expect(latency[0]).toMatch(/number/i);
    expect(r.recordCount).toBe(0);
  });

  it("an unknown --phase -> exit 2 with the usage", async () => {
    const r = await runCheckpoint(["--phase=hour99"], env);
    expect(r.exitCode).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/hour99/);
    expect(r.stdout + r.stderr).toMatch(/usage: npm run checkpoint -- --phase=/);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.recordCount).toBe(0);
  });
});

describe("against a cut-over pipeline: bad data and a dead target", () => {
  let p: PreparedCutover;
  beforeAll(async () => {
    p = await prepareCutover();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("five checkpoints started at once against the same reports dir -> five records intact", async () => {
    const before = readRecords(p.reportsDir).length;
    const runs = await Promise.all(Array.from({ length: 5 }, () => runCheckpoint(["--phase=stability"], p.env)));
    expect(runs.map((r) => r.exitCode), runs.map((r) => describeChecks(r)).join("\n")).not.toContain(2);
    const lines = fs.readFileSync(`${p.reportsDir}/checkpoints.jsonl`, "utf8").split("\n").filter(Boolean);
    expect(lines.length).toBe(before + 5);
    const last5 = lines.slice(-5).map((l) => JSON.parse(l));
    expect(last5.map((r) => r.phase)).toEqual(Array(5).fill("stability"));
    expect(new Set(last5.map((r) => r.checkpoint_id)).size).toBe(5);
    for (const r of last5) expect(r.checks.length).toBeGreaterThan(5);
  });

  it("a garbage metrics endpoint -> stability.error-rate ERROR with a clear message, exit 3", async () => {
    const standIn = await startStandIn(() => ({ status: 200, body: "<html><body><h1>Welcome to nginx!</h1>{{garbage}} ###</body></html>" }));
    try {
      const cfg = writeConfig(p.reportsDir, { target: { metrics: { path: `${standIn.url}/metrics` } } });
      const r = await runCheckpointInProcess(["--phase=stability", "--config", cfg], p.env);
      const c = checkOf(r.record, "error-rate");
      expect(c.verdict, describeChecks(r)).toBe("ERROR");
      expect(c.measured).toMatch(/metrics endpoint answered non-Prometheus text/);
      expect(c.measured).toContain(`${standIn.url}/metrics`);
      expect(checksWith(r.record, "FAIL"), describeChecks(r)).toEqual([]);
      expect(r.exitCode).toBe(3);
      expect(r.record!.decision.rollback).toBe("no");
      expect(r.stdout).toMatch(/\? ERROR\s+\[error-rate\]/);
      expect(r.stderr).not.toMatch(STACK);
    } finally {
      await standIn.close();
    }
  });

  it("a truncated validation report -> ERROR naming the file, exit 3", async () => {
    const script = `require("fs").writeFileSync(require("path").join(process.env.PIPELINE_DIR, "production_validation_report.json"), '{"timestamp":"2026-01-01T00:00:00Z","status":"PASS","checks":{"kpi_calc')`;
    const cfg = writeConfig(p.reportsDir, { target: { validation: { command: [process.execPath, "-e", script] } } });
    const r = await runCheckpointInProcess(["--phase=extended", "--config", cfg], p.env);
    const c = checkOf(r.record, "validation-checks");
    expect(c.verdict, describeChecks(r)).toBe("ERROR");
    expect(c.measured).toContain(`${p.pipeline.dir}/production_validation_report.json`);
    expect(c.measured).toMatch(/truncated|not JSON/);
    expect(checksWith(r.record, "FAIL"), describeChecks(r)).toEqual([]);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).not.toMatch(STACK);
  });

  it("pipeline stopped -> exit 1 with 'target unreachable', no stack trace, not hanging", async () => {
    await p.pipeline.stop();
    const r = await runCheckpoint(["--phase=stability"], p.env, { timeoutMs: 120_000 });
    // Every probe has its own timeout: the checkpoint ends by itself (the harness's 60 s guard is
    // only there so that a hang fails the test instead of blocking the suite).
    expect(r.timedOut).toBe(false);
    expect(r.exitCode, describeChecks(r)).toBe(1);
    expect(r.stdout).toMatch(/target unreachable/);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.record!.pipeline_status).toBe("unreachable");
    expect(checkOf(r.record, "pipeline-up").verdict).toBe("FAIL");
    expect(checkOf(r.record, "health").notMeasured).toBe(true);
    expect(checkOf(r.record, "kpi-latency").notMeasured).toBe(true);
  });
});
