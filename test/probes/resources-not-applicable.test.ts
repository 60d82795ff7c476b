/**
 * What a runner away from the pipeline's host cannot reach is N/A in its config and shown so:
 * never a PASS, never a silent FAIL. Units on the probes and the catalogue's judgement, then one
 * real checkpoint (`npm run checkpoint`) against the reference pipeline with a CI runner's
 * standing: no pidfile (memory and CPU from /metrics), the log and the validation script not
 * reachable.
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetSchema } from "../../src/config/target.js";
import { probeResources } from "../../src/probes/resources.js";
import { probeLogs } from "../../src/probes/logs.js";
import { probeValidation } from "../../src/probes/validation.js";
import { assess } from "../../src/catalogue/check.js";
import { CATALOGUE } from "../../src/catalogue/catalogue.js";
import { checkpointContext } from "../support/checkpoint-context.js";
import { observationsOf } from "../../src/judge/judge-checkpoint.js";
import { startPipeline, type StartedPipeline } from "../support/pipeline-harness.js";
import { checkOf, describeChecks, envFor, runCheckpoint, tempReportsDir, writeConfig } from "../support/checkpoint-harness.js";

const judge = (ids: string[], measurements: Record<string, unknown>) =>
  Object.fromEntries(assess(checkpointContext(measurements), CATALOGUE.filter((d) => ids.includes(d.id)), () => "phase").map((r) => [r.id, r]));

describe("N/A by configuration (units)", () => {
  it("no pidfile and no metrics endpoint: the resources probe is N/A, and so are memory, CPU, growth and restarts", async () => {
    const target = targetSchema.parse({ process: { pidFile: null }, metrics: { path: null } });
    const r = await probeResources(target, { now: Date.now });
    expect(r.ok ? "ok" : `${r.failure}: ${r.message}`).toBe(
      "notApplicable: no pidfile and no metrics endpoint reachable from where the monitor runs (process.pidFile: null, metrics.path: null): memory, CPU and restarts are not measured here",
    );
    const checks = judge(["memory", "cpu", "memory-growth", "pipeline-restart"], { resources: r });
    for (const c of Object.values(checks)) {
      expect(c.notApplicable, c.id).toBe(true);
      expect(c.verdict, c.id).toBe("WARN"); // never a PASS
      expect(c.notMeasured, c.id).toBeUndefined(); // and not a FAIL "not measured"
      expect(c.value, c.id).toBe("N/A");
      expect(c.measured, c.id).toMatch(/^N\/A: no pidfile and no metrics endpoint/);
    }
    // no say in the alert rules (the watch's samples pass every check to them): memory-warning cannot fire on N/A
    const obs = observationsOf(Object.values(checks), "sample");
    for (const id of Object.keys(checks)) expect(obs[id]!.measured, id).toBe(false);
    // pipeline-up does not count an N/A source as down
    const up = judge(["pipeline-up"], { resources: r, health: { ok: true, durationMs: 1, data: { url: "http://x/health", httpStatus: 200, extraEndpoints: [] } } });
    expect(up["pipeline-up"]!.verdict).toBe("PASS");
  });

  it("logs.enabled: false -> the log probe is N/A and reads nothing; the log checks say N/A", async () => {
    const target = targetSchema.parse({ stateDir: "/nonexistent-state-dir", logs: { enabled: false } });
    const r = await probeLogs(target, { now: Date.now });
    expect(r.ok ? "ok" : `${r.failure}: ${r.message}`).toBe("notApplicable: the pipeline's log is not reachable from where the monitor runs (logs.enabled: false)");
    const checks = judge(["logs-streaming", "log-scan", "log-errors-since-cutover", "log-critical"], { logs: r, errorRate: { ok: false, failure: "target", message: "x", durationMs: 0 } });
    for (const c of Object.values(checks)) {
      expect(c.notApplicable, c.id).toBe(true);
      expect(c.measured, c.id).toMatch(/^N\/A: the pipeline's log is not reachable/);
    }
    // the pre-cutover readiness line names it apart from what was read and what failed
    const ready = judge(["monitoring-configured"], { logs: r, health: { ok: true, durationMs: 1, data: {} } });
    expect(ready["monitoring-configured"]!.verdict).toBe("PASS");
    expect(ready["monitoring-configured"]!.measured).toBe("configuration valid; 1/1 probes could read the target; N/A from here: logs");
  });

  it("validation.enabled: false -> the validation command is not run; the validation checks say N/A", async () => {
    const marker = `/tmp/validation-ran-${process.pid}-${Date.now()}`;
    const target = targetSchema.parse({ validation: { enabled: false, command: ["touch", marker] } });
    const r = await probeValidation(target, { now: Date.now });
    expect(r.ok ? "ok" : r.failure).toBe("notApplicable");
    expect(fs.existsSync(marker)).toBe(false);
    const checks = judge(["validation-ran", "validation-report", "validation-checks"], { validation: r });
    for (const c of Object.values(checks)) expect(c.notApplicable, c.id).toBe(true);
  });
});

describe("a checkpoint with a CI runner's standing against the reference pipeline", () => {
  let pl: StartedPipeline;
  let reportsDir: string;
  beforeAll(async () => {
    pl = await startPipeline({ version: "v2", interval: 1 });
    reportsDir = tempReportsDir("ci-standing-");
  });
  afterAll(async () => {
    await pl?.stop();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  it("--phase=auto runs the due slot and records it against its actual start; memory and CPU from /metrics (the record says so); the log and validation checks N/A in the record and on the dashboard", async () => {
    // The standing of deploy/ci/cutover.config.ts (test/deploy/ci-config.test.ts checks that file says the same).
    const config = writeConfig(reportsDir, { target: { process: { pidFile: null }, logs: { enabled: false }, validation: { enabled: false } } });
    // a cutover recorded 6 h 5 min ago: extended@06:00 is due, 5 minutes late (as a delayed CI cron starts it)
    const startedAt = new Date(Date.now() - (6 * 60 + 5) * 60_000).toISOString();
    fs.mkdirSync(`${reportsDir}/state`, { recursive: true });
    fs.writeFileSync(`${reportsDir}/state/cutover.json`, JSON.stringify({ version: 1, current: { startedAt, recordedBy: "hour0-elsewhere" }, previous: [] }));
    const run = await runCheckpoint(["--phase=auto", "--config", config], envFor(pl, reportsDir));
    expect(run.record, describeChecks(run)).not.toBeNull();
    expect(run.record).toMatchObject({ phase: "extended", scheduled_at: "06:00", scheduled_for: new Date(Date.parse(startedAt) + 6 * 3_600_000).toISOString() });
    expect(Date.parse(run.record!.timestamp) - Date.parse(run.record!.scheduled_for)).toBeGreaterThanOrEqual(5 * 60_000);
    const memory = checkOf(run.record, "memory");
    expect(["PASS", "WARN"], describeChecks(run)).toContain(memory.verdict);
    expect(memory.measured).toContain(`memory (RSS of the process metrics at ${pl.url}/metrics (no pidfile here))`);
    expect((memory as unknown as { evidence: Record<string, unknown> }).evidence).toMatchObject({ source: "metrics", pid: null });
    expect(checkOf(run.record, "cpu").measured).toContain("no pidfile here");
    expect(typeof run.record!.memory_mb).toBe("number");
    expect(typeof run.record!.cpu_percent).toBe("number");
    // the key metrics say N/A for the validation, not FAIL
    expect(run.record!.validation_status).toBe("N/A");
    expect(run.stdout).toContain("| Validation N/A |");
    const na = ["log-errors-since-cutover", "log-critical", "validation-ran", "validation-checks"];
    for (const id of na) {
      const c = checkOf(run.record, id) as unknown as Record<string, unknown>;
      expect(c.notApplicable, id).toBe(true);
      expect(c.value, id).toBe("N/A");
      expect(String(c.measured), id).toMatch(/^N\/A: /);
    }
    // the dashboard names them apart from the counted checks
    const line = run.stdout.split("\n").find((l) => l.includes("N/A (not configured):"));
    expect(line, run.stdout).toBeDefined();
    for (const id of na) expect(line).toContain(id);
    // N/A has no say in the verdict: none of them is among the record's failed or warned checks in the events log
    const events = fs.readFileSync(`${reportsDir}/monitoring_events.log`, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const summary = events.filter((e) => e.type === "checkpoint").at(-1);
    for (const id of na) expect(summary.not_measured).not.toContain(id);
  });
});
