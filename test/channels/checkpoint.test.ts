/**
 * Issue 11's "done when", through the real command line: a pipeline writing to its local files,
 * Azure (Azurite) and Supabase (PostgreSQL 15) passes a stability checkpoint on every channel;
 * then one wrong number written to one channel (the KPI drift, a corrupt row) is caught at the next
 * checkpoint, named by channel, rule and row, and raises the data-quality alert. The secrets reach
 * the monitor by environment variable only and appear nowhere in what it writes.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { checkOf, describeChecks, runCheckpoint, tempReportsDir, writeConfig, type CheckpointEnv } from "../support/checkpoint-harness.js";
import { OUTPUT_CHECKS, startChannelPipeline, startServices, type ChannelPipeline, type Services } from "./support.js";

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("three output channels through `npm run checkpoint`", () => {
  let s: Services;
  let p: ChannelPipeline;
  let reportsDir: string;
  let env: CheckpointEnv;
  let cfg: string[];
  const stability = () => runCheckpoint(["--phase=stability", ...cfg], env);
  const firing = (r: Awaited<ReturnType<typeof stability>>) => ((r.record?.firing ?? []) as { rule: string; muted: unknown }[]).filter((f) => !f.muted).map((f) => f.rule);

  beforeAll(async () => {
    s = await startServices();
    p = await startChannelPipeline(s, { container: "checkpoint-outputs", schema: "outputs_checkpoint", interval: 1 });
    reportsDir = tempReportsDir("channels-checkpoint-");
    env = { PIPELINE_DIR: p.dir, PIPELINE_PORT: String(p.port), CUTOVER_REPORTS_DIR: reportsDir, ...s.env };
    cfg = [
      "--config",
      writeConfig(reportsDir, {
        target: {
          kpi: { samples: 6 },
          process: { cpuWindowMs: 400 },
          outputs: { local: { inputFile: p.input, maxAgeSeconds: 30 }, azure: { container: p.container, maxAgeSeconds: 30 }, supabase: { schema: p.schema, maxAgeSeconds: 30 } },
        },
        thresholds: { kpiLatencyP95Ms: { warnAt: 2000, failAt: 5000 }, cpuPercent: { warnAt: 95, failAt: 99 } },
      }),
    ];
  });
  afterAll(async () => {
    await p?.stop();
    await s?.stop();
    if (reportsDir) fs.rmSync(reportsDir, { recursive: true, force: true });
  });

  it("healthy: every channel's output and data-quality checks PASS and they reconcile; no output alert", async () => {
    const r = await stability();
    for (const id of OUTPUT_CHECKS) expect(checkOf(r.record, id).verdict, `${id}\n${describeChecks(r)}`).toBe("PASS");
    expect(checkOf(r.record, "data-quality").value).toBe(100);
    expect(firing(r)).not.toContain("data-quality-issue");
    expect(firing(r)).not.toContain("output-channel-down");
  });

  it("one wrong number in Azure's KPI results is caught at the next checkpoint: data-quality-azure FAIL (kpi: PAR30), data-quality-issue, exit 1", async () => {
    await p.fault("azure:drift");
    await p.nextRun();
    const r = await stability();
    const c = checkOf(r.record, "data-quality-azure");
    expect(c.verdict, describeChecks(r)).toBe("FAIL");
    expect(c.measured).toMatch(/^Azure runs\/run_\S+\/loans_processed\.csv \(run run_\S+\): .*; FAIL .*kpi: PAR30 [\d.]+ in the KPI results, [\d.]+ recomputed from the rows/);
    for (const id of ["data-quality", "data-quality-supabase", "output-local", "output-azure", "output-supabase", "output-reconciliation"]) expect(checkOf(r.record, id).verdict, `${id}\n${describeChecks(r)}`).toBe("PASS");
    expect(firing(r)).toContain("data-quality-issue");
    expect(r.record!.decision.severity).toBe("CRITICAL");
    expect(r.exitCode).toBe(1);
  });

  it("a corrupt row in Supabase is named by channel, rule and row; the secrets appear nowhere in the reports", async () => {
    await p.fault("clear");
    await p.fault("supabase:corrupt");
    await p.nextRun();
    const r = await stability();
    const c = checkOf(r.record, "data-quality-supabase");
    expect(c.verdict, describeChecks(r)).toBe("FAIL");
    expect(c.measured).toMatch(/non-negative: 1 row \(dpd_0_7_usd: 1\), e\.g\. row 1001 L0001001 dpd_0_7_usd="-[\d.]+" \(negative\)/);
    expect(c.measured).toMatch(/sum: 1 row \(total_receivable_usd: 1\), e\.g\. row 1001 L0001001/);
    expect(checkOf(r.record, "data-quality-azure").verdict).toBe("PASS");
    expect(firing(r)).toContain("data-quality-issue");
    const written = fs.readdirSync(reportsDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => fs.readFileSync(path.join(d.parentPath, d.name), "utf8")).join("\n") + r.stdout + r.stderr;
    const key = s.env.AZURE_STORAGE_CONNECTION_STRING.match(/AccountKey=([^;]+)/)![1]!;
    expect(written).not.toContain(key);
    const pw = new URL(s.pgUrl).password;
    if (pw.length >= 8) expect(written).not.toContain(pw);
  });
});
