/**
 * Issue 8 §1: a crash between claiming a rollback and running it must not disable rollback for
 * the incident. The claim carries a lease and its owner; a checkpoint that finds the claim
 * abandoned says so loudly and takes the rollback over; a live claim (its process or its
 * command still running) is never doubled.
 *
 * One cut-over pipeline for the file; each describe has a monitor state of its own (a copy of the
 * reports dir taken after the cutover, PreparedCutover.fork) and its own gate. The describe whose
 * rollback never runs comes first: the other one rolls the pipeline back to V1. The checkpoints that
 * are killed run as processes (`npm run checkpoint`); the ones after them run in this process
 * (runCheckpointInProcess: what the CLI runs, as the watch runs it).
 */
import fs from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { vi, afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, describeChecks, prepareCutover, runCheckpointInProcess, writeConfig, type PreparedCutover } from "../support/checkpoint-harness.js";

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

const GATED = path.join(ROOT, "test", "checkpoint", "fixtures", "gated-command.mjs");

/** A checkpoint in its own process group; resolves once its stdout shows `marker`. */
async function startCheckpointUntil(args: string[], env: Record<string, string>, marker: RegExp) {
  const child = execa(process.execPath, ["bin/cutover-monitor.mjs", "checkpoint", ...args], {
    cwd: ROOT,
    reject: false,
    detached: true,
    stdin: "ignore",
    timeout: 180_000,
    env: { NO_COLOR: "1", SLACK_WEBHOOK_URL: "", PAGERDUTY_ROUTING_KEY: "", SMTP_HOST: "", ALERT_WEBHOOK_URL: "", ...env },
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (marker.test(out)) resolve();
    });
    child.on("exit", () => reject(new Error(`checkpoint ended before ${marker}:\n${out}`)));
  });
  return { child, output: () => out };
}

/** The file's cut-over pipeline, and a copy of its monitor state taken right after the cutover. */
let cutover: PreparedCutover;
let forked: PreparedCutover;
beforeAll(async () => {
  cutover = await prepareCutover();
  forked = cutover.fork();
});
afterAll(async () => {
  await cutover?.stop();
});

/** Registers the describe's hook: its monitor state, whose rollback command waits for the file `gate`. */
function useGatedCutover(state: () => PreparedCutover) {
  const g = {} as { p: PreparedCutover; gate: string; cfg: string[] };
  beforeAll(() => {
    const p = state();
    const gate = path.join(p.reportsDir, "gate");
    // Windows since the previous checkpoint (minimum lookback 0): errors:20 is judged on the traffic
    // made under it, not diluted by the healthy traffic of the cutover's first minutes.
    const cfg = ["--config", writeConfig(p.reportsDir, { target: { windows: { minLookbackSeconds: 0 }, rollback: { command: ["node", GATED, gate, "node_modules/.bin/tsx", "pipeline/cli.ts", "rollback"] } } })];
    Object.assign(g, { p, gate, cfg });
  });
  return g;
}

function rollbackFile(reportsDir: string) {
  return JSON.parse(fs.readFileSync(path.join(reportsDir, "state", "rollback.json"), "utf8")) as { attempts: any[] };
}

async function waitFor<T>(what: string, get: () => T | undefined | null | false): Promise<T> {
  for (let i = 0; i < 2_000; i++) {
    const v = get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// First: its rollback command never gets past the gate (the pipeline stays on V2).
describe("the checkpoint dies but its rollback command lives on", () => {
  const g = useGatedCutover(() => forked);

  it("the claim stays live while the command runs: no second rollback executes", async () => {
    const { p, gate, cfg } = g;
    await p.pipeline.setFaults(["errors:20"]);
    const first = await startCheckpointUntil(["--phase=stability", "--auto-rollback", ...cfg], p.env, /ROLLBACK NOW/);
    const claim = await waitFor("the command's pid in the claim", () => rollbackFile(p.reportsDir).attempts.find((a) => a.owner?.commandPid));
    process.kill(first.child.pid!, "SIGKILL"); // the checkpoint only: its rollback command is orphaned, still running
    await first.child;
    const commandPid: number = claim.owner.commandPid;
    try {
      const next = await runCheckpointInProcess(["--phase=stability", "--auto-rollback", ...cfg], p.env);
      expect(next.stdout, describeChecks(next)).toMatch(/Rollback in progress for this cutover: claimed at .* by pid \d+/);
      expect(next.stdout).not.toMatch(/^ROLLBACK NOW:|TAKEN OVER/m);
      expect(rollbackFile(p.reportsDir).attempts).toHaveLength(1);
    } finally {
      try {
        process.kill(commandPid, "SIGKILL"); // the orphan this test's checkpoint started
      } catch {
        /* already gone */
      }
    }
  });
});

describe("kill -9 of the checkpoint right after ROLLBACK NOW", () => {
  const g = useGatedCutover(() => cutover);

  it("the abandoned claim is reported loudly; without --auto-rollback the rollback is recommended again", async () => {
    const { p, gate, cfg } = g;
    await p.pipeline.setFaults(["errors:20"]);
    const first = await startCheckpointUntil(["--phase=stability", "--auto-rollback", ...cfg], p.env, /ROLLBACK NOW/);
    // The claim (with its owner and lease) is on disk before the command runs.
    const claim = await waitFor("the claim", () => rollbackFile(p.reportsDir).attempts.find((a) => a.status === "running" && a.owner?.commandPid));
    expect(claim.owner.pid).toBe(first.child.pid);
    expect(Date.parse(claim.leaseUntil)).toBeGreaterThan(Date.parse(claim.startedAt));
    process.kill(-first.child.pid!, "SIGKILL"); // the checkpoint and the rollback command it started
    await first.child;
    expect(rollbackFile(p.reportsDir).attempts.map((a) => a.status)).toEqual(["running"]);
    expect((await p.pipeline.health()).version).toBe("v2");

    const next = await runCheckpointInProcess(["--phase=stability", ...cfg], p.env);
    expect(next.exitCode, describeChecks(next)).toBe(1);
    expect(next.stdout).toMatch(/ROLLBACK CLAIM ABANDONED: the rollback claimed at .* by pid \d+ on .* never finished \(its process is gone\)/);
    expect(next.stdout).toMatch(/ROLLBACK RECOMMENDED/);
    expect(next.stdout).not.toMatch(/already attempted/);
    const abandoned = next.record!.alerts.find((a: any) => a.ruleId === "rollback-abandoned");
    expect(abandoned?.severity, JSON.stringify(next.record!.alerts)).toBe("critical");
    expect(rollbackFile(p.reportsDir).attempts.map((a) => a.status)).toEqual(["abandoned"]);

    // Reported once: the next checkpoint does not announce the same abandoned claim again.
    const again = await runCheckpointInProcess(["--phase=stability", ...cfg], p.env);
    expect(again.stdout).not.toMatch(/ROLLBACK CLAIM ABANDONED/);
  });

  it("--auto-rollback takes the abandoned claim over and rolls back, once", async () => {
    const { p, gate, cfg } = g;
    fs.writeFileSync(gate, "open");
    const r = await runCheckpointInProcess(["--phase=stability", "--auto-rollback", ...cfg], p.env);
    expect(r.exitCode, describeChecks(r)).toBe(1);
    expect(r.stdout).toMatch(/ROLLBACK TAKEN OVER: the rollback claimed at/);
    expect(r.stdout).toMatch(/ROLLBACK EXECUTED/);
    expect(r.record!.rollback?.status, JSON.stringify(r.record!.rollback)).toBe("succeeded");
    expect((await p.pipeline.health()).version).toBe("v1");
    const attempts = rollbackFile(p.reportsDir).attempts;
    expect(attempts.map((a) => a.status)).toEqual(["abandoned", "succeeded"]);
    expect(attempts[0].takenOverBy).toBe(attempts[1].startedAt);
  });
});
