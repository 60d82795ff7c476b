/**
 * Issue 4 §7 against the real reference pipeline and real local receivers: one incident -> one
 * PagerDuty trigger and one resolve with the same dedup key; a Slack receiver that is down gets
 * the alert exactly once when it is back.
 * The checkpoints run in this process (runCheckpointInProcess: what `npm run checkpoint` runs, as
 * the watch runs it), the first failing one through `npm run checkpoint` end to end.
 */
import fs from "node:fs";
import { vi, afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalReceivers, type LocalReceivers } from "../support/local-receivers.js";
import { checkOf, describeChecks, prepareCutover, runCheckpoint, runCheckpointInProcess, tempReportsDir, writeConfig, type PreparedCutover } from "../support/checkpoint-harness.js";

// Each checkpoint is a whole process tree (tsx, vitest, the target's commands) on 2 cores.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 180_000 });

describe("alerts: PagerDuty incident lifecycle, Slack outage and outbox", () => {
  let p: PreparedCutover;
  let receivers: LocalReceivers;
  let cfg: string[];
  const stability = () => runCheckpointInProcess(["--phase=stability", ...cfg], p.env);

  beforeAll(async () => {
    receivers = await startLocalReceivers();
    const reportsDir = tempReportsDir();
    // Windows since the previous checkpoint (minimum lookback 0): each checkpoint sees its own fault.
    cfg = ["--config", writeConfig(reportsDir, { target: { windows: { minLookbackSeconds: 0 } }, alerts: { channels: { slack: {}, pagerduty: { eventsUrl: receivers.pagerdutyUrl }, email: { port: receivers.smtp.port }, webhook: {} } } })];
    p = await prepareCutover({
      reportsDir,
      configArgs: cfg,
      env: { SLACK_WEBHOOK_URL: receivers.slackUrl, PAGERDUTY_ROUTING_KEY: receivers.pagerdutyRoutingKey, SMTP_HOST: receivers.smtp.host, ALERT_WEBHOOK_URL: receivers.webhookUrl },
    });
    // Settle: whatever the preparation fired is resolved by a healthy checkpoint first.
    await stability();
  });
  afterAll(async () => {
    await p?.stop();
    fs.rmSync(p?.reportsDir ?? "/nonexistent", { recursive: true, force: true });
    await receivers?.close();
  });

  // The error-rate rules' own incidents (a rollback notice names them in its key too).
  const rollbackNotices = (from: number) => receivers.received.pagerduty.slice(from).filter((e) => /^cutover-monitor\/rollback-recommended\//.test(e.dedup_key ?? ""));
  const errorRateEvents = (from: number) => receivers.received.pagerduty.slice(from).filter((e) => /^cutover-monitor\/error-rate-/.test(e.dedup_key ?? ""));

  it("errors:20 -> exactly one PagerDuty trigger; after fault clear -> exactly one resolve with the same dedup_key", async () => {
    const from = receivers.received.pagerduty.length;
    await p.pipeline.setFaults(["errors:20"]);
    const failing = await runCheckpoint(["--phase=stability", ...cfg], p.env);
    expect(failing.exitCode, describeChecks(failing)).toBe(1);
    expect(checkOf(failing.record, "error-rate").verdict).toBe("FAIL");
    const triggers = errorRateEvents(from).filter((e) => e.event_action === "trigger");
    expect(triggers, JSON.stringify(receivers.received.pagerduty.slice(from), null, 1)).toHaveLength(1);
    expect(triggers[0].payload.severity).toBe("critical");
    const key = triggers[0].dedup_key;
    expect(rollbackNotices(from)).toHaveLength(1);

    // Still failing at the next checkpoint: no second incident.
    const again = await stability();
    expect(again.exitCode).toBe(1);
    expect(errorRateEvents(from).filter((e) => e.event_action === "trigger")).toHaveLength(1);

    await p.pipeline.setFaults([]);
    const healthy = await stability();
    // The window may still hold a run that failed before the fault was cleared: below 5 % either way.
    expect(["PASS", "WARN"], describeChecks(healthy)).toContain(checkOf(healthy.record, "error-rate").verdict);
    const resolves = errorRateEvents(from).filter((e) => e.event_action === "resolve");
    expect(resolves).toHaveLength(1);
    expect(resolves[0].dedup_key).toBe(key);
    expect(receivers.rejected).toEqual([]);
  });

  it("Slack down during the failing checkpoint -> queued, delivered exactly once when it is back", async () => {
    const from = receivers.received.slack.length;
    const pdFrom = receivers.received.pagerduty.length;
    receivers.setDown("slack", true);
    await p.pipeline.setFaults(["errors:20"]);
    const failing = await stability();
    expect(failing.exitCode, describeChecks(failing)).toBe(1);
    expect(failing.stdout).toMatch(/[1-9]\d* queued for retry/);
    expect(receivers.received.slack.length).toBe(from);
    // The other channels got it at once.
    expect(errorRateEvents(pdFrom).filter((e) => e.event_action === "trigger")).toHaveLength(1);
    // A second incident in the same cutover is announced again (issue 8 §12: notices are per incident).
    expect(rollbackNotices(pdFrom), JSON.stringify(receivers.received.pagerduty.slice(pdFrom).map((e) => e.dedup_key))).toHaveLength(1);
    const outbox = fs.readFileSync(`${p.reportsDir}/state/alert-outbox.json`, "utf8");
    expect(outbox).toMatch(/slack/);

    await p.pipeline.setFaults([]);
    receivers.setDown("slack", false);
    await stability();
    // The critical error-rate incident's trigger (the warning rule may fire on the window's tail).
    const firing = () => receivers.received.slack.slice(from).filter((m) => /FIRING/.test(m.text ?? "") && JSON.stringify(m).includes("error-rate-critical"));
    expect(firing(), JSON.stringify(receivers.received.slack.slice(from), null, 1)).toHaveLength(1);

    // And never again.
    await stability();
    expect(firing()).toHaveLength(1);
    expect(receivers.rejected).toEqual([]);
  });
});
