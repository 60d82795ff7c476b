/**
 * Detection matrix, part 3: the pipeline process restarts under its supervisor (the reference
 * pipeline's `start --supervise`, as systemd's Restart=on-failure). One restart since the previous
 * checkpoint is a WARN with a warning alert; a second within the hour a FAIL with a critical one.
 * The checkpoints run in this process (runCheckpointInProcess: what `npm run checkpoint` runs, as
 * the watch runs it), the second restart's through `npm run checkpoint` end to end.
 */
import { vi, afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPidFile, waitFor } from "../support/pipeline-harness.js";
import { checkOf, describeChecks, prepareCutover, runCheckpoint, runCheckpointInProcess, writeConfig, type PreparedCutover } from "../support/checkpoint-harness.js";
import { expectRow } from "../support/detection-matrix.js";

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("detection matrix: restarts", () => {
  let p: PreparedCutover;
  let cfg: string[];
  const stability = () => runCheckpointInProcess(["--phase=stability", ...cfg], p.env);

  async function restartOnce() {
    const before = readPidFile(p.pipeline.dir);
    await p.pipeline.cli(["fault", "restart"]);
    await waitFor(() => {
      const now = readPidFile(p.pipeline.dir);
      return now !== undefined && now !== before;
    }, 60_000, "a new service pid in the pidfile", 100);
    await waitFor(async () => (await p.pipeline.health().catch(() => null))?.status === "ok", 60_000, "health ok after the restart", 100);
  }

  beforeAll(async () => {
    p = await prepareCutover({ start: { supervise: true, restartDelayMs: 200 } });
    cfg = ["--config", writeConfig(p.reportsDir, { target: { kpi: { samples: 8 }, process: { cpuWindowMs: 600 }, windows: { minLookbackSeconds: 0 } }, thresholds: { kpiLatencyP95Ms: { warnAt: 2000, failAt: 5000 }, cpuPercent: { warnAt: 95, failAt: 99 } } }, "matrix-process")];
    const first = await stability();
    expectRow(first, { name: "supervised, healthy", fires: [], decision: first.record!.decision.severity === "LOW" ? "LOW" : "NONE", exit: 0 });
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("one restart -> pipeline-restart WARN, pipeline-restart-warning (LOW), exit 0", async () => {
    await restartOnce();
    const r = await stability();
    expectRow(r, { name: "restart x1", warn: ["pipeline-restart"], fires: [{ rule: "pipeline-restart-warning", severity: "warning" }], decision: "LOW", exit: 0 });
    expect(checkOf(r.record, "pipeline-restart").measured).toMatch(/restarted since the previous checkpoint/);
  });

  it("a second restart within the hour -> pipeline-restart FAIL, pipeline-restarted (HIGH), exit 1", async () => {
    await restartOnce();
    const r = await runCheckpoint(["--phase=stability", ...cfg], p.env);
    expectRow(r, { name: "restart x2", fail: ["pipeline-restart"], fires: [{ rule: "pipeline-restarted", severity: "critical" }], decision: "HIGH", exit: 1 });
    expect(checkOf(r.record, "pipeline-restart").value, describeChecks(r)).toBe(2);
  });
});
