/**
 * Issue 8 §8, §9, §14: `--at` takes only real times; `--json` keeps stdout pure JSON even with
 * --verbose; a checkpoint after hour0 with no cutover recorded says so first and is marked.
 */
import fs from "node:fs";
import { vi, afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import { checkOf, describeChecks, envFor, runCheckpoint, runCheckpointInProcess, tempReportsDir, writeConfig } from "../support/checkpoint-harness.js";
import { startPipeline, type StartedPipeline } from "../support/pipeline-harness.js";

vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("--at accepts HH:MM from 00:00 to 24:00 or an ISO time, nothing else", () => {
  const dir = tempReportsDir();
  const env = { PIPELINE_DIR: dir, PIPELINE_PORT: "1", CUTOVER_REPORTS_DIR: dir };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The first through `npm run checkpoint` (its error boundary), the others in this process
  // (runCheckpointInProcess: the same loadConfig and runCheckpoint, without a process start each).
  const cases = ["25:00", "99:99", "02:61", "24:01", "", "noon", "2:3"].map((at, i) => [at, i === 0 ? "npm run checkpoint" : "in process"] as const);
  it.each(cases)("--at=%j (%s) -> exit 2, one line, nothing recorded", async (at, how) => {
    const r = await (how === "in process" ? runCheckpointInProcess : runCheckpoint)(["--phase=stability", `--at=${at}`], env);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/--at: ".*" is (not a time after the cutover|neither HH:MM)/);
    expect(r.recordCount).toBe(0);
  });
});

describe("a stability checkpoint on a pipeline whose cutover was never recorded", () => {
  let pipeline: StartedPipeline;
  let dir: string;
  beforeAll(async () => {
    pipeline = await startPipeline({ version: "v2", interval: 1 });
    dir = tempReportsDir();
  });
  afterAll(async () => {
    await pipeline?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("says so on its first line, marks the record and WARNs; --json --verbose keeps stdout pure JSON", async () => {
    const env = envFor(pipeline, dir);
    // In this process (what the CLI runs); --json --verbose below through `npm run checkpoint`.
    const r = await runCheckpointInProcess(["--phase=stability"], env);
    expect(r.stdout.split("\n")[0]).toMatch(/^NO CUTOVER RECORDED: nothing anchors this stability checkpoint/);
    expect(r.record?.anchored, describeChecks(r)).toBe(false);
    expect(checkOf(r.record, "cutover-recorded").verdict).toBe("WARN");
    expect(r.record!.verdict).not.toBe("PASS");

    const j = await runCheckpoint(["--phase=stability", "--json", "--verbose"], env);
    let parsed: Record<string, any> | undefined;
    expect(() => (parsed = JSON.parse(j.stdout)), `stdout is not only JSON:\n${j.stdout.slice(0, 2000)}`).not.toThrow();
    expect(parsed!.checkpoint_id).toBe(j.record!.checkpoint_id);
    expect(parsed!.anchored).toBe(false);
    expect(j.stderr).toMatch(/NO CUTOVER RECORDED/);
    // vitest's own verbose output went to stderr
    expect(j.stderr).toMatch(/✓|passed|Test Files/);
  });

  it("secret canaries in the monitor's environment reach neither a target command nor anything printed or stored", async () => {
    const canary = "canary-Sm7pQ2xVw9";
    const hookToken = "T0CANARY/B0CANARY/xoxCanaryWebhookToken42";
    const cfgDir = tempReportsDir("secrets-e2e-");
    try {
      // A validation command that tries to leak: prints its whole environment and the password.
      const cfg = writeConfig(cfgDir, { target: { validation: { command: ["sh", "-c", "env; echo pass=$SMTP_PASS; exit 0"] } } });
      const env = { ...envFor(pipeline, cfgDir), SMTP_PASS: canary, SMTP_USER: "monitor", ALERT_WEBHOOK_URL: `http://127.0.0.1:9/hooks/${hookToken}` };
      const r = await runCheckpoint(["--phase=hour1", "--config", cfg], env);
      expect(r.record, describeChecks(r)).not.toBeNull();
      const forms = [canary, hookToken, Buffer.from(`\0monitor\0${canary}`).toString("base64"), Buffer.from(canary).toString("base64")];
      const everything = [r.stdout, r.stderr, ...walkFiles(cfgDir).map((f) => fs.readFileSync(f, "latin1"))].join("\n");
      for (const f of forms) expect(everything.includes(f), `found ${f}`).toBe(false);
      // The command ran and printed its (reduced) environment: PATH yes, the channel variables no.
      expect(everything).toMatch(/PATH=/);
      expect(everything).not.toMatch(/SMTP_PASS=|ALERT_WEBHOOK_URL=/);
    } finally {
      fs.rmSync(cfgDir, { recursive: true, force: true });
    }
  });
});

function walkFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walkFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
