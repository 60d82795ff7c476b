/**
 * The healthy soak: every checkpoint of the default schedule (hour0 through final, with the
 * attestations recorded before the final phase), run back to back with --at (`checkpoint
 * --rehearse`, one process) on a healthy reference pipeline. Every checkpoint exits 0, no check
 * FAILs and no alert fires: checkpoints closer together than the pipeline's run interval must not
 * fail for want of activity, and nothing carried over from an earlier checkpoint cries wolf. The
 * Data Quality Lead's sign-off is left missing: the final phase shows it as a WARN "awaiting
 * sign-off" without an alert, never a FAIL.
 *
 * One pass: a second one (another pipeline, every sign-off recorded) ran the same 19 checkpoints
 * again; test/monitor/watch-healthy.test.ts follows three more healthy cutovers through every
 * phase (the watch, other schedules, time compressed).
 *
 * The bands are widened here (latency, CPU) because this test is about the monitor's verdicts on
 * a healthy pipeline, not about how much CPU a shared 2-core machine gives it; the fault matrix
 * (detection-matrix-*.test.ts) proves the default bands catch real faults.
 */
import fs from "node:fs";
import path from "node:path";
import { vi, afterAll, describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULE } from "../../src/config/schedule.js";
import { startPipeline, type StartedPipeline } from "../support/pipeline-harness.js";
import { ALL_ATTESTATIONS, attest, checksWith, describeChecks, envFor, readRecords, runCheckpoint, tempReportsDir, writeConfig } from "../support/checkpoint-harness.js";

vi.setConfig({ testTimeout: 600_000, hookTimeout: 120_000 });

const PASSES = 1;

describe("healthy soak: the whole schedule", () => {
  const started: StartedPipeline[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const p of started) await p.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function pass(n: number): Promise<string[]> {
    const pipeline = await startPipeline({ version: "v1", interval: 2 });
    started.push(pipeline);
    const reportsDir = tempReportsDir(`soak-${n}-`);
    dirs.push(reportsDir);
    const env = envFor(pipeline, reportsDir);
    const cfg = [
      "--config",
      writeConfig(reportsDir, {
        target: { kpi: { samples: 6 }, process: { cpuWindowMs: 300 }, testSuite: { expectedTotal: 29 } },
        thresholds: { kpiLatencyP95Ms: { warnAt: 2000, failAt: 5000 }, cpuPercent: { warnAt: 95, failAt: 99 } },
      }),
    ];
    const problems: string[] = [];
    // The Data Quality Lead's signature stays missing: "awaiting sign-off", never a FAIL.
    await attest(env, n === PASSES ? ALL_ATTESTATIONS.filter((a) => a !== "signoff-data-quality") : ALL_ATTESTATIONS, "Soak Tester", cfg);
    // The schedule back to back in one process (`checkpoint --rehearse`), each checkpoint labelled
    // with its --at, as a team rehearses a cutover against a staging pipeline.
    const run = await runCheckpoint(["--rehearse", ...cfg], env, { timeoutMs: 600_000 });
    if (run.exitCode !== 0) problems.push(`pass ${n}: rehearsal exit ${run.exitCode}\n${run.stdout.split("\n").filter((l) => /rehearsal:|FAIL|Alerts/.test(l)).join("\n")}\n${run.stderr.slice(-2000)}`);
    for (const rec of readRecords(reportsDir)) {
      const where = `pass ${n} ${rec.phase} @ ${rec.scheduled_at}`;
      if (rec.exit_code !== 0) problems.push(`${where}: exit ${rec.exit_code}\n${describeChecks(rec)}`);
      else if (checksWith(rec, "FAIL").length || (rec.firing ?? []).length || rec.alerts.length) problems.push(`${where}: FAIL or alert\n${describeChecks(rec)}\nfiring: ${JSON.stringify(rec.firing)}`);
      if (n === PASSES && rec.phase === "final") {
        const signoff = (rec.checks as { id: string; verdict: string; measured: string; rules?: string[] }[]).find((c) => c.id === "attest.signoff-data-quality");
        if (signoff?.verdict !== "WARN" || !/awaiting sign-off/.test(signoff.measured) || signoff.rules?.length) problems.push(`${where}: the missing sign-off is not a WARN "awaiting sign-off" without an alert: ${JSON.stringify(signoff)}`);
        if (rec.decision.rollback !== "no" || !["LOW", "MEDIUM"].includes(rec.decision.severity)) problems.push(`${where}: a missing sign-off gave decision ${rec.decision.severity} / rollback ${rec.decision.rollback}`);
      }
    }
    const labels = readRecords(reportsDir).map((r) => `${r.phase}@${r.scheduled_at}`);
    const expected = DEFAULT_SCHEDULE.map((s) => `${s.phase}@${s.at}`);
    if (labels.join(" ") !== expected.join(" ")) problems.push(`pass ${n}: ran ${labels.join(" ")}; the schedule is ${expected.join(" ")}`);
    const events = fs.readFileSync(path.join(reportsDir, "monitoring_events.log"), "utf8");
    if (/"type":"alert_fired"/.test(events)) problems.push(`pass ${n}: an alert_fired event in monitoring_events.log`);
    return problems;
  }

  it("every checkpoint exits 0, no FAIL, no alert fired; the missing sign-off is a WARN awaiting sign-off", async () => {
    const problems = (await Promise.all(Array.from({ length: PASSES }, (_, i) => pass(i + 1)))).flat();
    expect(problems.join("\n\n")).toBe("");
  });
});
