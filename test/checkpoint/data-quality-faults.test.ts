/**
 * Issue 3 §5: data quality faults (nulls, duplicates, stale outputs, an output channel off) fail
 * the extended checkpoint's data-quality check; audit:off fails the hour-1 audit check although
 * the pipeline's own validation report says PASS. One cut-over pipeline is shared.
 */
import fs from "node:fs";
import path from "node:path";
import { vi, afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/pipeline-harness.js";
import { checkOf, describeChecks, prepareCutover, runCheckpoint, writeConfig, type PreparedCutover } from "../support/checkpoint-harness.js";

// Each checkpoint is a whole process tree (tsx, vitest, the target's commands) on 2 cores.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("data quality and audit faults", () => {
  let p: PreparedCutover;
  let cfg: string[];

  /** Wait until a run that started after now has finished (so the outputs reflect the fault). */
  async function nextRunFinished() {
    const since = new Date().toISOString();
    await waitFor(async () => {
      const h = await p.pipeline.health();
      return h.last_run && h.last_run.finished_at > since && new Date(h.last_run.run_id.slice(4, 19).replace(/(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)/, "$1-$2-$3T$4:$5:$6") + "Z").getTime() >= Date.parse(since) - 1000;
    }, 15_000, "a run after the fault", 100);
  }

  beforeAll(async () => {
    p = await prepareCutover();
    // Outputs older than 4 s are stale here (the default 120 s would make the test wait 2 minutes).
    cfg = ["--config", writeConfig(p.reportsDir, { target: { outputs: { local: { maxAgeSeconds: 4 } } } })];
  });
  afterAll(async () => {
    await p?.stop();
  });
  afterEach(async () => {
    await p.pipeline.setFaults([]);
  });

  const extended = () => runCheckpoint(["--phase=extended", ...cfg], p.env);

  it("nulls:5 -> extended.data-quality FAIL naming the nulls", async () => {
    await p.pipeline.setFaults(["nulls:5"]);
    await nextRunFinished();
    const r = await extended();
    expect(r.exitCode, describeChecks(r)).toBe(1);
    const c = checkOf(r.record, "extended.data-quality");
    expect(c.verdict).toBe("FAIL");
    expect(c.measured).toMatch(/10000 rows, 500 nulls/);
    expect(r.record!.decision.severity).toBe("CRITICAL");
  });

  it("duplicates:5 -> extended.data-quality FAIL naming the duplicates", async () => {
    await p.pipeline.setFaults(["duplicates:5"]);
    await nextRunFinished();
    const r = await extended();
    expect(r.exitCode, describeChecks(r)).toBe(1);
    const c = checkOf(r.record, "extended.data-quality");
    expect(c.verdict).toBe("FAIL");
    expect(c.measured).toMatch(/ 0 nulls, 500 duplicates/);
  });

  it("stale-outputs -> extended.data-quality FAIL (outputs not refreshed although runs succeed)", async () => {
    await p.pipeline.setFaults(["stale-outputs"]);
    await new Promise((r) => setTimeout(r, 6000));
    expect((await p.pipeline.health()).last_run.result).toBe("success");
    const r = await extended();
    expect(r.exitCode, describeChecks(r)).toBe(1);
    const c = checkOf(r.record, "extended.data-quality");
    expect(c.verdict).toBe("FAIL");
    expect(c.measured).toMatch(/newest output \d+ s old/);
    expect(c.measured).toMatch(/stale|old|fresh/i);
  });

  it("outputs:off -> extended.data-quality FAIL and the local output channel fails", async () => {
    await p.pipeline.setFaults(["outputs:off"]);
    await new Promise((r) => setTimeout(r, 6000));
    const r = await extended();
    expect(r.exitCode, describeChecks(r)).toBe(1);
    expect(checkOf(r.record, "extended.data-quality").verdict).toBe("FAIL");
    expect(checkOf(r.record, "extended.output-local").verdict).toBe("FAIL");
  });

  it("audit:off -> hour1 exits 1 with hour1.audit FAIL while the pipeline's own report says PASS", async () => {
    await p.pipeline.setFaults(["audit:off"]);
    const r = await runCheckpoint(["--phase=hour1", ...cfg], p.env);
    expect(r.exitCode, describeChecks(r)).toBe(1);
    const c = checkOf(r.record, "hour1.audit");
    expect(c.verdict).toBe("FAIL");
    expect(c.measured).toMatch(/wrote 0 audit events/);
    // The pipeline's own (deliberately weak) validation report still says PASS.
    const report = JSON.parse(fs.readFileSync(path.join(p.pipeline.dir, "production_validation_report.json"), "utf8"));
    expect(report.status).toBe("PASS");
    expect(report.checks.audit_trail.status).toBe("PASS");
    expect(r.record!.validation_status).toBe("PASS");
    expect(checkOf(r.record, "hour1.validation-checks").verdict).toBe("PASS");
    expect(r.record!.decision.severity).toBe("CRITICAL");
  });
});
