/**
 * Issue 4 §6/§7: the guarded rollback on the real reference pipeline. --auto-rollback with a
 * CRITICAL error rate executes and verifies the rollback; later checkpoints report it. A failing
 * rollback command is reported as a critical notice and never attempted twice.
 */
import { vi, afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOf, describeChecks, prepareCutover, runCheckpoint, writeConfig, type PreparedCutover } from "../support/checkpoint-harness.js";

// Each checkpoint is a whole process tree (tsx, vitest, the target's commands) on 2 cores.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("--auto-rollback with errors:20", () => {
  let p: PreparedCutover;
  beforeAll(async () => {
    p = await prepareCutover();
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("rolls back, verifies V1 and the data, records succeeded; the next checkpoint reports ROLLED BACK", async () => {
    await p.pipeline.setFaults(["errors:20"]);
    const r = await runCheckpoint(["--phase=stability", "--auto-rollback"], p.env);
    expect(r.exitCode, describeChecks(r)).toBe(1);
    expect(checkOf(r.record, "error-rate").verdict).toBe("FAIL");
    expect(r.record!.decision.severity).toBe("CRITICAL");
    expect(r.record!.rollback?.status, JSON.stringify(r.record!.rollback)).toBe("succeeded");
    expect(r.record!.rollback.verification.version).toBe("v1");
    expect(r.record!.pipeline_status).toBe("rolled_back");
    expect(r.stdout).toMatch(/ROLLBACK EXECUTED/);
    expect(r.record!.alerts.some((a: any) => a.ruleId === "rollback-executed")).toBe(true);
    expect((await p.pipeline.health()).version).toBe("v1");

    await p.pipeline.setFaults([]);
    const next = await runCheckpoint(["--phase=stability"], p.env);
    expect(next.exitCode).toBe(1);
    expect(next.stdout).toMatch(/ROLLED BACK/);
  });
});

describe("a rollback command that fails", () => {
  let p: PreparedCutover;
  let cfg: string[];
  beforeAll(async () => {
    p = await prepareCutover();
    cfg = ["--config", writeConfig(p.reportsDir, { target: { rollback: { command: ["node", "-e", "process.exit(3)"] } } })];
  });
  afterAll(async () => {
    await p?.stop();
  });

  it("-> status failed, a critical rollback-failed notice; a second failing checkpoint does not attempt again", async () => {
    await p.pipeline.setFaults(["errors:20"]);
    const r = await runCheckpoint(["--phase=stability", "--auto-rollback", ...cfg], p.env);
    expect(r.exitCode, describeChecks(r)).toBe(1);
    expect(r.record!.rollback?.status, JSON.stringify(r.record!.rollback)).toBe("failed");
    expect(r.record!.rollback.error).toMatch(/exited 3/);
    const notice = r.record!.alerts.find((a: any) => a.ruleId === "rollback-failed");
    expect(notice, JSON.stringify(r.record!.alerts)).toBeTruthy();
    expect(notice.severity).toBe("critical");
    expect(r.stdout).toMatch(/ROLLBACK FAILED/);
    expect((await p.pipeline.health()).version).toBe("v2");

    const again = await runCheckpoint(["--phase=stability", "--auto-rollback", ...cfg], p.env);
    expect(again.exitCode).toBe(1);
    expect(again.record!.rollback ?? null).toBeNull();
    expect(again.stdout).toMatch(/not attempted again/);
    expect(again.record!.alerts.some((a: any) => /rollback-(failed|executed)/.test(a.ruleId))).toBe(false);
  });
});
