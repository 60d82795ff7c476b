/**
 * Detection matrix, part 2: data, audit trail, output channel, a broken metrics endpoint and a
 * pipeline that is down, each caught by a plain stability checkpoint (data quality and the output
 * channel are checked at every checkpoint after hour 0, so nulls written at 01:30 are found at the
 * next stability checkpoint, not at 06:00). Expectations are hand-written; see
 * test/support/detection-matrix.ts for what a row asserts.
 *
 * The checkpoints run in this process (runCheckpointInProcess: what `npm run checkpoint` runs, as
 * the watch runs it), except the pipeline-down row, which runs `npm run checkpoint` end to end.
 */
import fs from "node:fs";
import path from "node:path";
import { vi, afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/pipeline-harness.js";
import { checkOf, describeChecks, prepareCutover, runCheckpoint, runCheckpointInProcess, startStandIn, writeConfig, type PreparedCutover } from "../support/checkpoint-harness.js";
import { expectRow } from "../support/detection-matrix.js";

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

const BASE = {
  // Outputs older than 4 s are stale here (the default 120 s would make the test wait minutes).
  target: { kpi: { samples: 8 }, process: { cpuWindowMs: 600 }, windows: { minLookbackSeconds: 0 }, outputs: { local: { maxAgeSeconds: 4 } } },
  thresholds: { kpiLatencyP95Ms: { warnAt: 2000, failAt: 5000 }, cpuPercent: { warnAt: 95, failAt: 99 } },
};

describe("detection matrix: data, audit, outputs, metrics endpoint, pipeline down", () => {
  let p: PreparedCutover;
  let cfg: string[];
  const stability = (args: string[] = cfg) => runCheckpointInProcess(["--phase=stability", ...args], p.env);

  /** Wait until a run that started after now has finished (its outputs reflect the fault). */
  async function nextRunFinished() {
    const since = Date.now();
    await waitFor(async () => {
      const h = await p.pipeline.health();
      return h.last_run?.finished_at && Date.parse(h.last_run.finished_at) > since + 50 && Date.parse(h.last_run.started_at ?? h.last_run.finished_at) >= since;
    }, 60_000, "a run that started after the fault", 100);
  }

  beforeAll(async () => {
    p = await prepareCutover();
    cfg = ["--config", writeConfig(p.reportsDir, BASE, "matrix-data")];
    const first = await stability();
    expect(first.record!.firing ?? [], describeChecks(first)).toEqual([]);
  });
  afterAll(async () => {
    await p?.stop();
  });
  let recovers = true;
  afterEach(async () => {
    if (!recovers) return;
    await p.pipeline.setFaults([]);
    await nextRunFinished();
    // The first window after the clear can still hold runs made under the fault (between the
    // checkpoint and the clear); the next one is clean, and by then every alert must resolve.
    let r = await stability();
    if ((r.record!.firing ?? []).length) r = await stability();
    expect(r.record!.firing ?? [], `after clearing the fault every alert resolves\n${describeChecks(r)}`).toEqual([]);
  }, 120_000);

  it("nulls:5 written mid-run -> the next stability checkpoint: data-quality FAIL, data-quality-issue (CRITICAL, rollback recommended)", async () => {
    await p.pipeline.setFaults(["nulls:5"]);
    await nextRunFinished();
    // The next stability checkpoint catches it (the first one after a run made under the fault).
    const r = await stability();
    expectRow(r, { name: "nulls:5", fail: ["data-quality"], fires: [{ rule: "data-quality-issue", severity: "critical" }], decision: "CRITICAL", rollback: "recommended", exit: 1 });
    expect(checkOf(r.record, "data-quality").measured).toMatch(/500 nulls/);
  });

  it("duplicates:5 -> data-quality FAIL naming the duplicates, data-quality-issue", async () => {
    await p.pipeline.setFaults(["duplicates:5"]);
    await nextRunFinished();
    // The next stability checkpoint catches it (the first one after a run made under the fault).
    const r = await stability();
    expectRow(r, { name: "duplicates:5", fail: ["data-quality"], fires: [{ rule: "data-quality-issue", severity: "critical" }], decision: "CRITICAL", rollback: "recommended", exit: 1 });
    expect(checkOf(r.record, "data-quality").measured).toMatch(/ 0 nulls, 500 duplicates/);
  });

  it("stale-outputs -> output-local FAIL (runs succeed, outputs not rewritten), output-channel-down (HIGH)", async () => {
    await p.pipeline.setFaults(["stale-outputs"]);
    const outputs = path.join(p.pipeline.dir, "outputs");
    await waitFor(() => {
      const newest = Math.max(...fs.readdirSync(outputs).map((f) => fs.statSync(path.join(outputs, f)).mtimeMs));
      return Date.now() - newest > 5000;
    }, 60_000, "outputs older than 5 s", 200);
    expect((await p.pipeline.health()).last_run.result).toBe("success");
    const r = await stability();
    expectRow(r, { name: "stale-outputs", fail: ["output-local"], fires: [{ rule: "output-channel-down", severity: "critical" }], decision: "HIGH", exit: 1 });
    expect(checkOf(r.record, "output-local").measured).toMatch(/newest \d+ s old/);
  });

  it("audit:off -> audit checks FAIL although the pipeline is otherwise healthy, audit-trail-failure (CRITICAL, rollback now)", async () => {
    await p.pipeline.setFaults(["audit:off"]);
    await nextRunFinished();
    // The next stability checkpoint catches it (the first one after a run made under the fault).
    const r = await stability();
    expectRow(r, { name: "audit:off", fail: ["audit-own-calculation", "audit-events"], fires: [{ rule: "audit-trail-failure", severity: "critical" }], decision: "CRITICAL", rollback: "now", exit: 1 });
    expect(checkOf(r.record, "audit-own-calculation").measured).toMatch(/wrote 0 audit events/);
  });

  it("a broken /metrics (HTTP 500) -> error rate not measured, pipeline-down only: no error-rate alert, no rollback", async () => {
    const standIn = await startStandIn(() => ({ status: 500, body: "internal error" }));
    try {
      const broken = ["--config", writeConfig(p.reportsDir, { ...BASE, target: { ...BASE.target, metrics: { path: `${standIn.url}/metrics` } } }, "broken-metrics")];
      const r = await stability(broken);
      expectRow(r, { name: "broken /metrics", fail: ["pipeline-up", "error-rate"], notMeasured: ["error-rate"], fires: [{ rule: "pipeline-down", severity: "critical" }], decision: "HIGH", exit: 1 });
      expect(checkOf(r.record, "pipeline-up").measured).toMatch(/metrics/);
      expect(r.record!.error_rate_percent).toBeNull();
    } finally {
      await standIn.close();
    }
  });

  it("pipeline down -> one alert, pipeline-down (HIGH); what it made unmeasurable is shown as not measured", async () => {
    recovers = false;
    // `pipeline stop` (its files stay, as after a crash); outputs judged with the default age so
    // that the row does not depend on how long the checkpoint takes to start.
    const stopped = await p.pipeline.cli(["stop"]);
    expect(stopped.exitCode).toBe(0);
    const r = await runCheckpoint(["--phase=stability", "--config", writeConfig(p.reportsDir, { ...BASE, target: { ...BASE.target, outputs: { local: { maxAgeSeconds: 120 } } } }, "down")], p.env);
    const unmeasurable = ["health", "kpi-latency", "kpi-latency-consistent", "error-rate", "memory", "memory-growth", "cpu", "pipeline-restart", "audit-own-calculation", "audit-events"];
    expectRow(r, { name: "pipeline down", fail: ["pipeline-up", ...unmeasurable], notMeasured: unmeasurable, fires: [{ rule: "pipeline-down", severity: "critical" }], decision: "HIGH", exit: 1 });
    expect(checkOf(r.record, "pipeline-up").notMeasured).toBeUndefined();
    expect(r.record!.pipeline_status).toBe("unreachable");
    expect(r.record!.kpi_latency_ms).toBeNull();
    expect(r.stdout).toMatch(/NOT MEASURED/);
    expect(r.stdout).not.toMatch(/CPU > \d+%|Latency > \d+ms/);
  });
});
