/**
 * Issue 3 §5: faults injected into the live reference pipeline, caught by a plain stability
 * checkpoint. One cut-over pipeline is shared; each test sets its fault and clears it after.
 */
import { vi, afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { metrics, waitFor } from "../support/pipeline-harness.js";
import { checkOf, checksWith, describeChecks, postKpis, prepareCutover, runCheckpoint, writeConfig, type PreparedCutover } from "../support/checkpoint-harness.js";

// Each checkpoint is a whole process tree (tsx, vitest, the target's commands) on 2 cores.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("stability checkpoint catches injected faults", () => {
  let p: PreparedCutover;
  const stability = () => runCheckpoint(["--phase=stability"], p.env);

  beforeAll(async () => {
    p = await prepareCutover();
    // A first stability checkpoint: the error-rate window and the alert state start clean.
    await stability();
  });
  afterAll(async () => {
    await p?.stop();
  });
  afterEach(async () => {
    await p.pipeline.setFaults([]);
    // Close the window the fault wrote into, so the next test's window starts clean.
    await stability();
  }, 120_000);

  // 10 latency samples instead of 30 keep a 700 ms fault from costing 21 s per checkpoint.
  const fewSamples = () => ["--config", writeConfig(p.reportsDir, { target: { kpi: { samples: 10 } } }, "few-samples")];

  it("latency:300 -> exit 0, stability.latency WARN, shown in the output", async () => {
    await p.pipeline.setFaults(["latency:300"]);
    const r = await runCheckpoint(["--phase=stability", ...fewSamples()], p.env);
    expect(r.exitCode, describeChecks(r)).toBe(0);
    const c = checkOf(r.record, "stability.latency");
    expect(c.verdict).toBe("WARN");
    expect(c.measured).toMatch(/p95 \d+(\.\d+)? ms end to end/);
    expect(r.stdout).toMatch(/WARN\s+Check KPI calculation latency/);
    expect(r.record!.kpi_latency_ms).toBeGreaterThanOrEqual(300);
    expect(r.record!.kpi_latency_ms).toBeLessThan(500);
  });

  it("latency:700 -> exit 1, stability.latency FAIL", async () => {
    await p.pipeline.setFaults(["latency:700"]);
    const r = await runCheckpoint(["--phase=stability", ...fewSamples()], p.env);
    expect(r.exitCode, describeChecks(r)).toBe(1);
    const c = checkOf(r.record, "stability.latency");
    expect(c.verdict).toBe("FAIL");
    expect(c.threshold).toMatch(/500/);
    expect(r.stdout).toMatch(/FAIL\s+Check KPI calculation latency/);
  });

  it("errors:20 -> exit 1, stability.error-rate FAIL, CRITICAL decision: rollback", async () => {
    await p.pipeline.setFaults(["errors:20"]);
    const r = await stability();
    expect(r.exitCode, describeChecks(r)).toBe(1);
    const c = checkOf(r.record, "stability.error-rate");
    expect(c.verdict).toBe("FAIL");
    expect(c.measured).toMatch(/error rate 1\d(\.\d+)? %: \d+\/\d+ KPI requests failed/);
    expect(r.record!.error_rate_percent).toBeGreaterThan(5);
    expect(r.record!.decision.severity).toBe("CRITICAL");
    expect(r.record!.decision.rollback).toBe("now");
    expect(r.record!.decision.action).toMatch(/rollback/i);
    expect(r.stdout).toMatch(/ROLLBACK RECOMMENDED/);
  });

  it("errors:1 over >= 100 requests -> stability.error-rate WARN", async () => {
    await p.pipeline.setFaults(["errors:1"]);
    // errors:P fails the n-th request iff floor(n*P/100) grows: at 1 % the 100th. Fill the window.
    const counts = await postKpis(p.pipeline.url, 100);
    expect(counts[500]).toBe(1);
    const r = await stability();
    const c = checkOf(r.record, "stability.error-rate");
    expect(c.verdict, describeChecks(r)).toBe("WARN");
    expect(c.measured).toMatch(/error rate \d\.\d+ %: 1\/1\d\d KPI requests failed/);
    expect(r.stdout).toMatch(/WARN\s+Monitor error rate/);
    expect(r.record!.decision.rollback).toBe("no");
    // The failed request's ERROR log line is the error rate's failure: judged by its band (WARN),
    // not a second, harsher verdict. Nothing fails, so a warning never fails the job.
    expect(checksWith(r.record, "FAIL"), describeChecks(r)).toEqual([]);
    expect(checkOf(r.record, "stability.zero-log-errors").verdict).toBe("WARN");
    expect(checkOf(r.record, "stability.zero-log-errors").measured).toMatch(/ERROR lines are the \d+ failed requests\/runs of the error rate/);
    expect(r.exitCode).toBe(0);
  });

  it("cpu:90 -> stability.cpu FAIL", async () => {
    await p.pipeline.setFaults(["cpu:90"]);
    // The burn settles on its feedback loop; on a busy 2-core machine (the other test file runs a
    // pipeline too) wait until the process really burns > 85 % of a core before checking.
    await waitFor(async () => {
      const a = (await metrics(p.pipeline.url)).get("process_cpu_seconds_total") ?? 0;
      await new Promise((r) => setTimeout(r, 1000));
      const b = (await metrics(p.pipeline.url)).get("process_cpu_seconds_total") ?? 0;
      return b - a > 0.85;
    }, 60_000, "the pipeline burning > 85 % of a core", 100);
    const r = await stability();
    expect(r.exitCode, describeChecks(r)).toBe(1);
    const c = checkOf(r.record, "stability.cpu");
    expect(c.verdict, c.measured).toBe("FAIL");
    expect(r.record!.cpu_percent).toBeGreaterThan(80);
    expect(r.stdout).toMatch(/FAIL\s+Check CPU utilization/);
  });

  it("leak -> stability.memory FAIL once past 500 MB", async () => {
    await p.pipeline.setFaults(["leak:3000"]);
    await waitFor(async () => ((await metrics(p.pipeline.url)).get("process_resident_memory_bytes") ?? 0) > 520 * 1024 * 1024, 30_000, "RSS > 520 MB", 500);
    const r = await stability();
    expect(r.exitCode, describeChecks(r)).toBe(1);
    const c = checkOf(r.record, "stability.memory");
    expect(c.verdict, c.measured).toBe("FAIL");
    expect(r.record!.memory_mb).toBeGreaterThan(500);
    expect(r.stdout).toMatch(/FAIL\s+Review memory usage/);
  });
});
